import Testing
@testable import ValonKit
import ValonTestSupport

/// The `--follow` loop with NOTIFY (docs/ARCHITECTURE.md §12): a NOTIFY wakes a sync at once,
/// several during one sync make one more, a hint equal to the synced serial wakes nothing, a
/// hint the sync did not see yet makes it catch up, and without a NOTIFY the interval rules.
@Suite("follow loop: NOTIFY wakes, coalesces, catches up; the interval stays")
struct SyncFollowerTests {
    /// The bound for waits that take several timed rounds: a loaded run of the whole suite on
    /// two cores has held every task of the process for a minute.
    static let loadedLimit: Duration = .seconds(240)

    /// The syncs a follower ran: why, and when.
    final class Recorder: Sendable {
        let wakes = Locked<[SyncFollower.Wake]>([])
        func record(_ wake: SyncFollower.Wake) { wakes.withLock { $0.append(wake) } }
        var all: [SyncFollower.Wake] { wakes.value }
    }

    /// Runs `follower` in a task whose sync records the wake, runs `during` (if set) inside
    /// the sync with that index, and returns `serials[index]` (the last one after the end).
    static func start(_ follower: SyncFollower, serials: [UInt32?], syncTime: Duration = .zero,
                      during: (@Sendable (Int) async -> Void)? = nil) -> (Task<Void, Never>, Recorder) {
        let recorder = Recorder()
        let task = Task {
            await follower.run { wake in
                let index = recorder.all.count
                recorder.record(wake)
                if let during { await during(index) }
                if syncTime > .zero { try? await Task.sleep(for: syncTime) }
                return serials[min(index, serials.count - 1)]
            }
        }
        return (task, recorder)
    }

    @Test("a NOTIFY syncs at once, long before the interval")
    func notifyWakes() async throws {
        let trigger = SyncTrigger()
        let (task, recorder) = Self.start(SyncFollower(interval: .seconds(3600), trigger: trigger), serials: [1, 2])
        defer { task.cancel() }
        try await eventually("the first sync", limit: Self.loadedLimit) { recorder.all == [.start] }
        trigger.fire(serial: 2)
        try await eventually("the NOTIFY's sync", limit: Self.loadedLimit) { recorder.all == [.start, .notify] }
        try await Task.sleep(for: .milliseconds(300))
        #expect(recorder.all == [.start, .notify])
    }

    @Test("five NOTIFYs during one sync make exactly one more sync")
    func coalesce() async throws {
        let trigger = SyncTrigger()
        let follower = SyncFollower(interval: .seconds(3600), trigger: trigger)
        let (task, recorder) = Self.start(follower, serials: [1, 6, 6], syncTime: .milliseconds(300)) { index in
            guard index == 0 else { return }
            for serial in UInt32(2)...6 { trigger.fire(serial: serial) }
        }
        defer { task.cancel() }
        try await eventually("the second sync", limit: Self.loadedLimit) { recorder.all.count == 2 }
        try await Task.sleep(for: .milliseconds(800))
        #expect(recorder.all == [.start, .notify])
    }

    @Test("a NOTIFY whose serial the last sync saw wakes nothing (several nodes send one each)")
    func sameSerial() async throws {
        let trigger = SyncTrigger()
        let (task, recorder) = Self.start(SyncFollower(interval: .seconds(3600), trigger: trigger), serials: [8])
        defer { task.cancel() }
        try await eventually("the first sync", limit: Self.loadedLimit) { recorder.all.count == 1 }
        try await Task.sleep(for: .milliseconds(50))
        trigger.fire(serial: 8)
        try await Task.sleep(for: .milliseconds(300))
        #expect(recorder.all == [.start])
        #expect(trigger.ignoredCount == 1)
        // Without a hint, or with another serial (older too: etcd restored from a backup), it syncs.
        trigger.fire(serial: nil)
        try await eventually("the hintless NOTIFY's sync", limit: Self.loadedLimit) { recorder.all.count == 2 }
        trigger.fire(serial: 3)
        try await eventually("the older serial's sync", limit: Self.loadedLimit) { recorder.all.count == 3 }
    }

    @Test("a sync that saw an older serial than the NOTIFY named tries again shortly, until it sees it")
    func catchUp() async throws {
        let trigger = SyncTrigger()
        var follower = SyncFollower(interval: .seconds(3600), trigger: trigger)
        follower.catchUpDelays = [.milliseconds(50), .milliseconds(50), .milliseconds(50), .milliseconds(50)]
        // The node asked is behind: serial 4 for two more syncs, then 5.
        let (task, recorder) = Self.start(follower, serials: [4, 4, 4, 5, 5])
        defer { task.cancel() }
        try await eventually("the first sync", limit: Self.loadedLimit) { recorder.all.count == 1 }
        trigger.fire(serial: 5)
        try await eventually("the catch-up syncs", limit: Self.loadedLimit) { recorder.all.count == 4 }
        try await Task.sleep(for: .milliseconds(400))
        #expect(recorder.all == [.start, .notify, .catchUp, .catchUp])
        #expect(trigger.behind(5) == nil)
    }

    @Test("catching up gives up after its delays and falls back to the interval")
    func catchUpGivesUp() async throws {
        let trigger = SyncTrigger()
        var follower = SyncFollower(interval: .seconds(3600), trigger: trigger)
        follower.catchUpDelays = [.milliseconds(30), .milliseconds(30)]
        let (task, recorder) = Self.start(follower, serials: [4])
        defer { task.cancel() }
        try await eventually("the first sync", limit: Self.loadedLimit) { recorder.all.count == 1 }
        trigger.fire(serial: 9)
        try await eventually("the catch-up syncs", limit: Self.loadedLimit) { recorder.all.count == 4 }
        try await Task.sleep(for: .milliseconds(400))
        #expect(recorder.all == [.start, .notify, .catchUp, .catchUp])
        #expect(trigger.behind(4) == nil)
    }

    @Test("without NOTIFY the loop syncs every interval; a failed sync changes nothing")
    func interval() async throws {
        let trigger = SyncTrigger()
        let (task, recorder) = Self.start(SyncFollower(interval: .milliseconds(100), trigger: trigger), serials: [1, nil, 1])
        defer { task.cancel() }
        try await eventually("four syncs", limit: Self.loadedLimit) { recorder.all.count >= 4 }
        #expect(Array(recorder.all.prefix(4)) == [.start, .interval, .interval, .interval])
        let (pollOnly, polls) = Self.start(SyncFollower(interval: .milliseconds(100), trigger: nil), serials: [1])
        defer { pollOnly.cancel() }
        try await eventually("polls without a trigger", limit: Self.loadedLimit) { polls.all.count >= 3 }
        #expect(Array(polls.all.prefix(3)) == [.start, .interval, .interval])
    }

    @Test("cancelling the task ends the loop, even inside a long wait")
    func cancel() async throws {
        let trigger = SyncTrigger()
        let (task, recorder) = Self.start(SyncFollower(interval: .seconds(3600), trigger: trigger), serials: [1])
        try await eventually("the first sync", limit: Self.loadedLimit) { recorder.all.count == 1 }
        task.cancel()
        let ended = Locked(false)
        Task {
            await task.value
            ended.value = true
        }
        try await eventually("the loop to end", limit: Self.loadedLimit) { ended.value }
        #expect(recorder.all == [.start])
    }

    @Test("the log throttle lets one line through per interval and counts the rest")
    func throttle() {
        var throttle = LogThrottle(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(throttle.admit(at: start) == (true, 0))
        #expect(throttle.admit(at: start + .seconds(1)) == (false, 0))
        #expect(throttle.admit(at: start + .seconds(9)) == (false, 0))
        #expect(throttle.admit(at: start + .seconds(10)) == (true, 2))
        #expect(throttle.admit(at: start + .seconds(25)) == (true, 0))
    }
}
