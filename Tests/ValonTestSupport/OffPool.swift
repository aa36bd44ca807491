import Foundation

/// Runs blocking work (an external command: curl, dig, wg, etcdctl) on a thread of its own,
/// never on a pool the code under test needs. Swift's cooperative pool has as many threads
/// as cores (two here): a test blocking it would starve the in-process node's own request
/// handling. Dispatch's global queue has one thread per core too, and ValonKit's
/// `BlockingPool` carries the node's etcd waits: a parallel test run's commands (curl with
/// 15 s timeouts, schemathesis for a minute) parked in either can hold the threads an API
/// request of the in-process node is waiting for (seen as API requests that never answered).
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await onOwnThread(work)
}

/// Runs blocking work on a new thread of its own (``offPool(_:)`` is this).
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
