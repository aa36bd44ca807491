import Testing
import ValonDiscovery
import ValonKit

/// The responder without a registry read (docs/ARCHITECTURE.md §9), table-driven: every
/// question about the zone gets SERVFAIL, with no SOA and no claim of absence; transfers
/// get SERVFAIL where they are allowed and REFUSED where they are not; names outside the
/// zone are treated as ever. And the serial is never 0.
@Suite("DNS zone responder: a registry that was not read")
struct UnreadRegistryResponderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var type: DNSRecordType
        var transport: DNSTransport = .udp
        var client = "127.0.0.1"
        var forwarding = false
        var rcode: DNSResponseCode
        var testDescription: String { "\(name) \(type) over \(transport) from \(client)\(forwarding ? " (forwarding)" : "")" }
    }

    static let cases: [Case] = [
        Case(name: "valon.internal", type: .soa, rcode: .servFail),
        Case(name: "valon.internal", type: .ns, rcode: .servFail),
        Case(name: "discovery.valon.internal", type: .a, rcode: .servFail),
        Case(name: "client01.valon.internal", type: .a, rcode: .servFail),
        Case(name: "lan.client01.valon.internal", type: .a, rcode: .servFail),
        Case(name: "nobody.valon.internal", type: .a, rcode: .servFail),
        Case(name: "_wireguard._udp.valon.internal", type: .ptr, rcode: .servFail),
        Case(name: "_wireguard._udp.client01.valon.internal", type: .srv, rcode: .servFail),
        Case(name: "client01._wireguard._udp.valon.internal", type: .txt, rcode: .servFail),
        Case(name: "client01.valon.internal", type: .a, transport: .tcp, rcode: .servFail),
        Case(name: "valon.internal", type: .axfr, transport: .tcp, rcode: .servFail),
        Case(name: "valon.internal", type: .ixfr, transport: .tcp, rcode: .servFail),
        Case(name: "valon.internal", type: .axfr, transport: .tcp, client: "192.0.2.9", rcode: .refused),
        Case(name: "valon.internal", type: .axfr, transport: .udp, rcode: .refused),
        Case(name: "example.org", type: .a, rcode: .refused),
    ]

    @Test(arguments: cases)
    func answer(_ test: Case) throws {
        var zone = DNSZoneFixture.zone
        zone.forwarding = test.forwarding
        let query = DNSMessage.query(id: 9, name: try DNSName(test.name), type: test.type)
        let (outcome, summary) = DNSZoneResponder(zone: zone).respond(
            to: try query.encoded(), client: IPAddress(test.client), transport: test.transport, snapshot: nil)
        guard case .reply(let messages) = outcome, messages.count == 1 else {
            Issue.record("expected one reply, got \(outcome)")
            return
        }
        let reply = try DNSMessage(decoding: messages[0])
        #expect(reply.responseCode == test.rcode)
        #expect(summary?.rcode == test.rcode)
        #expect(reply.answers.isEmpty && reply.authorities.isEmpty, "no SOA, no data: \(reply.authorities)")
        #expect(!reply.header.isAuthoritative)
        #expect(reply.header.id == 9 && reply.questions == query.questions)
    }

    @Test func outsideTheZoneIsStillForwarded() throws {
        var zone = DNSZoneFixture.zone
        zone.forwarding = true
        let query = DNSMessage.query(id: 3, name: try DNSName("example.org"), type: .a)
        let (outcome, _) = DNSZoneResponder(zone: zone).respond(to: query, client: IPAddress("127.0.0.1"), transport: .udp,
                                                                snapshot: nil)
        guard case .forward = outcome else {
            Issue.record("expected forwarding, got \(outcome)")
            return
        }
    }

    struct SerialCase: Sendable, CustomTestStringConvertible {
        var revision: Int64
        var serial: UInt32
        var testDescription: String { "revision \(revision)" }
    }

    @Test(arguments: [
        SerialCase(revision: 1, serial: 1), SerialCase(revision: 12_345, serial: 12_345),
        SerialCase(revision: 1 << 32, serial: 1), SerialCase(revision: (1 << 32) + 7, serial: 7),
        SerialCase(revision: 0, serial: 1), SerialCase(revision: Int64(UInt32.max), serial: UInt32.max),
    ])
    func theSerialIsNeverZero(_ test: SerialCase) {
        #expect(RegistrySnapshot(peers: [], revision: test.revision).serial == test.serial)
    }
}
