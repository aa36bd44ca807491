import Foundation

/// Runs blocking socket work on a thread of its own, never on Swift's cooperative
/// pool, and resumes the awaiting task with its result. Cancelling the task sets the
/// ``DNSCancellation`` flag that the work's poll loop checks.
func runBlockingDNSWork<Success: Sendable, Failure: Error>(
    _ work: @escaping @Sendable (DNSCancellation) -> Result<Success, Failure>
) async throws(Failure) -> Success {
    let cancellation = DNSCancellation()
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Success, Failure>, Never>) in
            let thread = Thread {
                continuation.resume(returning: work(cancellation))
            }
            thread.name = "valon-dns"
            thread.start()
        }
    } onCancel: {
        cancellation.cancel()
    }
    return try result.get()
}
