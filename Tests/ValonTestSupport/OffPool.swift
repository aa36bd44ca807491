import Dispatch

/// Runs blocking work (an external command: curl, dig, wg, etcdctl) on a Dispatch thread
/// instead of the test's own. Swift's cooperative pool has as many threads as cores (two
/// here): tests that block them while they wait for the in-process node would starve the
/// node's own request handling, which runs on that pool.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
