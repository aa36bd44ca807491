/// Why a `valonctl` operation failed: a class that decides the process's exit status,
/// a message that says what failed and where, and the error of the layer underneath.
///
/// The classes and their exit statuses are part of `valonctl`'s interface (its `--help`
/// lists them), so scripts can tell a conflict from an outage.
public struct AdminError: Error, Sendable, CustomStringConvertible {
    public enum Code: Int32, Sendable, Hashable, CaseIterable {
        /// Anything not covered below.
        case failure = 1
        /// Bad command line or an invalid value: a key that is not base64 of 32 bytes,
        /// a bad alias, an address outside the network.
        case usage = 2
        /// The alias, the address or the key is already registered; the network is full.
        case conflict = 3
        /// No peer with that alias or key.
        case notFound = 4
        /// No etcd endpoint answered (every endpoint tried is named).
        case etcdUnreachable = 5
        /// The WireGuard interface is missing or refused the change.
        case interface = 6
        /// Not allowed: a file, the WireGuard control socket or netlink (CAP_NET_ADMIN),
        /// or etcd's authentication.
        case permissionDenied = 7
        /// The configuration file is missing or invalid.
        case configuration = 8
        /// `status`: at least one check failed.
        case unhealthy = 9

        /// The process exit status for this class.
        public var exitStatus: Int32 { rawValue }

        /// One line for `--help`.
        public var summary: String {
            switch self {
            case .failure: "other failure"
            case .usage: "usage error or invalid value (key, alias, address outside the network)"
            case .conflict: "alias, address or key taken; network full; no relay port free"
            case .notFound: "no such peer or relay"
            case .etcdUnreachable: "etcd unreachable (every endpoint tried is named)"
            case .interface: "WireGuard interface missing or refused the change"
            case .permissionDenied: "permission denied (file, WireGuard socket or netlink, etcd auth)"
            case .configuration: "configuration file missing or invalid"
            case .unhealthy: "status: a check failed"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The error of the layer underneath (registry, etcd, WireGuard, configuration, key).
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
