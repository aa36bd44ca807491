import ValonKit

/// An immutable view of the whole registry at one etcd revision, indexed the ways the
/// discovery node asks: by alias and key label (DNS names), by WireGuard address (who is
/// calling the DDNS API) and by public key (reconciliation, endpoint learning).
///
/// The DNS server answers from one snapshot at a time; a new snapshot replaces the old
/// one atomically when etcd changes, so an answer never mixes two registry states.
public struct RegistrySnapshot: Sendable {
    /// The peers, in the registry's order (by base64 key).
    public let peers: [Peer]
    /// The etcd revision the peers were read at.
    public let revision: Int64
    /// Records that could not be read as peers, kept for `/health` and the logs.
    public let problems: [RegistryError]
    /// The relayed pairs (docs/ARCHITECTURE.md §10), in etcd's order.
    public let relays: [RelayAllocation]
    /// The registered discovery nodes (docs/ARCHITECTURE.md §11), in key order.
    public let discoveryNodes: [DiscoveryNode]

    private let byName: [String: Int]
    private let byAddress: [IPAddress: Int]
    private let byKey: [WireGuardKey: Int]
    /// Each peer's relayed pairs: the other peer and the port.
    private let relaysByKey: [WireGuardKey: [(peer: WireGuardKey, port: UInt16)]]

    public init(listing: PeerListing) {
        self.init(peers: listing.peers, revision: listing.revision, problems: listing.problems, relays: listing.relays,
                  discoveryNodes: listing.discoveryNodes)
    }

    public init(peers: [Peer], revision: Int64, problems: [RegistryError] = [], relays: [RelayAllocation] = [],
                discoveryNodes: [DiscoveryNode] = []) {
        self.discoveryNodes = discoveryNodes
        self.peers = peers
        self.revision = revision
        self.problems = problems
        self.relays = relays
        var relaysByKey = [WireGuardKey: [(peer: WireGuardKey, port: UInt16)]]()
        for relay in relays {
            relaysByKey[relay.first, default: []].append((relay.second, relay.port))
            relaysByKey[relay.second, default: []].append((relay.first, relay.port))
        }
        self.relaysByKey = relaysByKey
        var byName = [String: Int](minimumCapacity: peers.count * 2)
        var byAddress = [IPAddress: Int](minimumCapacity: peers.count)
        var byKey = [WireGuardKey: Int](minimumCapacity: peers.count)
        for (index, peer) in peers.enumerated() {
            // The alias and the 52-character key label never collide: aliases are at most 63
            // characters but a label-shaped alias would be decoded as a key first by clients,
            // so the alias wins here only when no peer has that key label.
            byName[peer.publicKey.dnsLabel] = index
            byAddress[peer.wgIP] = index
            byKey[peer.publicKey] = index
        }
        for (index, peer) in peers.enumerated() where byName[peer.alias.lowercased()] == nil {
            byName[peer.alias.lowercased()] = index
        }
        self.byName = byName
        self.byAddress = byAddress
        self.byKey = byKey
    }

    /// The peer named by `label`: its alias or its 52-character base32 key label,
    /// compared case-insensitively (DNS names are, RFC 4343).
    public func peer(named label: String) -> Peer? {
        byName[label.lowercased()].map { peers[$0] }
    }

    /// The peer whose WireGuard address is `address`.
    public func peer(address: IPAddress) -> Peer? {
        byAddress[address].map { peers[$0] }
    }

    /// The peer with this public key.
    public func peer(key: WireGuardKey) -> Peer? {
        byKey[key].map { peers[$0] }
    }

    /// The pairs `key` is relayed in whose other peer is registered: that peer and the port.
    public func relays(of key: WireGuardKey) -> [(peer: Peer, port: UInt16)] {
        (relaysByKey[key] ?? []).compactMap { relay in peer(key: relay.peer).map { ($0, relay.port) } }
    }

    /// The zone's SOA serial: the etcd revision, reduced to 32 bits. RFC 1982 serial
    /// arithmetic makes the wrap harmless as long as fewer than 2^31 revisions pass between
    /// two looks by one secondary. Never 0: clients take serial 0 for an unread registry
    /// (docs/ARCHITECTURE.md §9) and refuse it, so the one revision in 2^32 that reduces to
    /// 0 is served as 1.
    public var serial: UInt32 {
        let serial = UInt32(truncatingIfNeeded: revision)
        return serial == 0 ? 1 : serial
    }
}
