import ValonKit

/// Why the discovery node could not start: what failed and where, and the cause.
public struct DiscoveryError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The configured WireGuard interface does not exist.
        case interfaceMissing
        /// The interface exists but cannot be read as a WireGuard device.
        case notWireGuard
        /// The interface's addresses could not be read over rtnetlink.
        case addresses
        /// The etcd client could not be set up (bad TLS files, bad endpoint URLs).
        case etcdClient
        /// The zone or a forwarder of the config cannot be served.
        case dnsConfiguration
    }

    public var code: Code
    public var message: String
    /// The failure underneath: a ``NetlinkError``, ``WireGuardError``, ``EtcdError`` or ``DNSError``.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}
