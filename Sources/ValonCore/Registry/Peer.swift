/// One registered WireGuard peer, as the registry keeps it (docs/ARCHITECTURE.md §3):
/// `/valon/peers/<base64 key>/{wg_ip, alias, lan_endpoint, nat_endpoint}`.
public struct Peer: Sendable, Hashable {
    /// The peer's WireGuard public key; its base64 form names the peer in etcd.
    public var publicKey: WireGuardKey
    /// The peer's DNS name inside the zone (a DNS label, see ``PeerValidation/alias(_:)``).
    public var alias: String
    /// The peer's address inside the WireGuard network.
    public var wgIP: IPAddress
    /// Where the peer listens on its own LAN, as it reported it.
    public var lanEndpoint: Endpoint?
    /// Where the discovery node sees the peer's packets come from (after NAT).
    public var natEndpoint: Endpoint?
    /// What the discovery nodes found out about the peer's NAT (docs/ARCHITECTURE.md §11):
    /// `symmetric` makes its NAT endpoint useless to other peers, so they go to the relay.
    public var natKind: NATKind?

    public init(publicKey: WireGuardKey, alias: String, wgIP: IPAddress,
                lanEndpoint: Endpoint? = nil, natEndpoint: Endpoint? = nil, natKind: NATKind? = nil) {
        self.publicKey = publicKey
        self.alias = alias
        self.wgIP = wgIP
        self.lanEndpoint = lanEndpoint
        self.natEndpoint = natEndpoint
        self.natKind = natKind
    }
}

/// A peer's NAT as the discovery nodes found it (`nat_kind`, docs/ARCHITECTURE.md §11).
public enum NATKind: String, Sendable, Hashable, Codable {
    /// Endpoint-dependent mapping: a new port for every destination (RFC 4787 §4.1).
    case symmetric
}

/// Which of a peer's two endpoints.
public enum PeerEndpointKind: String, Sendable, Hashable, CaseIterable {
    case lan
    case nat
}

/// All peers of the registry, read in one range request.
public struct PeerListing: Sendable, Hashable {
    /// The peers, ordered by their base64 key (etcd's key order).
    public var peers: [Peer]
    /// The etcd revision the listing was read at (the DNS zone's SOA serial follows it).
    public var revision: Int64
    /// Records that could not be read as a peer (a bad key, a missing `wg_ip`), with why.
    public var problems: [RegistryError]
    /// The relayed pairs (docs/ARCHITECTURE.md §10), read at the same revision.
    public var relays: [RelayAllocation]
    /// The discovery nodes registered at that revision (docs/ARCHITECTURE.md §11).
    public var discoveryNodes: [DiscoveryNode] = []

    public init(peers: [Peer], revision: Int64, problems: [RegistryError] = [], relays: [RelayAllocation] = [],
                discoveryNodes: [DiscoveryNode] = []) {
        self.discoveryNodes = discoveryNodes
        self.peers = peers
        self.revision = revision
        self.problems = problems
        self.relays = relays
    }
}
