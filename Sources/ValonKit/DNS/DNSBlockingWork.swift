import Foundation

/// Runs blocking socket work on ``BlockingPool``, never on Swift's cooperative pool, and
/// resumes the awaiting task with its result. Cancelling the task sets the
/// ``DNSCancellation`` flag that the work's poll loop checks.
func runBlockingDNSWork<Success: Sendable, Failure: Error>(
    _ work: @escaping @Sendable (DNSCancellation) -> Result<Success, Failure>
) async throws(Failure) -> Success {
    let cancellation = DNSCancellation()
    let result = await withTaskCancellationHandler {
        await runBlocking { work(cancellation) }
    } onCancel: {
        cancellation.cancel()
    }
    return try result.get()
}
