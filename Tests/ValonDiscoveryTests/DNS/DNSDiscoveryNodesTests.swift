import Testing
import ValonDiscovery
import ValonKit

/// The discovery nodes in the zone (docs/ARCHITECTURE.md §11): `discovery.<zone>` A for every
/// node, `_discovery._udp.<zone>` SRV and TXT per node, the SRV targets' addresses, a peer's
/// `nat=symmetric`, in answers and in the transfer, read back by the client's `RegistryZone`.
@Suite("DNS discovery node records")
struct DNSDiscoveryNodesTests {
    static let one = try! WireGuardKey(bytes: [UInt8](repeating: 0x11, count: 32))
    static let two = try! WireGuardKey(bytes: [UInt8](repeating: 0x22, count: 32))
    static let nodes = [
        DiscoveryNode(publicKey: one, wgIP: IPAddress("100.100.0.1")!, endpoint: "203.0.113.1:51820", relay: "203.0.113.1:51821-52820", lease: 7),
        DiscoveryNode(publicKey: two, wgIP: IPAddress("100.100.0.2")!, endpoint: "vpn2.example.net:51820", lease: 8),
    ]
    static var peers: [Peer] {
        var peers = DNSZoneFixture.peers
        peers[1].natKind = .symmetric
        return peers
    }
    static let snapshot = RegistrySnapshot(peers: peers, revision: 7, discoveryNodes: nodes)

    static func answer(_ question: String, _ type: DNSRecordType) throws -> DNSMessage {
        let query = DNSMessage.query(id: 7, name: try DNSName(DNSZoneFixture.expand(question)), type: type)
        return try DNSZoneResponderTests.answer(query, snapshot: snapshot)
    }

    @Test("discovery.<zone> A lists this node's addresses and every registered node's, once each")
    func discoveryAddresses() throws {
        let a = try Self.answer("discovery.valon.internal.", .a)
        #expect(a.answers.map(\.description) == ["discovery.valon.internal. 2 IN A 100.100.0.1", "discovery.valon.internal. 2 IN A 100.100.0.2"])
        let plain = try DNSZoneResponderTests.answer(DNSMessage.query(id: 7, name: try DNSName("discovery.valon.internal."), type: .a))
        #expect(plain.answers.map(\.description) == ["discovery.valon.internal. 2 IN A 100.100.0.1"], "no node registered: this node's own")
    }

    @Test("_discovery._udp.<zone>: one SRV per node with an endpoint and one TXT per node; the SRV target's address in the additional section")
    func serviceRecords() throws {
        let label = Self.one.dnsLabel
        let srv = try Self.answer("_discovery._udp.valon.internal.", .srv)
        #expect(srv.answers.map(\.description) == [
            "_discovery._udp.valon.internal. 2 IN SRV 0 0 51820 \(label).discovery.valon.internal.",
            "_discovery._udp.valon.internal. 2 IN SRV 0 0 51820 vpn2.example.net.",
        ])
        #expect(srv.additionals.filter { $0.type != .opt }.map(\.description) == ["\(label).discovery.valon.internal. 2 IN A 203.0.113.1"])
        let txt = try Self.answer("_discovery._udp.valon.internal.", .txt)
        #expect(txt.answers.map(\.description) == [
            "_discovery._udp.valon.internal. 2 IN TXT \"txtvers=1\" \"pub=\(Self.one.base64)\" \"wg_ip=100.100.0.1\" \"endpoint=203.0.113.1:51820\" \"relay=203.0.113.1:51821-52820\"",
            "_discovery._udp.valon.internal. 2 IN TXT \"txtvers=1\" \"pub=\(Self.two.base64)\" \"wg_ip=100.100.0.2\" \"endpoint=vpn2.example.net:51820\"",
        ])
        let host = try Self.answer("\(label).discovery.valon.internal.", .a)
        #expect(host.answers.map(\.description) == ["\(label).discovery.valon.internal. 2 IN A 203.0.113.1"])
        #expect(try Self.answer("\(Self.two.dnsLabel).discovery.valon.internal.", .a).responseCode == .nxDomain, "a host-name endpoint has no name here")
        let none = try DNSZoneResponderTests.answer(DNSMessage.query(id: 7, name: try DNSName("_discovery._udp.valon.internal."), type: .srv))
        #expect(none.responseCode == .nxDomain, "no node registered: no name")
    }

    @Test("a peer behind a symmetric NAT has nat=symmetric in its TXT")
    func symmetricTXT() throws {
        let txt = try Self.answer("laptop._wireguard._udp.valon.internal.", .txt)
        #expect(txt.answers.first?.description.hasSuffix(" \"nat=symmetric\"") == true, "\(txt.answers)")
        let plain = try Self.answer("client01._wireguard._udp.valon.internal.", .txt)
        #expect(plain.answers.first?.description.contains("nat=") == false)
    }

    @Test("the transfer carries the nodes, and RegistryZone reads them and nat_kind back")
    func transferRoundTrip() throws {
        let query = DNSMessage.query(id: 9, name: try DNSName("valon.internal."), type: .axfr)
        let messages = try DNSZoneResponderTests.replies(try query.encoded(), transport: .tcp, snapshot: Self.snapshot)
        let records = try messages.flatMap { try DNSMessage(decoding: $0).answers }
        #expect(records.filter { $0.name.description == "_discovery._udp.valon.internal." }.count == 4, "two SRV, two TXT")
        #expect(records.filter { $0.name.description == "discovery.valon.internal." && $0.type == .a }.count == 2)
        let zone = RegistryZone(records: records, zone: try DNSName("valon.internal."))
        #expect(zone.discoveryNodes.map(\.publicKey) == [Self.one, Self.two].sorted { $0.base64 < $1.base64 })
        #expect(zone.discoveryNodes.first { $0.publicKey == Self.one }?.endpoint == "203.0.113.1:51820")
        #expect(zone.discoveryNodes.first { $0.publicKey == Self.one }?.relay == "203.0.113.1:51821-52820")
        #expect(zone.discoveryNodes.first { $0.publicKey == Self.two }?.wgIP == IPAddress("100.100.0.2"))
        #expect(zone.peers.first { $0.alias == "laptop" }?.natKind == .symmetric)
        #expect(zone.peers.filter { $0.natKind != nil }.count == 1)
        #expect(zone.problems.isEmpty, "\(zone.problems)")
    }
}
