/// Why an operation on a WireGuard device failed, from any backend.
///
/// The ``message`` names the operation and the device (`"set wg0: …"`); ``cause`` holds
/// the failed system call where there is one.
public struct WireGuardError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// No interface of that name, or it is not a WireGuard interface (`ENODEV`), or
        /// its userspace socket is missing or refuses connections.
        case noSuchDevice
        /// The caller may not control the device (`EPERM`/`EACCES`: needs `CAP_NET_ADMIN`
        /// or access to the userspace socket).
        case permissionDenied
        /// An argument was refused before anything was sent: a bad interface name, an
        /// update the protocol cannot express.
        case invalidArgument
        /// The reply broke the protocol: malformed, truncated or unexpected.
        case protocolError
        /// No reply in time from a userspace implementation.
        case timedOut
        /// The kernel refused the request over netlink with this `errno`.
        case kernel(errno: Int32)
        /// A userspace implementation answered `errno=N` with this non-zero value.
        case userspace(errno: Int32)
        /// A system call on our side failed (socket, connect, read, write); see ``cause``.
        case system
    }

    public var code: Code
    /// The operation: `"get"`, `"set"`, `"list"`.
    public var operation: String
    /// The interface name, or the socket directory for `"list"`.
    public var device: String
    /// What went wrong, in words.
    public var detail: String
    /// The underlying system call failure, if any.
    public var cause: SystemError?

    public init(_ code: Code, operation: String, device: String, _ detail: String, cause: SystemError? = nil) {
        self.code = code
        self.operation = operation
        self.device = device
        self.detail = detail
        self.cause = cause
    }

    /// `"<operation> <device>: <detail>[: <cause>]"`.
    public var message: String {
        let head = device.isEmpty ? operation : "\(operation) \(device)"
        return cause.map { "\(head): \(detail): \($0)" } ?? "\(head): \(detail)"
    }

    public var description: String { message }
}
