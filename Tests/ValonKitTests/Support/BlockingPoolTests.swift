import Dispatch
import Synchronization
import Testing
import ValonKit

/// The one pool blocking work runs on: threads are reused, never more than the maximum
/// run at once (the rest wait their turn and all finish), and results reach the awaiting task.
@Suite("Blocking pool")
struct BlockingPoolTests {
    /// Submits `job` to `pool` and waits for it.
    static func run(_ pool: BlockingPool, _ job: @escaping @Sendable () -> Int) async -> Int {
        await withCheckedContinuation { continuation in pool.submit { continuation.resume(returning: job()) } }
    }

    @Test func quickWorkReusesItsThread() async {
        let pool = BlockingPool(maximumThreads: 8)
        var sum = 0
        for value in 1...50 { sum += await Self.run(pool) { value } }
        #expect(sum == 1275)
        #expect(pool.threadCount <= 2, "sequential work needs no new thread each time: \(pool.threadCount)")
    }

    @Test func atMostTheMaximumRunAtOnceAndTheRestWait() async throws {
        let pool = BlockingPool(maximumThreads: 2)
        let running = Mutex(0), finished = Mutex(0)
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<6 {
            pool.submit {
                running.withLock { $0 += 1 }
                gate.wait()
                finished.withLock { $0 += 1 }
            }
        }
        try await eventuallyTrue { running.withLock { $0 } == 2 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(running.withLock { $0 } == 2, "two threads, so two jobs at a time")
        #expect(pool.threadCount == 2)
        for _ in 0..<6 { gate.signal() }
        try await eventuallyTrue { finished.withLock { $0 } == 6 }
        #expect(running.withLock { $0 } == 6, "every waiting job ran")
    }

    @Test func resultsAndFailuresReachTheTask() async {
        struct Refused: Error, Equatable {}
        #expect(await runBlocking { 6 * 7 } == 42)
        let failed = await runBlocking { Result<Int, Refused>.failure(Refused()) }
        #expect(throws: Refused.self) { try failed.get() }
    }

    /// Polls (bounded) until `condition` holds.
    func eventuallyTrue(_ condition: () -> Bool) async throws {
        for _ in 0..<400 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }
}
