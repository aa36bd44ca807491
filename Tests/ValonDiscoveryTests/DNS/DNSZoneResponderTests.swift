import Testing
import ValonDiscovery
import ValonKit

/// The pure responder, table-driven: each case is a question and the answer written as
/// zone-file lines (`name TTL CLASS TYPE RDATA`), the way `dig` prints sections.
@Suite("DNS zone responder")
struct DNSZoneResponderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var question: String
        var rcode: DNSResponseCode = .noError
        var answer: [String] = []
        var authority: [String] = []
        var additional: [String] = []
        var testDescription: String { question }
    }

    static let soa = DNSZoneFixture.soa

    static let cases: [Case] = [
        // The apex and the server.
        Case(question: "valon.internal. SOA", answer: [soa], additional: []),
        Case(question: "valon.internal. NS", answer: ["valon.internal. 2 IN NS discovery.valon.internal."],
             additional: ["discovery.valon.internal. 2 IN A 100.100.0.1", "discovery.valon.internal. 2 IN AAAA fd00::1"]),
        Case(question: "valon.internal. A", authority: [soa]),
        Case(question: "discovery.valon.internal. A", answer: ["discovery.valon.internal. 2 IN A 100.100.0.1"]),
        Case(question: "discovery.valon.internal. AAAA", answer: ["discovery.valon.internal. 2 IN AAAA fd00::1"]),
        // A peer under its alias and its key label, in any case; the answer echoes the question.
        Case(question: "client01.valon.internal. A", answer: ["client01.valon.internal. 2 IN A 100.100.0.2"]),
        Case(question: "CLIENT01.Valon.Internal. A", answer: ["CLIENT01.Valon.Internal. 2 IN A 100.100.0.2"]),
        Case(question: "{k1}.valon.internal. A", answer: ["{k1}.valon.internal. 2 IN A 100.100.0.2"]),
        Case(question: "client01.valon.internal. AAAA", authority: [soa]),
        Case(question: "client01.valon.internal. TXT", authority: [soa]),
        Case(question: "nobody.valon.internal. A", rcode: .nxDomain, authority: [soa]),
        Case(question: "x.client01.valon.internal. A", rcode: .nxDomain, authority: [soa]),
        // Endpoint addresses.
        Case(question: "lan.client01.valon.internal. A", answer: ["lan.client01.valon.internal. 2 IN A 192.168.1.50"]),
        Case(question: "nated.client01.valon.internal. A", answer: ["nated.client01.valon.internal. 2 IN A 203.0.113.10"]),
        Case(question: "nated.{k2}.valon.internal. AAAA", answer: ["nated.{k2}.valon.internal. 2 IN AAAA 2001:db8::5"]),
        Case(question: "nated.laptop.valon.internal. A", authority: [soa]),
        Case(question: "lan.laptop.valon.internal. A", rcode: .nxDomain, authority: [soa]),
        Case(question: "Lan.Bare.valon.internal. A", rcode: .nxDomain, authority: [soa]),
        // SRV to the endpoints, targets' addresses in the additional section.
        Case(question: "_wireguard._udp.client01.valon.internal. SRV",
             answer: ["_wireguard._udp.client01.valon.internal. 2 IN SRV 0 0 51820 lan.client01.valon.internal.",
                      "_wireguard._udp.client01.valon.internal. 2 IN SRV 10 0 40000 nated.client01.valon.internal."],
             additional: ["lan.client01.valon.internal. 2 IN A 192.168.1.50",
                          "nated.client01.valon.internal. 2 IN A 203.0.113.10"]),
        Case(question: "_wireguard._udp.{k2}.valon.internal. SRV",
             answer: ["_wireguard._udp.{k2}.valon.internal. 2 IN SRV 10 0 51820 nated.{k2}.valon.internal."],
             additional: ["nated.{k2}.valon.internal. 2 IN AAAA 2001:db8::5"]),
        Case(question: "_wireguard._udp.bare.valon.internal. SRV", authority: [soa]),
        Case(question: "_udp.client01.valon.internal. SRV", authority: [soa]),
        // DNS-SD: browse, then the instance's SRV and TXT.
        Case(question: "_wireguard._udp.valon.internal. PTR",
             answer: ["_wireguard._udp.valon.internal. 2 IN PTR {k1}._wireguard._udp.valon.internal.",
                      "_wireguard._udp.valon.internal. 2 IN PTR {k2}._wireguard._udp.valon.internal.",
                      "_wireguard._udp.valon.internal. 2 IN PTR {k3}._wireguard._udp.valon.internal."]),
        Case(question: "_wireguard._udp.valon.internal. A", authority: [soa]),
        Case(question: "_udp.valon.internal. PTR", authority: [soa]),
        // The original plugin's listing: one SRV per peer to its key label, port 0, the
        // WireGuard address in the additional section; NODATA for other types.
        Case(question: "_valon._tcp.valon.internal. SRV",
             answer: ["_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k1}.valon.internal.",
                      "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k2}.valon.internal.",
                      "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k3}.valon.internal."],
             additional: ["{k1}.valon.internal. 2 IN A 100.100.0.2",
                          "{k2}.valon.internal. 2 IN A 100.100.0.3",
                          "{k3}.valon.internal. 2 IN A 100.100.0.4"]),
        // SRV targets are never compressed (RFC 2782), so they keep the zone's case; the
        // additional owners are compressed against the question's suffix and take its case.
        Case(question: "_VALON._Tcp.Valon.Internal. SRV",
             answer: ["_VALON._Tcp.Valon.Internal. 2 IN SRV 0 0 0 {k1}.valon.internal.",
                      "_VALON._Tcp.Valon.Internal. 2 IN SRV 0 0 0 {k2}.valon.internal.",
                      "_VALON._Tcp.Valon.Internal. 2 IN SRV 0 0 0 {k3}.valon.internal."],
             additional: ["{k1}.Valon.Internal. 2 IN A 100.100.0.2",
                          "{k2}.Valon.Internal. 2 IN A 100.100.0.3",
                          "{k3}.Valon.Internal. 2 IN A 100.100.0.4"]),
        Case(question: "_valon._tcp.valon.internal. ANY",
             answer: ["_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k1}.valon.internal.",
                      "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k2}.valon.internal.",
                      "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k3}.valon.internal."],
             additional: ["{k1}.valon.internal. 2 IN A 100.100.0.2",
                          "{k2}.valon.internal. 2 IN A 100.100.0.3",
                          "{k3}.valon.internal. 2 IN A 100.100.0.4"]),
        Case(question: "_valon._tcp.valon.internal. PTR", authority: [soa]),
        Case(question: "_valon._tcp.valon.internal. TXT", authority: [soa]),
        Case(question: "_valon._tcp.valon.internal. A", authority: [soa]),
        // `_tcp.<zone>` exists because `_valon._tcp.<zone>` does (RFC 8020).
        Case(question: "_tcp.valon.internal. PTR", authority: [soa]),
        Case(question: "_tcp.valon.internal. SRV", authority: [soa]),
        Case(question: "x._valon._tcp.valon.internal. SRV", rcode: .nxDomain, authority: [soa]),
        Case(question: "_valon._udp.valon.internal. SRV", rcode: .nxDomain, authority: [soa]),
        Case(question: "_other._tcp.valon.internal. SRV", rcode: .nxDomain, authority: [soa]),
        Case(question: "_valon._tcp.client01.valon.internal. SRV", rcode: .nxDomain, authority: [soa]),
        Case(question: "_tcp.client01.valon.internal. SRV", rcode: .nxDomain, authority: [soa]),
        Case(question: "{k3}._wireguard._udp.valon.internal. TXT",
             answer: [#"{k3}._wireguard._udp.valon.internal. 2 IN TXT "txtvers=1" "pub={b3}" "wg_ip=100.100.0.4" "alias=bare""#]),
        Case(question: "laptop._wireguard._udp.valon.internal. SRV",
             answer: ["laptop._wireguard._udp.valon.internal. 2 IN SRV 10 0 51820 nated.laptop.valon.internal."],
             additional: ["nated.laptop.valon.internal. 2 IN AAAA 2001:db8::5"]),
        // ANY: every record at the name.
        Case(question: "laptop._wireguard._udp.valon.internal. ANY",
             answer: ["laptop._wireguard._udp.valon.internal. 2 IN SRV 10 0 51820 nated.laptop.valon.internal.",
                      #"laptop._wireguard._udp.valon.internal. 2 IN TXT "txtvers=1" "pub={b2}" "wg_ip=100.100.0.3" "alias=laptop""#],
             additional: ["nated.laptop.valon.internal. 2 IN AAAA 2001:db8::5"]),
        Case(question: "valon.internal. ANY",
             answer: [soa, "valon.internal. 2 IN NS discovery.valon.internal."],
             additional: ["discovery.valon.internal. 2 IN A 100.100.0.1", "discovery.valon.internal. 2 IN AAAA fd00::1"]),
        // Outside the zone.
        Case(question: "example.com. A", rcode: .refused),
        Case(question: "internal. SOA", rcode: .refused),
    ]

    @Test(arguments: cases)
    func answers(_ testCase: Case) throws {
        let parts = DNSZoneFixture.expand(testCase.question).split(separator: " ")
        let query = DNSMessage.query(id: 0x1234, name: try DNSName(String(parts[0])), type: DNSRecordType(String(parts[1]))!)
        let response = try Self.answer(query)
        #expect(response.header.id == 0x1234)
        #expect(response.header.isResponse)
        #expect(response.header.isAuthoritative == (testCase.rcode != .refused))
        #expect(!response.header.recursionAvailable)
        #expect(!response.header.isTruncated)
        #expect(response.responseCode == testCase.rcode)
        #expect(response.questions == query.questions)
        #expect(response.answers.map(\.description) == testCase.answer.map(DNSZoneFixture.expand))
        #expect(response.authorities.map(\.description) == testCase.authority.map(DNSZoneFixture.expand))
        #expect(response.additionals.filter { $0.type != .opt }.map(\.description) == testCase.additional.map(DNSZoneFixture.expand))
        #expect(response.edns == DNSEDNS(udpPayloadSize: 1232))
    }

    /// Encodes `query`, answers it over `transport` and decodes the one reply.
    static func answer(_ query: DNSMessage, transport: DNSTransport = .udp, client: IPAddress? = IPAddress("127.0.0.1"),
                       zone: DNSZone = DNSZoneFixture.zone,
                       snapshot: RegistrySnapshot = DNSZoneFixture.snapshot) throws -> DNSMessage {
        let messages = try replies(try query.encoded(), transport: transport, client: client, zone: zone, snapshot: snapshot)
        #expect(messages.count == 1)
        return try DNSMessage(decoding: try #require(messages.first))
    }

    static func replies(_ packet: [UInt8], transport: DNSTransport = .udp, client: IPAddress? = IPAddress("127.0.0.1"),
                        zone: DNSZone = DNSZoneFixture.zone,
                        snapshot: RegistrySnapshot = DNSZoneFixture.snapshot) throws -> [[UInt8]] {
        let (outcome, _) = DNSZoneResponder(zone: zone).respond(to: packet, client: client, transport: transport, snapshot: snapshot)
        switch outcome {
        case .reply(let messages): return messages
        case .transfer(let transfer): return Array(transfer)
        default:
            Issue.record("expected a reply, got \(outcome)")
            return []
        }
    }
}
