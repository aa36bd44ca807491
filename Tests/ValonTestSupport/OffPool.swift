import ValonKit
import Foundation

/// Runs blocking work (an external command: curl, dig, wg, etcdctl) on ValonKit's
/// `BlockingPool`, as the product does, instead of the test's own thread. Swift's
/// cooperative pool has as many threads as cores (two here): tests that block them while
/// they wait for the in-process node would starve the node's own request handling; and
/// Dispatch's global queue is no better, it too has one thread per core.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await runBlocking { Result { try work() } }.get()
}

/// Runs blocking work on a new thread of its own. Unlike ``offPool(_:)`` it waits for no
/// pool at all: for work whose timing matters while the test run keeps every pool busy
/// (watching for a moment in another process's life, say).
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
