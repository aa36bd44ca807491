/// The registry that a zone's records describe (docs/ARCHITECTURE.md §3), kept per DNS-SD
/// instance so that a change of some owner names re-reads only the peers they belong to:
/// ``update(owners:in:)`` costs what the change touches, not what the zone holds, and gives
/// what a read of the whole zone would (``RegistryZone/init(records:zone:)`` is this type
/// read once). Pure.
///
/// Each instance `<label>._wireguard._udp.<zone>` is read from the records it names (its TXT
/// and SRV, `_wireguard._udp.<label>.<zone>`, `<label>.<zone>`, and its SRV targets'
/// addresses, `lan.<label>.<zone>` and `nated.<label>.<zone>` as the node publishes them). A
/// changed owner name leads to the instance its shape names; the index remembers only the
/// names an instance read elsewhere (an SRV target under another label), so that a change of
/// any of them re-reads it too. Everything that several records could say in some order is
/// read in a fixed order, so that the result never depends on the order of a transfer: the
/// TXT and SRV records of an owner sorted, an owner's lowest address, and a peer published
/// under several labels (its key label and its alias) merged in the order of the labels.
public struct RegistryIndex: Sendable {
    /// What one TXT record of an instance says.
    struct Reading: Hashable, Sendable {
        var peer: Peer
        /// Whether the TXT record had `alias=` (a merge keeps the alias of one that had).
        var hasAlias: Bool
    }

    /// What one instance's records say, and which owner names they are.
    struct Instance: Sendable {
        /// The instance's name, and its first label lowercased (the order of a merge).
        var name: DNSName
        var label: String
        var readings: [Reading] = []
        var problems: [String] = []
        var unresolved: [DNSName] = []
        /// Whether the instance has a TXT record (one without is no peer and is not kept).
        var exists = false
        /// The owner names the reading looked at besides the ones its label gives
        /// (``instances(named:)``): SRV targets outside `<label>.<zone>`.
        var elsewhere: [DNSName] = []
    }

    /// What an update changed.
    public struct Change: Hashable, Sendable {
        /// The peers added, removed or changed.
        public var peers: Set<WireGuardKey> = []
        public var relaysChanged = false
        public var discoveryNodesChanged = false
    }

    public let zone: DNSName
    private let service: DNSName?
    private let discoveryService: DNSName?
    private var instances: [DNSName: Instance] = [:]
    /// Owner name → the instances that read it, for names that are not under their label.
    private var dependents: [DNSName: Set<DNSName>] = [:]
    private var instancesByKey: [WireGuardKey: Set<DNSName>] = [:]
    /// The peers, by key.
    public private(set) var peers: [WireGuardKey: Peer] = [:]
    /// Lowercased alias → the peers that have it (a relay record names a peer by label).
    private var keysByAlias: [String: Set<WireGuardKey>] = [:]
    /// The owners of `_relay._udp.<label>.<zone>` records.
    private var relayOwners: Set<DNSName> = []
    /// The relayed pairs between peers of the zone, in key order.
    public private(set) var relays: [RelayAllocation] = []
    private var relayProblems: [String] = []
    /// The discovery nodes (`_discovery._udp.<zone>` TXT), in key order.
    public private(set) var discoveryNodes: [DiscoveryNode] = []
    private var nodeProblems: [String] = []

    /// Reads every instance of `records`.
    public init(_ records: ZoneRecords) {
        zone = records.zone
        service = try? RegistryZone.serviceType(in: zone)
        discoveryService = try? zone.prepending("_udp").prepending("_discovery")
        var names = Set<DNSName>()
        for owner in records.ownerNames {
            if isInstance(owner) { names.insert(owner) }
            if RegistryZone.isRelayName(owner, zone: zone) { relayOwners.insert(owner) }
        }
        var keys = Set<WireGuardKey>()
        for name in names { keys.formUnion(reread(name, records)) }
        for key in keys { remerge(key) }
        relays = readRelays(records)
        discoveryNodes = readDiscoveryNodes(records)
    }

    /// Re-reads what a change of the records of `owners` affects; returns what changed.
    public mutating func update(owners changed: Set<DNSName>, in records: ZoneRecords) -> Change {
        var affected = Set<DNSName>()
        for owner in changed {
            if isInstance(owner) { affected.insert(owner) }
            if let instance = instance(under: owner), instances[instance] != nil { affected.insert(instance) }
            if let readers = dependents[owner] { affected.formUnion(readers) }
            if RegistryZone.isRelayName(owner, zone: zone) {
                if records[owner].isEmpty { relayOwners.remove(owner) } else { relayOwners.insert(owner) }
            }
        }
        var keys = Set<WireGuardKey>()
        for name in affected { keys.formUnion(reread(name, records)) }
        var change = Change()
        for key in keys where remerge(key) { change.peers.insert(key) }
        let newRelays = readRelays(records)
        change.relaysChanged = newRelays != relays
        relays = newRelays
        let newNodes = readDiscoveryNodes(records)
        change.discoveryNodesChanged = newNodes != discoveryNodes
        discoveryNodes = newNodes
        return change
    }

    /// The registry as ``RegistryZone``: the peers in key order.
    public func registryZone(serial: UInt32?) -> RegistryZone {
        let ordered = peers.values.map { ($0.publicKey.base64, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        // Only instances with something to say, ordered once by label (then by name).
        let byLabel = instances.values.filter { !$0.problems.isEmpty || !$0.unresolved.isEmpty }
            .map { ($0.label, $0.name.description, $0) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
        var unresolved = [DNSName]()
        var seen = Set<DNSName>()
        for instance in byLabel {
            for target in instance.unresolved where seen.insert(target).inserted { unresolved.append(target) }
        }
        return RegistryZone(peers: ordered, serial: serial, unresolvedTargets: unresolved,
                            problems: byLabel.flatMap(\.problems) + relayProblems + nodeProblems,
                            relays: relays, discoveryNodes: discoveryNodes)
    }

    /// The peer published under `label` (a key label, else an alias; the lowest key when two
    /// peers share an alias), as a relay record names it.
    func key(named label: String) -> WireGuardKey? {
        if let key = try? WireGuardKey(dnsLabel: label), peers[key] != nil { return key }
        return keysByAlias[label]?.min { $0.base64 < $1.base64 }
    }

    private func isInstance(_ name: DNSName) -> Bool {
        guard let service else { return false }
        return name.labelCount == service.labelCount + 1 && name.parent == service
    }

    /// The instance whose label `name` is under: `<label>.<zone>`,
    /// `_wireguard._udp.<label>.<zone>` or `<word>.<label>.<zone>` (an SRV target).
    private func instance(under name: DNSName) -> DNSName? {
        let depth = name.labelCount - zone.labelCount
        guard depth >= 1, depth <= 3, let service else { return nil }
        let labels = name.labels
        let label: [UInt8]
        switch depth {
        case 1: label = labels[0]
        case 2: label = labels[1]
        default:
            guard Self.isWireGuardService(labels[0], labels[1]) else { return nil }
            label = labels[2]
        }
        guard var ancestor = name.parent else { return nil }
        for _ in 1..<depth { ancestor = ancestor.parent ?? ancestor }
        guard ancestor == zone else { return nil }
        return try? service.prepending(label: label)
    }

    static func isWireGuardService(_ first: [UInt8], _ second: [UInt8]) -> Bool {
        first.count == 10 && second.count == 4 && String(decoding: first, as: UTF8.self).lowercased() == "_wireguard"
            && String(decoding: second, as: UTF8.self).lowercased() == "_udp"
    }

    /// Reads instance `name` again; returns the keys it named before and now.
    private mutating func reread(_ name: DNSName, _ records: ZoneRecords) -> Set<WireGuardKey> {
        var keys = Set<WireGuardKey>()
        if let old = instances.removeValue(forKey: name) {
            for owner in old.elsewhere { dependents[owner]?.remove(name) }
            for reading in old.readings {
                keys.insert(reading.peer.publicKey)
                instancesByKey[reading.peer.publicKey]?.remove(name)
            }
        }
        let instance = read(instance: name, records)
        guard instance.exists else { return keys }
        for owner in instance.elsewhere { dependents[owner, default: []].insert(name) }
        for reading in instance.readings {
            keys.insert(reading.peer.publicKey)
            instancesByKey[reading.peer.publicKey, default: []].insert(name)
        }
        instances[name] = instance
        return keys
    }

    /// Merges the readings of `key`'s instances in label order; returns whether its peer changed.
    @discardableResult
    private mutating func remerge(_ key: WireGuardKey) -> Bool {
        let names = instancesByKey[key] ?? []
        if names.isEmpty { instancesByKey[key] = nil }
        var merged: Peer?
        let ordered = names.compactMap { instances[$0] }.sorted { $0.label < $1.label }
        for instance in ordered {
            for reading in instance.readings where reading.peer.publicKey == key {
                var peer = reading.peer
                if let known = merged {
                    peer.lanEndpoint = known.lanEndpoint ?? peer.lanEndpoint
                    peer.natEndpoint = known.natEndpoint ?? peer.natEndpoint
                    if !reading.hasAlias { peer.alias = known.alias }
                }
                merged = peer
            }
        }
        let old = peers[key]
        guard old != merged else { return false }
        if let old { keysByAlias[old.alias.lowercased()]?.remove(key) }
        if let merged { keysByAlias[merged.alias.lowercased(), default: []].insert(key) }
        peers[key] = merged
        return true
    }

    /// What the records of instance `name` say: a peer per TXT record with a key and an address.
    private func read(instance name: DNSName, _ records: ZoneRecords) -> Instance {
        let labelBytes = name.labels[0]
        var instance = Instance(name: name, label: String(decoding: labelBytes, as: UTF8.self).lowercased())
        let texts = records[name].compactMap { record -> [[UInt8]]? in
            if case .txt(let strings) = record.data { return strings }
            return nil
        }.sorted { $0.lexicographicallyPrecedes($1) { $0.lexicographicallyPrecedes($1) } }
        guard !texts.isEmpty else { return instance }
        let hostName = try? zone.prepending(label: labelBytes)
        let hostService = hostName.flatMap { try? $0.prepending("_udp").prepending("_wireguard") }
        instance.exists = true
        let services = ([name] + [hostService].compactMap { $0 }).flatMap { owner in
            records[owner].compactMap { record -> DNSSRV? in
                if case .srv(let srv) = record.data { return srv }
                return nil
            }
        }.sorted(by: Self.precedes)
        for srv in services where srv.target.parent != hostName && srv.target != hostName && !instance.elsewhere.contains(srv.target) {
            instance.elsewhere.append(srv.target)
        }
        for text in texts {
            let fields = RegistryZone.textFields(text)
            guard let key = fields["pub"].flatMap({ try? WireGuardKey(base64: $0) })
                ?? (try? WireGuardKey(dnsLabel: instance.label)) else {
                instance.problems.append("\(name): no valid pub= key in its TXT record")
                continue
            }
            guard let wgIP = fields["wg_ip"].flatMap({ IPAddress($0) }) ?? hostName.flatMap({ Self.address(records[$0]) }) else {
                instance.problems.append("\(name): no valid wg_ip= in its TXT record and no address record")
                continue
            }
            var peer = Peer(publicKey: key, alias: fields["alias"] ?? instance.label, wgIP: wgIP,
                            natKind: fields["nat"].flatMap { NATKind(rawValue: $0) })
            for srv in services {
                guard let address = Self.address(records[srv.target]) else {
                    if !instance.unresolved.contains(srv.target) { instance.unresolved.append(srv.target) }
                    continue
                }
                let endpoint = Endpoint(address: address, port: srv.port)
                switch RegistryZone.kind(of: srv) {
                case .lan: peer.lanEndpoint = peer.lanEndpoint ?? endpoint
                case .nat: peer.natEndpoint = peer.natEndpoint ?? endpoint
                }
            }
            instance.readings.append(Reading(peer: peer, hasAlias: fields["alias"] != nil))
        }
        return instance
    }

    /// A fixed order of SRV records: priority, weight, port, then the target's wire form.
    static func precedes(_ a: DNSSRV, _ b: DNSSRV) -> Bool {
        if (a.priority, a.weight, a.port) != (b.priority, b.weight, b.port) { return (a.priority, a.weight, a.port) < (b.priority, b.weight, b.port) }
        return a.target.storage.lexicographicallyPrecedes(b.target.storage)
    }

    /// The lowest address among an owner's A and AAAA records.
    static func address(_ records: some Sequence<DNSResourceRecord>) -> IPAddress? {
        records.compactMap { record -> IPAddress? in
            switch record.data {
            case .a(let address): .v4(address)
            case .aaaa(let address): .v6(address)
            default: nil
            }
        }.min()
    }

    /// The relayed pairs: the owner is a peer by key label or alias, the target its other
    /// peer's key label; a pair with a peer outside the zone is left out (and said).
    private mutating func readRelays(_ records: ZoneRecords) -> [RelayAllocation] {
        var found = Set<RelayAllocation>()
        var problems = [String]()
        let owners = relayOwners.map { ($0.description.lowercased(), $0) }.sorted { $0.0 < $1.0 }
        for (_, name) in owners {
            let owner = String(decoding: name.labels[2], as: UTF8.self).lowercased()
            let services = records[name].compactMap { record -> DNSSRV? in
                if case .srv(let srv) = record.data { return srv }
                return nil
            }.sorted(by: Self.precedes)
            for srv in services {
                guard let ownerKey = key(named: owner), srv.target.parent == zone,
                      let target = srv.target.labels.first.map({ String(decoding: $0, as: UTF8.self).lowercased() }),
                      let otherKey = key(named: target), otherKey != ownerKey, srv.port > 0 else {
                    problems.append("_relay._udp.\(owner): SRV to \(srv.target) port \(srv.port) names no relayed pair of the zone")
                    continue
                }
                found.insert(RelayAllocation(between: ownerKey, and: otherKey, port: srv.port))
            }
        }
        relayProblems = problems
        return found.sorted { ($0.first.base64, $0.second.base64) < ($1.first.base64, $1.second.base64) }
    }

    /// The discovery nodes: one TXT each, `pub=`, `wg_ip=` and, for a node clients can fail
    /// over to, `endpoint=host:port`.
    private mutating func readDiscoveryNodes(_ records: ZoneRecords) -> [DiscoveryNode] {
        guard let discoveryService else { return [] }
        let texts = records[discoveryService].compactMap { record -> [[UInt8]]? in
            if case .txt(let strings) = record.data { return strings }
            return nil
        }.sorted { $0.lexicographicallyPrecedes($1) { $0.lexicographicallyPrecedes($1) } }
        var nodes = [WireGuardKey: DiscoveryNode]()
        var problems = [String]()
        for text in texts {
            let fields = RegistryZone.textFields(text)
            guard let key = fields["pub"].flatMap({ try? WireGuardKey(base64: $0) }),
                  let address = fields["wg_ip"].flatMap({ IPAddress($0) }) else {
                problems.append("_discovery._udp.\(zone): a TXT record without a valid pub= and wg_ip=")
                continue
            }
            let endpoint = fields["endpoint"].flatMap { HostPort($0) }.map(\.description)
            nodes[key] = DiscoveryNode(publicKey: key, wgIP: address, endpoint: endpoint, relay: fields["relay"])
        }
        nodeProblems = problems
        return nodes.values.sorted { $0.publicKey.base64 < $1.publicKey.base64 }
    }
}
