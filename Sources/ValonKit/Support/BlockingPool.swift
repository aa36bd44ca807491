import Dispatch
import Foundation
import Synchronization

/// The one way VALON leaves Swift's cooperative pool for work that blocks a thread: a
/// socket loop (DNS, the WireGuard UAPI socket, netlink), libcurl, a file written with
/// fsync, a process started and waited for. The cooperative pool has one thread per core
/// (two here); a blocking call there stalls every task behind it, which is how a forwarded
/// DNS query once went unanswered under load.
///
/// Work runs on threads of this pool, which it starts when every thread is busy (up to
/// ``maximumThreads``, 256 for the shared pool) and which end after a minute without work, so a quick call reuses a
/// warm thread (etcd requests) and a long one (an etcd watch stream, a zone transfer) holds
/// one of its own without starving the rest. Use ``runBlocking(_:)``.
public final class BlockingPool: Sendable {
    /// The pool every part of VALON uses. The bound is far above what a node or a client
    /// needs (a watch stream, a few etcd waits, DNS exchanges); it only stops a runaway.
    public static let shared = BlockingPool(maximumThreads: 256)

    /// The most threads the pool runs at once; further work waits for a free one.
    public let maximumThreads: Int

    struct State {
        var jobs: [@Sendable () -> Void] = []
        var threads = 0
        var idle = 0
    }

    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)
    private static let idleTimeout = DispatchTimeInterval.seconds(60)

    public init(maximumThreads: Int) {
        precondition(maximumThreads > 0, "a pool needs a thread")
        self.maximumThreads = maximumThreads
    }

    /// Runs `job` on a thread of the pool, without waiting for it.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        let spawn = state.withLock { state -> Bool in
            state.jobs.append(job)
            guard state.idle < state.jobs.count, state.threads < maximumThreads else { return false }
            state.threads += 1
            return true
        }
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "valon-blocking"
            thread.start()
        }
        signal.signal()
    }

    /// Threads running or idle now (for tests).
    public var threadCount: Int { state.withLock { $0.threads } }

    private func work() {
        while true {
            state.withLock { $0.idle += 1 }
            let woken = signal.wait(timeout: .now() + Self.idleTimeout) == .success
            let job = state.withLock { state -> (@Sendable () -> Void)? in
                state.idle -= 1
                if !state.jobs.isEmpty { return state.jobs.removeFirst() }
                if !woken { state.threads -= 1 }
                return nil
            }
            if let job {
                job()
            } else if !woken {
                return
            }
        }
    }
}

/// Runs `work` on ``BlockingPool/shared`` and returns what it returns to the awaiting task.
/// Work that fails returns a `Result`: `try await runBlocking { Result { … } }.get()`.
public func runBlocking<Success: Sendable>(_ work: @escaping @Sendable () -> Success) async -> Success {
    await withCheckedContinuation { (continuation: CheckedContinuation<Success, Never>) in
        BlockingPool.shared.submit { continuation.resume(returning: work()) }
    }
}
