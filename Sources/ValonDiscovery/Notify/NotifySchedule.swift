import ValonKit

/// When the discovery node sends which NOTIFY (RFC 1996) to which peer: pure, driven by
/// ``NotifySender``'s thread with the current time, so every rule below is table-tested.
///
/// - **Waves.** ``announce(serial:to:now:)`` starts a wave: every address gets a NOTIFY for
///   the serial, with a fresh query ID (RFC 1996 §3.6 retransmits keep it). Waves start at
///   most once per ``Settings/spacing``; announcements in between coalesce into the next wave,
///   which carries the newest serial and address list only.
/// - **Spacing per peer.** No address gets two NOTIFY within ``Settings/spacing``, retries
///   and waves together.
/// - **Retries** (RFC 1996 §3.6: retransmit until a response with the same ID arrives, or a
///   timeout). The waits after each send are ``Settings/waits``: the defaults (1, 2, 4, 8 s)
///   send at 0, 1, 3 and 7 s and give up at 15 s.
/// - **Bounded state.** One entry per address of the last wave, nothing more: a wave forgets
///   the addresses that left the registry, an answer or a give-up clears an entry's pending
///   NOTIFY, and stale heap items are compacted away when they outnumber live ones.
struct NotifySchedule {
    struct Settings: Sendable {
        /// The least time between two NOTIFY to one address, and between two waves.
        var spacing: Duration = .milliseconds(100)
        /// The wait after the 1st, 2nd, … send; after the last one the peer is given up.
        var waits: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8)]
    }

    /// One NOTIFY waiting for its response.
    struct Pending: Hashable {
        var id: UInt16
        var serial: UInt32
        /// Datagrams sent so far for this serial.
        var sends: Int
        var due: ContinuousClock.Instant
    }

    struct Entry: Hashable {
        var lastSent: ContinuousClock.Instant?
        var pending: Pending?
    }

    /// What to do now.
    enum Action: Hashable {
        /// Send NOTIFY `id` for `serial` to `address`; `retry` for a retransmission.
        case send(address: IPAddress, id: UInt16, serial: UInt32, retry: Bool)
        /// `address` never answered the NOTIFY for `serial`.
        case gaveUp(address: IPAddress, serial: UInt32)
    }

    /// A wave that started: its serial and how many announcements it took in.
    struct Wave: Hashable {
        var serial: UInt32
        var addresses: Int
        var coalesced: Int
    }

    let settings: Settings
    private(set) var entries: [IPAddress: Entry] = [:]
    private var heap = NotifyHeap()
    private(set) var pendingCount = 0
    private var lastWave: ContinuousClock.Instant?
    private var queued: (serial: UInt32, addresses: [IPAddress], coalesced: Int)?
    private var makeID: () -> UInt16

    init(settings: Settings = Settings(), makeID: @escaping () -> UInt16 = { UInt16.random(in: 0...UInt16.max) }) {
        precondition(!settings.waits.isEmpty, "a NOTIFY is sent at least once")
        self.settings = settings
        self.makeID = makeID
    }

    /// The serial of the zone changed (or its content did): NOTIFY `serial` to `addresses`,
    /// now or, within ``Settings/spacing`` of the last wave, in the next one. Returns the wave
    /// when it started now.
    mutating func announce(serial: UInt32, to addresses: [IPAddress], now: ContinuousClock.Instant) -> Wave? {
        let coalesced = (queued?.coalesced ?? 0) + 1
        if let lastWave, now < lastWave + settings.spacing {
            queued = (serial, addresses, coalesced)
            return nil
        }
        queued = nil
        return startWave(serial: serial, addresses: addresses, coalesced: coalesced, now: now)
    }

    private mutating func startWave(serial: UInt32, addresses: [IPAddress], coalesced: Int,
                                    now: ContinuousClock.Instant) -> Wave {
        lastWave = now
        var next = [IPAddress: Entry](minimumCapacity: addresses.count)
        for address in addresses where next[address] == nil {
            var entry = entries[address] ?? Entry()
            let earliest = entry.lastSent.map { $0 + settings.spacing } ?? now
            entry.pending = Pending(id: makeID(), serial: serial, sends: 0, due: max(now, earliest))
            next[address] = entry
        }
        entries = next
        pendingCount = next.count
        // Every item of the old heap is stale now: start afresh.
        heap.rebuild(next.compactMap { address, entry in entry.pending.map { NotifyHeap.Item(due: $0.due, address: address) } })
        return Wave(serial: serial, addresses: next.count, coalesced: coalesced)
    }

    /// When ``step(now:limit:)`` next has something to do; `nil` when nothing is pending.
    var nextDeadline: ContinuousClock.Instant? {
        let waveDue = queued != nil ? lastWave.map { $0 + settings.spacing } : nil
        switch (heap.top?.due, waveDue) {
        case let (item?, wave?): return min(item, wave)
        case let (item?, nil): return item
        case let (nil, wave): return wave
        }
    }

    /// Starts a queued wave that is due, then returns up to `limit` sends and give-ups due at
    /// `now`, and the wave if one started. Call again at ``nextDeadline``.
    mutating func step(now: ContinuousClock.Instant, limit: Int) -> (wave: Wave?, actions: [Action]) {
        var wave: Wave?
        if let queued, let lastWave, now >= lastWave + settings.spacing {
            self.queued = nil
            wave = startWave(serial: queued.serial, addresses: queued.addresses, coalesced: queued.coalesced, now: now)
        }
        var actions = [Action]()
        while actions.count < limit, let top = heap.top, top.due <= now {
            _ = heap.pop()
            guard var entry = entries[top.address], var pending = entry.pending, pending.due == top.due else { continue }
            if pending.sends == settings.waits.count {
                entry.pending = nil
                pendingCount -= 1
                entries[top.address] = entry
                actions.append(.gaveUp(address: top.address, serial: pending.serial))
                continue
            }
            actions.append(.send(address: top.address, id: pending.id, serial: pending.serial, retry: pending.sends > 0))
            pending.due = now + settings.waits[pending.sends]
            pending.sends += 1
            entry.lastSent = now
            entry.pending = pending
            entries[top.address] = entry
            heap.push(NotifyHeap.Item(due: pending.due, address: top.address))
        }
        compactIfStale()
        return (wave, actions)
    }

    /// A response with `id` came from `address`: its NOTIFY is done. Returns the serial it
    /// answered, or `nil` when nothing pending matches (late, duplicate or forged).
    mutating func answered(from address: IPAddress, id: UInt16) -> UInt32? {
        guard var entry = entries[address], let pending = entry.pending, pending.id == id, pending.sends > 0 else { return nil }
        entry.pending = nil
        entries[address] = entry
        pendingCount -= 1
        compactIfStale()
        return pending.serial
    }

    /// Items in the heap, live or stale (for tests of the bound).
    var heapCount: Int { heap.count }

    /// Rebuilds the heap from the table when stale items outnumber live ones.
    private mutating func compactIfStale() {
        guard heap.count > 2 * pendingCount + 64 else { return }
        heap.rebuild(entries.compactMap { address, entry in entry.pending.map { NotifyHeap.Item(due: $0.due, address: address) } })
    }
}
