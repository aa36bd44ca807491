/// What `valonctl status` found: the discovery interface, etcd, the DDNS API and the
/// DNS server, each with `ok` and, when not ok, why. ``problems`` lists every failed check
/// in words; the report is healthy when it is empty.
public struct StatusReport: Codable, Sendable, Hashable {
    public struct InterfaceCheck: Codable, Sendable, Hashable {
        public var name: String
        public var ok: Bool
        public var error: String?
        public var publicKey: String?
        public var listenPort: UInt16?
        public var peers: Int
        /// Peers whose last handshake is younger than ``StatusReport/recentHandshake`` seconds.
        public var peersWithRecentHandshake: Int
        /// Unix time of the newest handshake of any peer.
        public var latestHandshake: Int64?

        enum CodingKeys: String, CodingKey {
            case name, ok, error, publicKey = "public_key", listenPort = "listen_port", peers,
                 peersWithRecentHandshake = "peers_with_recent_handshake", latestHandshake = "latest_handshake"
        }
    }

    public struct EtcdEndpointCheck: Codable, Sendable, Hashable {
        public var endpoint: String
        public var ok: Bool
        public var error: String?
        /// The answering member's ID in hex, as `etcdctl` prints it.
        public var memberID: String?
        public var isLeader: Bool
        public var version: String?
        public var revision: Int64?

        enum CodingKeys: String, CodingKey {
            case endpoint, ok, error, memberID = "member_id", isLeader = "is_leader", version, revision
        }
    }

    public struct EtcdCheck: Codable, Sendable, Hashable {
        public var ok: Bool
        public var endpoints: [EtcdEndpointCheck]
        public var reachable: Int
        /// The leader's member ID in hex; `nil` when no reachable member knows one.
        public var leader: String?
        /// The highest revision any member reported.
        public var revision: Int64?
        /// Registered peers, when the registry could be read.
        public var registeredPeers: Int?
        /// The pairs relayed through the discovery node (docs/ARCHITECTURE.md §10), as
        /// `alias–alias on port P` in port order, when the registry could be read.
        public var relayedPairs: [String]?

        enum CodingKeys: String, CodingKey {
            case ok, endpoints, reachable, leader, revision, registeredPeers = "registered_peers", relayedPairs = "relayed_pairs"
        }
    }

    public struct HTTPCheck: Codable, Sendable, Hashable {
        public var url: String
        public var ok: Bool
        public var status: Int?
        public var error: String?
    }

    public struct DNSCheck: Codable, Sendable, Hashable {
        public var server: String
        public var name: String
        public var ok: Bool
        public var addresses: [String]
        public var error: String?
    }

    public var interface: InterfaceCheck
    public var etcd: EtcdCheck
    public var ddns: HTTPCheck
    public var dns: DNSCheck?
    public var problems: [String]

    public var healthy: Bool { problems.isEmpty }

    /// A handshake younger than this many seconds counts as recent: the age at which
    /// ``EndpointSelection/freshHandshake`` still counts a session as working (WireGuard
    /// rekeys every 120 s while traffic flows, REKEY_AFTER_TIME, plus slack).
    public static let recentHandshake: Int64 = EndpointSelection.freshHandshakeSeconds

    enum CodingKeys: String, CodingKey {
        case interface, etcd, ddns, dns, problems, healthy
    }

    public init(interface: InterfaceCheck, etcd: EtcdCheck, ddns: HTTPCheck, dns: DNSCheck?) {
        self.interface = interface
        self.etcd = etcd
        self.ddns = ddns
        self.dns = dns
        var problems: [String] = []
        if !interface.ok { problems.append("WireGuard interface \(interface.name): \(interface.error ?? "down")") }
        if !etcd.ok {
            let failures = etcd.endpoints.filter { !$0.ok }.map { "\($0.endpoint): \($0.error ?? "down")" }
            problems.append(etcd.reachable == 0
                ? "etcd: no endpoint reachable (\(failures.joined(separator: "; ")))"
                : "etcd: \(etcd.leader == nil ? "no leader" : "unhealthy")")
        }
        if !ddns.ok { problems.append("DDNS API \(ddns.url): \(ddns.error ?? "down")") }
        if let dns, !dns.ok { problems.append("DNS \(dns.name) at \(dns.server): \(dns.error ?? "no answer")") }
        self.problems = problems
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(interface: try container.decode(InterfaceCheck.self, forKey: .interface),
                  etcd: try container.decode(EtcdCheck.self, forKey: .etcd),
                  ddns: try container.decode(HTTPCheck.self, forKey: .ddns),
                  dns: try container.decodeIfPresent(DNSCheck.self, forKey: .dns))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(interface, forKey: .interface)
        try container.encode(etcd, forKey: .etcd)
        try container.encode(ddns, forKey: .ddns)
        try container.encodeIfPresent(dns, forKey: .dns)
        try container.encode(problems, forKey: .problems)
        try container.encode(healthy, forKey: .healthy)
    }
}
