/// A failed netlink operation: which request, on which interface, and the `errno` the
/// kernel (an `NLMSG_ERROR` reply) or the socket returned.
public struct NetlinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// Opening, binding, sending on or receiving from the netlink socket failed.
        case socket
        /// The kernel answered the request with a negative `NLMSG_ERROR`; see ``errno``.
        case kernel
        /// A reply did not parse: a length past the end, a missing attribute.
        case malformedReply
        /// The kernel does not know the `wireguard` link kind or generic netlink family
        /// (no module): callers fall back to a userspace implementation.
        case noWireGuardInKernel
    }

    public var code: Code
    /// What failed and where, for example `RTM_NEWADDR 10.0.0.1/24 on wg0`.
    public var message: String
    /// The system call or kernel error underneath, with its `errno`.
    public var cause: SystemError?

    public init(_ code: Code, _ message: String, cause: SystemError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The `errno` of the cause, if any (`EEXIST`, `ENODEV`, `EOPNOTSUPP`, …).
    public var errno: Int32? { cause?.errno }

    public var description: String {
        cause.map { "\(message): \($0.reason) (errno \($0.errno))" } ?? message
    }
}
