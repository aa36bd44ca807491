import Dispatch
import Foundation

/// Runs `body` on a thread of its own while every thread of Swift's cooperative pool is held
/// by a blocked task, and returns its result once the pool is free again.
///
/// This shows that a component keeps working when the process's other work has tied up the
/// pool (a library call that blocks, a busy test run): the DNS server must answer, and
/// forward, from its event loops alone. The pool has one thread per core on Linux; `body`
/// should be short, because every other task of the process waits while it runs.
///
/// One blocking task per core is started; a thread that other work of the test run holds
/// for a long time counts as held too (its blocking task stays queued and takes the thread
/// as soon as it is free). The proof that no thread is left is a probe task that must not
/// run within 200 ms; when it does, `body` is not run and the call throws.
public func withCooperativePoolBlocked<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let width = ProcessInfo.processInfo.activeProcessorCount
    let started = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    for _ in 0..<width {
        Task.detached {
            started.signal()
            release.wait()
        }
    }
    return try await withCheckedThrowingContinuation { continuation in
        Thread {
            var held = 0
            // Ten seconds for the first, then two for each other: a thread that stays busy
            // elsewhere that long is as good as held.
            while held < width, started.wait(timeout: .now() + (held == 0 ? 10 : 2)) == .success { held += 1 }
            let probe = DispatchSemaphore(value: 0)
            Task.detached { probe.signal() }
            let spare = probe.wait(timeout: .now() + .milliseconds(200)) == .success
            let result: Result<T, any Error> = spare
                ? .failure(CooperativePoolBlockerFailure(held: held, width: width))
                : Result { try body() }
            for _ in 0..<width { release.signal() }
            continuation.resume(with: result)
        }.start()
    }
}

/// A probe task ran although the pool should have been held: there were threads to spare.
public struct CooperativePoolBlockerFailure: Error, CustomStringConvertible {
    public var held: Int
    public var width: Int
    public var description: String {
        "a probe task ran while \(held) of \(width) blocking tasks held cooperative threads: the pool was not held"
    }
}
