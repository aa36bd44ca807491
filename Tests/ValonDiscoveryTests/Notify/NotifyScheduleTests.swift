import Testing
@testable import ValonDiscovery
import ValonKit

/// When the node sends which NOTIFY (docs/ARCHITECTURE.md §12, RFC 1996 §3.6): waves, retries
/// with doubling waits, answers, give-ups, coalescing, per-peer spacing and bounded state,
/// on a clock the tests move by hand.
@Suite("NOTIFY schedule: waves, retries, coalescing, bounded state")
struct NotifyScheduleTests {
    static let t0 = ContinuousClock.now
    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }
    static func peers(_ count: Int, from first: Int = 2) -> [IPAddress] {
        (0..<count).map { IPAddress("100.100.\((first + $0) / 250).\((first + $0) % 250 + 1)")! }
    }

    /// A schedule with predictable IDs 1, 2, 3, … (wrapping after 65535)
    static func schedule(_ settings: NotifySchedule.Settings = .init()) -> NotifySchedule {
        var next: UInt16 = 0
        return NotifySchedule(settings: settings) {
            next &+= 1
            return next
        }
    }

    /// Steps the schedule at each millisecond in `times` and returns every action with its time.
    static func run(_ schedule: inout NotifySchedule, at times: [Int]) -> [(Int, NotifySchedule.Action)] {
        var seen = [(Int, NotifySchedule.Action)]()
        for time in times {
            for action in schedule.step(now: at(time), limit: .max).actions { seen.append((time, action)) }
        }
        return seen
    }

    @Test("a peer that never answers gets the NOTIFY at 0, 1, 3 and 7 s with one ID, and is given up at 15 s")
    func retriesThenGivesUp() {
        var schedule = Self.schedule()
        let peer = Self.peers(1)[0]
        let wave = schedule.announce(serial: 10, to: [peer], now: Self.at(0))
        #expect(wave == NotifySchedule.Wave(serial: 10, addresses: 1, coalesced: 1))
        let seen = Self.run(&schedule, at: Array(stride(from: 0, through: 20_000, by: 50)))
        #expect(seen.map(\.0) == [0, 1000, 3000, 7000, 15_000])
        #expect(seen.map(\.1) == [
            .send(address: peer, id: 1, serial: 10, retry: false),
            .send(address: peer, id: 1, serial: 10, retry: true),
            .send(address: peer, id: 1, serial: 10, retry: true),
            .send(address: peer, id: 1, serial: 10, retry: true),
            .gaveUp(address: peer, serial: 10),
        ])
        #expect(schedule.pendingCount == 0 && schedule.nextDeadline == nil && schedule.heapCount == 0)
    }

    @Test("an answer with the pending ID ends the retries; another ID, another address or an early one does not")
    func answers() {
        var schedule = Self.schedule()
        let (a, b) = (Self.peers(2)[0], Self.peers(2)[1])
        _ = schedule.announce(serial: 3, to: [a, b], now: Self.at(0))
        // Nothing was sent yet: an "answer" now is forged or stray.
        #expect(schedule.answered(from: a, id: 1) == nil)
        let first = schedule.step(now: Self.at(0), limit: .max).actions
        #expect(Set(first) == [.send(address: a, id: 1, serial: 3, retry: false), .send(address: b, id: 2, serial: 3, retry: false)])
        #expect(schedule.answered(from: a, id: 2) == nil)
        #expect(schedule.answered(from: IPAddress("100.100.0.99")!, id: 1) == nil)
        #expect(schedule.answered(from: a, id: 1) == 3)
        #expect(schedule.answered(from: a, id: 1) == nil)
        #expect(schedule.pendingCount == 1)
        let later = Self.run(&schedule, at: [500, 1000, 1500])
        #expect(later.map(\.1) == [.send(address: b, id: 2, serial: 3, retry: true)])
    }

    @Test("changes within 100 ms of a wave coalesce into one wave carrying the newest serial and peers")
    func coalesce() {
        var schedule = Self.schedule()
        let peers = Self.peers(3)
        #expect(schedule.announce(serial: 1, to: peers, now: Self.at(0)) != nil)
        #expect(Self.run(&schedule, at: [0]).count == 3)
        for peer in peers { _ = schedule.answered(from: peer, id: UInt16(peers.firstIndex(of: peer)! + 1)) }
        // Four changes in the next 60 ms: none starts a wave of its own.
        #expect(schedule.announce(serial: 2, to: peers, now: Self.at(10)) == nil)
        #expect(schedule.announce(serial: 3, to: peers, now: Self.at(30)) == nil)
        #expect(schedule.announce(serial: 4, to: Array(peers.prefix(2)), now: Self.at(50)) == nil)
        #expect(schedule.announce(serial: 5, to: peers, now: Self.at(60)) == nil)
        #expect(schedule.nextDeadline == Self.at(100))
        #expect(schedule.step(now: Self.at(99), limit: .max).actions.isEmpty)
        let (wave, actions) = schedule.step(now: Self.at(100), limit: .max)
        #expect(wave == NotifySchedule.Wave(serial: 5, addresses: 3, coalesced: 4))
        #expect(actions.count == 3)
        #expect(actions.allSatisfy { if case .send(_, _, 5, false) = $0 { true } else { false } })
    }

    @Test("no peer gets two NOTIFY within 100 ms: a wave right after a retry waits for the spacing")
    func spacingPerPeer() {
        var settings = NotifySchedule.Settings()
        settings.waits = [.milliseconds(150), .seconds(1)]
        var schedule = Self.schedule(settings)
        let peer = Self.peers(1)[0]
        _ = schedule.announce(serial: 1, to: [peer], now: Self.at(0))
        _ = schedule.step(now: Self.at(0), limit: .max)
        // The retry goes at 150 ms; a new wave at 170 ms must not send before 250 ms.
        #expect(Self.run(&schedule, at: [150]).map(\.1) == [.send(address: peer, id: 1, serial: 1, retry: true)])
        #expect(schedule.announce(serial: 2, to: [peer], now: Self.at(170)) != nil)
        #expect(schedule.step(now: Self.at(249), limit: .max).actions.isEmpty)
        #expect(schedule.step(now: Self.at(250), limit: .max).actions == [.send(address: peer, id: 2, serial: 2, retry: false)])
    }

    @Test("a wave forgets peers that left the registry; their pending NOTIFY is dropped")
    func removedPeers() {
        var schedule = Self.schedule()
        let peers = Self.peers(3)
        _ = schedule.announce(serial: 1, to: peers, now: Self.at(0))
        _ = schedule.step(now: Self.at(0), limit: .max)
        _ = schedule.announce(serial: 2, to: [peers[0]], now: Self.at(500))
        #expect(schedule.entries.keys.sorted() == [peers[0]])
        let seen = Self.run(&schedule, at: Array(stride(from: 500, through: 20_000, by: 100)))
        #expect(Set(seen.compactMap { if case .send(let address, _, _, _) = $0.1 { address } else { nil } }) == [peers[0]])
        #expect(schedule.pendingCount == 0)
    }

    @Test("the limit splits a wave into batches, in order, without losing a peer")
    func batches() {
        var schedule = Self.schedule()
        let peers = Self.peers(1000)
        _ = schedule.announce(serial: 1, to: peers, now: Self.at(0))
        var sent = Set<IPAddress>()
        var steps = 0
        while let deadline = schedule.nextDeadline, deadline <= Self.at(0) {
            let actions = schedule.step(now: Self.at(0), limit: 256).actions
            #expect(actions.count <= 256)
            for case .send(let address, _, _, false) in actions { sent.insert(address) }
            steps += 1
        }
        #expect(steps == 4 && sent == Set(peers))
        #expect(schedule.nextDeadline == Self.at(1000))
    }

    @Test("10,000 peers, a change every 100 ms for 12 s, a tenth answering: state stays one entry per peer")
    func boundedState() {
        var schedule = Self.schedule()
        let peers = Self.peers(10_000)
        var answeredOnce = 0
        for tick in 0..<120 {
            let now = Self.at(tick * 100)
            _ = schedule.announce(serial: UInt32(tick + 1), to: peers, now: now)
            let actions = schedule.step(now: now, limit: .max).actions
            for case .send(let address, let id, _, _) in actions where address.bytes[3] % 10 == 0 {
                if schedule.answered(from: address, id: id) != nil { answeredOnce += 1 }
            }
            #expect(schedule.entries.count == 10_000)
            #expect(schedule.heapCount <= 2 * schedule.pendingCount + 64)
        }
        #expect(answeredOnce > 0)
        // Then quiet: everything is answered or given up within 15 s, and nothing is left pending.
        let quiet = Self.run(&schedule, at: Array(stride(from: 12_000, through: 30_000, by: 500)))
        #expect(!quiet.isEmpty)
        #expect(schedule.pendingCount == 0 && schedule.nextDeadline == nil && schedule.heapCount == 0)
        #expect(schedule.entries.count == 10_000)
    }

    @Test("a wave lists a peer once, whatever the snapshot repeats")
    func duplicates() {
        var schedule = Self.schedule()
        let peer = Self.peers(1)[0]
        #expect(schedule.announce(serial: 1, to: [peer, peer], now: Self.at(0))?.addresses == 1)
        #expect(schedule.step(now: Self.at(0), limit: .max).actions.count == 1)
    }
}
