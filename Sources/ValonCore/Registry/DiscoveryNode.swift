/// One discovery node as it registers itself in the registry (docs/ARCHITECTURE.md §11):
///
/// ```
/// <prefix>discovery/<base64 key>/wg_ip     → its address in the VALON network
/// <prefix>discovery/<base64 key>/endpoint  → host:port of its WireGuard interface, as clients reach it
/// <prefix>discovery/<base64 key>/relay     → host:first-last, its relay's ports (when the relay is on)
/// ```
///
/// The records are attached to the node's etcd lease, so a node that dies leaves the
/// registry when the lease expires; a clean shutdown revokes the lease at once. Its address
/// is also claimed under `<prefix>ips/` (not leased), so `peer add` never hands it out.
public struct DiscoveryNode: Sendable, Hashable, Codable {
    public var publicKey: WireGuardKey
    public var wgIP: IPAddress
    /// `host:port` where clients reach the node's WireGuard interface; `nil` when the node
    /// was not told (`advertise_endpoint`): clients cannot fail over to it then.
    public var endpoint: String?
    /// `host:first-last`: the relay's public address and port range; `nil` with the relay off.
    public var relay: String?
    /// The etcd lease the records hang on (0 for none); not part of the zone.
    public var lease: Int64

    public init(publicKey: WireGuardKey, wgIP: IPAddress, endpoint: String? = nil, relay: String? = nil, lease: Int64 = 0) {
        self.publicKey = publicKey
        self.wgIP = wgIP
        self.endpoint = endpoint
        self.relay = relay
        self.lease = lease
    }

    /// The fields of a node record.
    public enum Field: String, Sendable, CaseIterable {
        case wgIP = "wg_ip"
        case endpoint
        case relay
    }

    /// Reads the nodes out of the records under `<prefix>discovery/`, in key order. A node
    /// without a valid `wg_ip`, or with an `endpoint` that is not `host:port`, is left out
    /// and reported in `problems`; unknown fields are ignored.
    public static func nodes(from kvs: [EtcdKeyValue], keys: RegistryKeys) -> (nodes: [DiscoveryNode], problems: [RegistryError]) {
        var fields = [(key: String, values: [String: String], lease: Int64)]()
        var index = [String: Int]()
        var problems = [RegistryError]()
        for kv in kvs {
            guard let (keyText, field) = keys.parseDiscoveryKey(kv.key) else {
                problems.append(RegistryError(.invalidRecord, "discovery record \(kv.keyString.prefix(160)): the key is not discovery/<key>/<field>"))
                continue
            }
            let slot: Int
            if let known = index[keyText] {
                slot = known
            } else {
                slot = fields.count
                index[keyText] = slot
                fields.append((key: keyText, values: [:], lease: 0))
            }
            fields[slot].values[field] = kv.valueString
            if kv.lease != 0 { fields[slot].lease = kv.lease }
        }
        var nodes = [DiscoveryNode]()
        for entry in fields {
            func bad(_ why: String) { problems.append(RegistryError(.invalidRecord, "discovery node \(entry.key): \(why)")) }
            guard let key = try? WireGuardKey(base64: entry.key) else { bad("the key is not base64 of 32 bytes"); continue }
            guard let ipText = entry.values[Field.wgIP.rawValue], let address = IPAddress(ipText) else {
                bad("no valid wg_ip"); continue
            }
            let endpoint = entry.values[Field.endpoint.rawValue].flatMap { $0.isEmpty ? nil : $0 }
            if let endpoint, HostPort(endpoint) == nil { bad("endpoint \"\(endpoint.prefix(64))\" is not host:port"); continue }
            nodes.append(DiscoveryNode(publicKey: key, wgIP: address, endpoint: endpoint,
                                       relay: entry.values[Field.relay.rawValue].flatMap { $0.isEmpty ? nil : $0 }, lease: entry.lease))
        }
        return (nodes, problems)
    }

    /// The node as one value of `DISCOVERY_FALLBACKS`: `pubkey@host:port@wg_ip`; `nil`
    /// without an endpoint.
    public var fallbackEntry: String? {
        endpoint.map { "\(publicKey.base64)@\($0)@\(wgIP)" }
    }
}

extension DiscoveryNode {
    enum CodingKeys: String, CodingKey {
        case publicKey = "pubkey", wgIP = "wg_ip", endpoint, relay, lease
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        publicKey = try WireGuardKey(base64: try container.decode(String.self, forKey: .publicKey))
        let ip = try container.decode(String.self, forKey: .wgIP)
        guard let address = IPAddress(ip) else {
            throw DecodingError.dataCorruptedError(forKey: .wgIP, in: container, debugDescription: "\(ip) is not an IP address")
        }
        wgIP = address
        endpoint = try container.decodeIfPresent(String.self, forKey: .endpoint)
        relay = try container.decodeIfPresent(String.self, forKey: .relay)
        lease = try container.decodeIfPresent(Int64.self, forKey: .lease) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(publicKey.base64, forKey: .publicKey)
        try container.encode(wgIP.description, forKey: .wgIP)
        try container.encodeIfPresent(endpoint, forKey: .endpoint)
        try container.encodeIfPresent(relay, forKey: .relay)
        try container.encode(lease, forKey: .lease)
    }
}
