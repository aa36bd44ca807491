import Foundation
import Synchronization

/// A loop on a thread of its own, for the parts that wait in `poll(2)` (the NOTIFY sender and
/// listener, the network watch): started at most once, stopped at most once, and ``stop(wake:)``
/// returns only when the loop has returned. A loop checks ``isStopped`` between its waits.
public final class ServiceThread: Sendable {
    private struct State {
        var running = false
        var stopped = false
        /// Who waits in ``stop(wake:)``; `nil` once the loop has returned.
        var waiters: [CheckedContinuation<Void, Never>]? = []
    }

    public let name: String
    private let state = Mutex(State())

    public init(name: String) {
        self.name = name
    }

    /// Whether ``stop(wake:)`` was called.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Runs `loop` on a new thread, unless it was started or stopped before.
    public func start(_ loop: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            guard !state.running && !state.stopped else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            loop()
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                defer { state.waiters = nil }
                return state.waiters ?? []
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = name
        thread.start()
    }

    /// Marks the loop stopped, calls `wake` so that a loop waiting in `poll` notices, and
    /// returns once the loop has returned (at once when it never started).
    public func stop(wake: () -> Void = {}) async {
        let running = state.withLock { state -> Bool in
            state.stopped = true
            return state.running
        }
        guard running else { return }
        wake()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard state.waiters != nil else { return true }
                state.waiters?.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
