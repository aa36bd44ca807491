/// Why a registry operation was refused or failed.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The alias is not a usable DNS label, or is reserved.
        case invalidAlias
        /// The public key is not base64 of exactly 32 bytes.
        case invalidKey
        /// An endpoint is not `ipv4:port` or `[ipv6]:port`.
        case invalidEndpoint
        /// The requested address is outside the network, or the network or broadcast
        /// address, or a discovery node's address.
        case invalidAddress
        /// Another peer has this alias.
        case aliasTaken
        /// Another peer has this address.
        case addressTaken
        /// A peer with this key is already registered.
        case keyRegistered
        /// No peer with this key or alias.
        case peerNotFound
        /// Every address of the network is in use.
        case networkFull
        /// Every port of the relay's range is allocated to a pair.
        case relayPortsExhausted
        /// A relay between a peer and itself.
        case invalidRelay
        /// A stored record cannot be read as a peer.
        case invalidRecord
        /// Concurrent changes kept the operation from completing.
        case conflict
        /// etcd failed; see ``RegistryError/etcdError``.
        case etcd
    }

    public var code: Code
    public var message: String
    /// The key (base64) that holds a taken alias or address, or names a bad record.
    public var holder: String?
    /// The etcd failure behind a `.etcd` error.
    public var etcdError: EtcdError?

    public init(_ code: Code, _ message: String, holder: String? = nil, etcdError: EtcdError? = nil) {
        self.code = code
        self.message = message
        self.holder = holder
        self.etcdError = etcdError
    }

    public var description: String {
        etcdError.map { "\(message): \($0)" } ?? message
    }

    public static func == (lhs: RegistryError, rhs: RegistryError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.holder == rhs.holder
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
