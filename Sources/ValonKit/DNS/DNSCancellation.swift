import Synchronization

/// A flag that a task's cancellation handler sets and the resolver's blocking socket
/// loop polls, so that cancelling the awaiting task stops the work on its thread.
final class DNSCancellation: Sendable {
    private let flag = Mutex(false)

    var isCancelled: Bool { flag.withLock { $0 } }

    func cancel() { flag.withLock { $0 = true } }
}
