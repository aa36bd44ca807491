/// The registry as its DNS zone publishes it (docs/ARCHITECTURE.md §3), read back into peers: from the
/// records of a zone transfer (AXFR, RFC 5936) or of a DNS-SD browse (RFC 6763). Pure.
///
/// Each peer is a DNS-SD instance `<name>._wireguard._udp.<zone>` whose TXT record holds
/// `pub=<base64 key>`, `wg_ip=<ip>` and `alias=<alias>` (RFC 6763 §6) and whose SRV
/// records point at `lan.<name>.<zone>` (priority 0) and `nated.<name>.<zone>`
/// (priority 10) with the ports (RFC 2782); the targets' A/AAAA records give the
/// addresses. A peer published under both its alias and its key label is one peer.
public struct RegistryZone: Hashable, Sendable {
    /// The peers, ordered by their base64 key (the registry's order).
    public var peers: [Peer]
    /// The zone's SOA serial, when the records held the zone's SOA.
    public var serial: UInt32?
    /// SRV targets without an address among the records: a browse asks for them next.
    public var unresolvedTargets: [DNSName]
    /// Instances that could not be read as a peer, with why.
    public var problems: [String]
    /// The relayed pairs (`_relay._udp.<name>.<zone>` SRV, docs/ARCHITECTURE.md §10) between
    /// peers of the zone.
    public var relays: [RelayAllocation]
    /// The discovery nodes (`_discovery._udp.<zone>` TXT, docs/ARCHITECTURE.md §11), in key order.
    public var discoveryNodes: [DiscoveryNode]

    public init(peers: [Peer], serial: UInt32?, unresolvedTargets: [DNSName] = [], problems: [String] = [],
                relays: [RelayAllocation] = [], discoveryNodes: [DiscoveryNode] = []) {
        self.discoveryNodes = discoveryNodes
        self.peers = peers
        self.serial = serial
        self.unresolvedTargets = unresolvedTargets
        self.problems = problems
        self.relays = relays
    }

    /// The relay port of the pair of `a` and `b`, if the zone publishes one.
    public func relayPort(between a: WireGuardKey, and b: WireGuardKey) -> UInt16? {
        let (first, second) = RelayAllocation.ordered(a, b)
        return relays.first { $0.first == first && $0.second == second }?.port
    }

    /// The DNS-SD service type of VALON peers in `zone`: `_wireguard._udp.<zone>`.
    public static func serviceType(in zone: DNSName) throws(DNSError) -> DNSName {
        try zone.prepending("_udp").prepending("_wireguard")
    }

    /// Reads the peers that `records` describe in `zone`; records of other zones and
    /// types are ignored. The result does not depend on the order of the records
    /// (``RegistryIndex``, which a client that applies IXFR differences keeps updated).
    public init(records: [DNSResourceRecord], zone: DNSName) {
        let zoneRecords = ZoneRecords(zone: zone, records: records)
        self = RegistryIndex(zoneRecords).registryZone(serial: zoneRecords.serial)
    }

    /// Whether `name` is `_relay._udp.<name>.<zone>`.
    static func isRelayName(_ name: DNSName, zone: DNSName) -> Bool {
        guard name.labelCount == zone.labelCount + 3, name.parent?.parent?.parent == zone else { return false }
        func lower(_ label: [UInt8]) -> String { String(decoding: label, as: UTF8.self).lowercased() }
        return lower(name.labels[0]) == "_relay" && lower(name.labels[1]) == "_udp"
    }

    /// Which endpoint an SRV record names: by its target's first label (`lan` or
    /// `nated`), else by priority (0 is the LAN endpoint, docs/ARCHITECTURE.md §3).
    static func kind(of srv: DNSSRV) -> PeerEndpointKind {
        switch srv.target.labels.first.map({ String(decoding: $0, as: UTF8.self).lowercased() }) {
        case "lan": .lan
        case "nated": .nat
        default: srv.priority == 0 ? .lan : .nat
        }
    }

    /// The `key=value` strings of a DNS-SD TXT record (RFC 6763 §6.3: keys are
    /// case-insensitive, the first occurrence counts).
    static func textFields(_ strings: [[UInt8]]) -> [String: String] {
        var fields = [String: String]()
        for string in strings {
            let text = String(decoding: string, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            let key = text[..<equals].lowercased()
            if fields[key] == nil { fields[key] = String(text[text.index(after: equals)...]) }
        }
        return fields
    }
}
