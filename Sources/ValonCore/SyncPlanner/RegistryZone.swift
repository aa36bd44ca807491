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
    /// types are ignored.
    public init(records: [DNSResourceRecord], zone: DNSName) {
        let service = try? Self.serviceType(in: zone)
        var serial: UInt32?
        var addresses = [DNSName: [IPAddress]]()
        var services = [DNSName: [DNSSRV]]()
        var instances = [(name: DNSName, text: [[UInt8]])]()
        var relayRecords = [(owner: String, srv: DNSSRV)]()
        let discoveryService = try? zone.prepending("_udp").prepending("_discovery")
        var nodeTexts = [[[UInt8]]]()
        for record in records {
            switch record.data {
            case .soa(let soa) where record.name == zone && serial == nil:
                serial = soa.serial
            case .a(let address):
                addresses[record.name, default: []].append(.v4(address))
            case .aaaa(let address):
                addresses[record.name, default: []].append(.v6(address))
            case .srv(let srv) where Self.isRelayName(record.name, zone: zone):
                relayRecords.append((String(decoding: record.name.labels[2], as: UTF8.self).lowercased(), srv))
            case .srv(let srv):
                services[record.name, default: []].append(srv)
            case .txt(let strings) where record.name == discoveryService:
                nodeTexts.append(strings)
            case .txt(let strings) where record.name.parent == service && record.name.labelCount > 0:
                instances.append((record.name, strings))
            default:
                break
            }
        }

        var byKey = [WireGuardKey: Peer]()
        var unresolved = [DNSName]()
        var problems = [String]()
        for instance in instances {
            let label = String(decoding: instance.name.labels[0], as: UTF8.self).lowercased()
            let fields = Self.textFields(instance.text)
            guard let key = fields["pub"].flatMap({ try? WireGuardKey(base64: $0) })
                ?? (try? WireGuardKey(dnsLabel: label)) else {
                problems.append("\(instance.name): no valid pub= key in its TXT record")
                continue
            }
            let hostName = try? zone.prepending(label)
            guard let wgIP = fields["wg_ip"].flatMap({ IPAddress($0) })
                ?? hostName.flatMap({ addresses[$0]?.first }) else {
                problems.append("\(instance.name): no valid wg_ip= in its TXT record and no address record")
                continue
            }
            var peer = Peer(publicKey: key, alias: fields["alias"] ?? label, wgIP: wgIP,
                            natKind: fields["nat"].flatMap { NATKind(rawValue: $0) })
            var srvRecords = services[instance.name] ?? []
            if let hostName, let host = try? hostName.prepending("_udp").prepending("_wireguard") {
                srvRecords += services[host] ?? []
            }
            for srv in srvRecords {
                guard let address = addresses[srv.target]?.first else {
                    if !unresolved.contains(srv.target) { unresolved.append(srv.target) }
                    continue
                }
                let endpoint = Endpoint(address: address, port: srv.port)
                switch Self.kind(of: srv) {
                case .lan: peer.lanEndpoint = peer.lanEndpoint ?? endpoint
                case .nat: peer.natEndpoint = peer.natEndpoint ?? endpoint
                }
            }
            if let known = byKey[key] {
                peer.lanEndpoint = known.lanEndpoint ?? peer.lanEndpoint
                peer.natEndpoint = known.natEndpoint ?? peer.natEndpoint
                if fields["alias"] == nil { peer.alias = known.alias }
            }
            byKey[key] = peer
        }
        // The relayed pairs: the owner is a peer by key label or alias, the target its other
        // peer's key label; a pair with a peer outside the zone is left out.
        var keyByName = [String: WireGuardKey]()
        for peer in byKey.values {
            keyByName[peer.publicKey.dnsLabel] = peer.publicKey
            if keyByName[peer.alias.lowercased()] == nil { keyByName[peer.alias.lowercased()] = peer.publicKey }
        }
        var relays = Set<RelayAllocation>()
        for (owner, srv) in relayRecords {
            guard let ownerKey = keyByName[owner], srv.target.parent == zone,
                  let target = srv.target.labels.first.map({ String(decoding: $0, as: UTF8.self).lowercased() }),
                  let otherKey = keyByName[target], otherKey != ownerKey, srv.port > 0 else {
                problems.append("_relay._udp.\(owner): SRV to \(srv.target) port \(srv.port) names no relayed pair of the zone")
                continue
            }
            relays.insert(RelayAllocation(between: ownerKey, and: otherKey, port: srv.port))
        }
        // The discovery nodes: one TXT each, `pub=`, `wg_ip=` and, for a node clients can fail
        // over to, `endpoint=host:port`.
        var nodes = [WireGuardKey: DiscoveryNode]()
        for text in nodeTexts {
            let fields = Self.textFields(text)
            guard let key = fields["pub"].flatMap({ try? WireGuardKey(base64: $0) }),
                  let address = fields["wg_ip"].flatMap({ IPAddress($0) }) else {
                problems.append("_discovery._udp.\(zone): a TXT record without a valid pub= and wg_ip=")
                continue
            }
            let endpoint = fields["endpoint"].flatMap { HostPort($0) }.map(\.description)
            nodes[key] = DiscoveryNode(publicKey: key, wgIP: address, endpoint: endpoint, relay: fields["relay"])
        }
        self.init(peers: byKey.values.sorted { $0.publicKey.base64 < $1.publicKey.base64 },
                  serial: serial, unresolvedTargets: unresolved, problems: problems,
                  relays: relays.sorted { ($0.first.base64, $0.second.base64) < ($1.first.base64, $1.second.base64) },
                  discoveryNodes: nodes.values.sorted { $0.publicKey.base64 < $1.publicKey.base64 })
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
