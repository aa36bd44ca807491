import ValonKit

/// A name of the zone (docs/ARCHITECTURE.md §3), found from the labels below the apex. `label` is the
/// peer's name as asked (its alias or its 52-character key label, in the question's case).
enum DNSZoneNode {
    /// `<zone>`: SOA, NS.
    case apex
    /// `discovery.<zone>`: A/AAAA of every discovery node (docs/ARCHITECTURE.md §11).
    case discovery
    /// `_discovery._udp.<zone>`: one SRV and one TXT (`pub=`, `wg_ip=`, `endpoint=`) per
    /// registered discovery node.
    case discoveryNodes
    /// `<key label>.discovery.<zone>`: A/AAAA of a node's public WireGuard address (its SRV target).
    case discoveryHost(DiscoveryNode)
    /// `<name>.<zone>`: A/AAAA of the WireGuard address.
    case peer(Peer, label: [UInt8])
    /// `lan.<name>.<zone>`, `nated.<name>.<zone>`: A/AAAA of an endpoint's address.
    case endpoint(Peer, label: [UInt8], kind: PeerEndpointKind)
    /// `_wireguard._udp.<name>.<zone>`: SRV to the endpoints.
    case service(Peer, label: [UInt8])
    /// `_relay._udp.<name>.<zone>`: SRV `0 0 <relay port> <other key label>.<zone>.` for each
    /// pair the peer is relayed in (docs/ARCHITECTURE.md §10); only for a peer that has one.
    case relay(Peer, label: [UInt8])
    /// `_wireguard._udp.<zone>`: PTR to every peer's instance (DNS-SD browse, RFC 6763 §4).
    case browse
    /// `<name>._wireguard._udp.<zone>`: SRV and TXT (RFC 6763 §6).
    case instance(Peer, label: [UInt8])
    /// `_valon._tcp.<zone>`: SRV `0 0 0 <key label>.<zone>.` to every peer, the original
    /// plugin's DNS-SD listing (kept for its users' scripts).
    case listing
    /// A name that exists only because names below it do (`_udp.<zone>`, `_tcp.<zone>`,
    /// `_udp.<name>.<zone>`): NODATA for every type (RFC 8020).
    case emptyNonTerminal

    static let wireguard = Array("_wireguard".utf8)
    static let relayLabel = Array("_relay".utf8)
    static let udp = Array("_udp".utf8)
    static let valon = Array("_valon".utf8)
    static let tcp = Array("_tcp".utf8)
    static let lan = Array("lan".utf8)
    static let nated = Array("nated".utf8)
    static let discoveryLabel = Array("discovery".utf8)
    static let discoveryService = Array("_discovery".utf8)

    /// The node for the labels below the apex (most specific first), or `nil` when the
    /// name does not exist in the zone.
    init?(relative labels: ArraySlice<[UInt8]>, snapshot: RegistrySnapshot) {
        func peer(_ label: [UInt8]) -> Peer? {
            snapshot.peer(named: String(decoding: label, as: UTF8.self))
        }
        func equal(_ label: [UInt8], _ word: [UInt8]) -> Bool {
            label.count == word.count && zip(label, word).allSatisfy { ($0 &- 0x41 < 26 ? $0 | 0x20 : $0) == $1 }
        }
        let labels = Array(labels)
        switch labels.count {
        case 0:
            self = .apex
        case 1 where equal(labels[0], Self.discoveryLabel):
            self = .discovery
        case 1 where equal(labels[0], Self.udp):
            guard !snapshot.peers.isEmpty || !snapshot.discoveryNodes.isEmpty else { return nil }
            self = .emptyNonTerminal
        case 1 where equal(labels[0], Self.tcp):
            guard !snapshot.peers.isEmpty else { return nil }
            self = .emptyNonTerminal
        case 1:
            guard let found = peer(labels[0]) else { return nil }
            self = .peer(found, label: labels[0])
        case 2 where equal(labels[0], Self.wireguard) && equal(labels[1], Self.udp):
            guard !snapshot.peers.isEmpty else { return nil }
            self = .browse
        case 2 where equal(labels[0], Self.discoveryService) && equal(labels[1], Self.udp):
            guard !snapshot.discoveryNodes.isEmpty else { return nil }
            self = .discoveryNodes
        case 2 where equal(labels[1], Self.discoveryLabel):
            let label = String(decoding: labels[0], as: UTF8.self).lowercased()
            guard let node = snapshot.discoveryNodes.first(where: { $0.publicKey.dnsLabel == label }),
                  node.endpoint.flatMap({ HostPort($0)?.address }) != nil else { return nil }
            self = .discoveryHost(node)
        case 2 where equal(labels[0], Self.valon) && equal(labels[1], Self.tcp):
            guard !snapshot.peers.isEmpty else { return nil }
            self = .listing
        case 2 where equal(labels[0], Self.udp):
            guard peer(labels[1]) != nil else { return nil }
            self = .emptyNonTerminal
        case 2 where equal(labels[0], Self.lan) || equal(labels[0], Self.nated):
            let kind: PeerEndpointKind = equal(labels[0], Self.lan) ? .lan : .nat
            guard let found = peer(labels[1]),
                  (kind == .lan ? found.lanEndpoint : found.natEndpoint) != nil else { return nil }
            self = .endpoint(found, label: labels[1], kind: kind)
        case 3 where equal(labels[0], Self.wireguard) && equal(labels[1], Self.udp):
            guard let found = peer(labels[2]) else { return nil }
            self = .service(found, label: labels[2])
        case 3 where equal(labels[0], Self.relayLabel) && equal(labels[1], Self.udp):
            guard let found = peer(labels[2]), !snapshot.relays(of: found.publicKey).isEmpty else { return nil }
            self = .relay(found, label: labels[2])
        case 3 where equal(labels[1], Self.wireguard) && equal(labels[2], Self.udp):
            guard let found = peer(labels[0]) else { return nil }
            self = .instance(found, label: labels[0])
        default:
            return nil
        }
    }
}
