/// Why a socket exchange with a DNS server stopped, before the resolver names the
/// query and server in a ``DNSError``.
enum DNSTransportFailure: Error {
    /// A system call failed.
    case system(SystemError)
    /// The deadline passed while waiting.
    case timedOut
    /// The awaiting task was cancelled.
    case cancelled
    /// The server closed the TCP connection; `midMessage` when part of a message was read.
    case closed(midMessage: Bool)
}

extension DNSTransportFailure {
    /// Runs `body`, passing a ``DNSTransportFailure`` on and wrapping a ``SystemError``.
    static func catching<Result>(_ body: () throws -> Result) throws(DNSTransportFailure) -> Result {
        do {
            return try body()
        } catch let error as DNSTransportFailure {
            throw error
        } catch let error as SystemError {
            throw .system(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }
}
