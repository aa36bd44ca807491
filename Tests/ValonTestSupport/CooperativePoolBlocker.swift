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
/// Throws instead of running `body` when the pool cannot be held: the blocking tasks do not
/// all start within ten seconds, or a probe task still runs once they have (a wider pool
/// than one thread per core).
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
            while held < width, started.wait(timeout: .now() + 10) == .success { held += 1 }
            let probe = DispatchSemaphore(value: 0)
            if held == width {
                Task.detached { probe.signal() }
            }
            let spare = held == width && probe.wait(timeout: .now() + .milliseconds(200)) == .success
            let result: Result<T, any Error> = held == width && !spare
                ? Result { try body() }
                : .failure(CooperativePoolBlockerFailure(held: held, width: width, spare: spare))
            for _ in 0..<width { release.signal() }
            continuation.resume(with: result)
        }.start()
    }
}

/// The blocking tasks did not all start: the pool could not be held.
public struct CooperativePoolBlockerFailure: Error, CustomStringConvertible {
    public var held: Int
    public var width: Int
    public var spare: Bool
    public var description: String {
        spare ? "the cooperative pool has more than \(width) threads: a probe task ran while \(width) were held"
              : "only \(held) of \(width) cooperative threads could be held"
    }
}
