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
    /// The underlying error (a ``DNSError``, ``WireGuardError``, ``NetlinkError``, …), kept
    /// as the error itself so that callers can look into it, as swift-nio's
    /// `FileSystemError` keeps its cause.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }

    /// Two errors are equal when code, message and the cause's text are.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
            && lhs.cause.map { "\($0)" } == rhs.cause.map { "\($0)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(cause.map { "\($0)" })
    }
}
