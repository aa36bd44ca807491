import Synchronization
import Testing
@testable import ValonKit

/// ``AsyncGate``: one holder at a time, waiting callers served in arrival order.
@Suite("AsyncGate")
struct AsyncGateTests {
    struct Counts: Sendable {
        var now = 0
        var most = 0
        var entries = 0
    }

    @Test("never two inside at once, across many tasks and suspensions inside")
    func exclusion() async {
        let gate = AsyncGate()
        let inside = Locked(Counts())
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    await gate.enter()
                    inside.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.entries += 1 }
                    await Task.yield()
                    inside.withLock { $0.now -= 1 }
                    gate.leave()
                }
            }
        }
        let seen = inside.withLock { $0 }
        #expect(seen.most == 1)
        #expect(seen.entries == 200)
        #expect(seen.now == 0)
    }

    @Test("waiting callers enter in the order they arrived")
    func order() async throws {
        let gate = AsyncGate()
        await gate.enter()
        let entered = Locked<[Int]>([])
        var waiters: [Task<Void, Never>] = []
        for index in 0..<100 {
            waiters.append(Task {
                await gate.enter()
                entered.withLock { $0.append(index) }
                gate.leave()
            })
            // Wait until this one is queued before the next arrives.
            while gate.waitingCount < index + 1 { await Task.yield() }
        }
        gate.leave()
        for waiter in waiters { await waiter.value }
        #expect(entered.withLock { $0 } == Array(0..<100))
    }
}
