import ValonKit

/// A binary min-heap of deadlines and addresses, for ``NotifySchedule``: the earliest due
/// NOTIFY on top. Entries are never removed from the middle; the schedule skips the ones
/// that no longer match its table (lazy deletion) and rebuilds the heap when they pile up.
struct NotifyHeap {
    struct Item {
        var due: ContinuousClock.Instant
        var address: IPAddress
    }

    private(set) var items: [Item] = []

    var count: Int { items.count }
    var top: Item? { items.first }

    mutating func push(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].due < items[parent].due else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Item? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let item = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left].due < items[smallest].due { smallest = left }
            if right < items.count, items[right].due < items[smallest].due { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return item
    }

    /// Replaces the contents with `newItems` (sorted: a sorted array is a heap).
    mutating func rebuild(_ newItems: [Item]) {
        items = []
        items.reserveCapacity(newItems.count)
        for item in newItems.sorted(by: { $0.due < $1.due }) { items.append(item) }
    }
}
