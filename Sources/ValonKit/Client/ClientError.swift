/// A failure of valon-sync or valon-bootstrap: which step failed, a message naming what
/// and where (the server, the interface, the file), and the underlying error.
public struct ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, Codable {
        /// client.conf or the command line is unusable.
        case configuration
        /// The private key file cannot be read or written.
        case key
        /// Reading or changing the WireGuard interface failed.
        case device
        /// Links, addresses or routes (rtnetlink) failed.
        case network
        /// The registry could not be read over DNS; the device was left as it was.
        case registry
        /// The DDNS API refused or did not answer the endpoint report.
        case api
        /// The state directory could not be read or written.
        case state
        /// The userspace WireGuard implementation could not be started or stopped.
        case userspace
        /// No handshake with the discovery node came in time.
        case handshake
    }

    public var code: Code
    public var message: String
    /// The underlying error, as text (a ``DNSError``, ``WireGuardError``, ``NetlinkError``, …).
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { String(describing: $0) }
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}
