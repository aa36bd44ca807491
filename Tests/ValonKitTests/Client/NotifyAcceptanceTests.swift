import Testing
import ValonKit

/// Who `valon-sync --follow` answers on its NOTIFY port and how (docs/ARCHITECTURE.md §12):
/// every kind of datagram from a discovery node's address and from elsewhere.
@Suite("NOTIFY acceptance: accepted, refused, dropped, unanswered")
struct NotifyAcceptanceTests {
    static let zone = try! DNSName("valon.internal")
    static let node = IPAddress("100.100.0.1")!
    static let fallback = IPAddress("100.100.0.2")!
    static let nodes: Set<IPAddress> = [node, fallback]
    static let peer = IPAddress("100.100.0.12")!

    static func bytes(_ message: DNSMessage) -> [UInt8] { try! message.encoded() }
    static func notify(id: UInt16 = 0x1234, zone: String = "valon.internal", serial: UInt32? = 77) -> [UInt8] {
        let name = try! DNSName(zone)
        let soa = serial.map { serial in
            DNSResourceRecord(name: name, ttl: 2, data: .soa(DNSSOA(primaryServer: name, responsibleMailbox: name, serial: serial,
                                                                     refresh: 60, retry: 10, expire: 3600, minimum: 2)))
        }
        return bytes(DNSNotify.request(id: id, zone: name, soa: soa))
    }
    static let valid = notify()

    enum Expected: Equatable {
        case accepted(UInt32?)
        case refused(DNSResponseCode)
        case foreign
        case malformed
    }

    static let cases: [(String, [UInt8], IPAddress, Expected)] = [
        ("a NOTIFY for the zone from the configured node", valid, node, .accepted(77)),
        ("from a fallback or learned node", valid, fallback, .accepted(77)),
        ("without the SOA hint", notify(serial: nil), node, .accepted(nil)),
        ("from the node as an IPv4-mapped IPv6 address", valid, IPAddress("::ffff:100.100.0.1")!, .accepted(77)),
        ("a NOTIFY for the zone from another peer", valid, peer, .foreign),
        ("from the internet", valid, IPAddress("203.0.113.50")!, .foreign),
        ("from loopback", valid, IPAddress("127.0.0.1")!, .foreign),
        ("junk from another peer (no answer, not even an error)", [0xde, 0xad], peer, .foreign),
        ("another zone from the node", notify(zone: "example.com"), node, .refused(.refused)),
        ("a name inside the zone from the node", notify(zone: "c1.valon.internal"), node, .refused(.refused)),
        ("a QUERY from the node", bytes(DNSMessage.query(id: 9, name: zone, type: .soa)), node, .refused(.notImp)),
        ("a NOTIFY asking for A", bytes(DNSMessage(header: DNSHeader(id: 3, opcode: .notify, isAuthoritative: true),
                                                   questions: [DNSQuestion(name: zone, type: .a)])), node, .refused(.formErr)),
        ("a NOTIFY without a question", bytes(DNSMessage(header: DNSHeader(id: 3, opcode: .notify))), node, .refused(.formErr)),
        ("a NOTIFY response (QR set) from the node", bytes(DNSNotify.response(to: DNSNotify.request(id: 5, zone: zone))), node, .malformed),
        ("an empty datagram", [], node, .malformed),
        ("shorter than a header", Array(valid.prefix(11)), node, .malformed),
        ("the question cut off", Array(valid.prefix(20)), node, .malformed),
        ("QDCOUNT 2 with one question", Array(valid.prefix(4)) + [0, 2] + Array(valid.dropFirst(6).prefix(26)), node, .malformed),
        ("bytes after the last record", valid + [0], node, .malformed),
        ("a compression pointer loop", [0, 1, 0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 6, 0, 1], node, .malformed),
    ]

    @Test("each datagram", arguments: cases)
    func judge(_ name: String, _ datagram: [UInt8], _ source: IPAddress, _ expected: Expected) throws {
        let verdict = NotifyAcceptance.judge(datagram, from: source, nodes: Self.nodes, zone: Self.zone)
        switch (verdict, expected) {
        case (.accepted(let serial, let reply), .accepted(let want)):
            #expect(serial == want, "\(name)")
            let response = try DNSMessage(decoding: reply)
            let request = try DNSMessage(decoding: datagram)
            #expect(response.header.id == request.header.id && response.header.isResponse && response.header.opcode == .notify)
            #expect(response.header.responseCode == .noError)
            #expect(response.questions == request.questions)
        case (.refused(_, let reply), .refused(let rcode)):
            let response = try DNSMessage(decoding: reply)
            #expect(response.header.responseCode == rcode, "\(name)")
            let request = try DNSMessage(decoding: datagram)
            #expect(response.header.id == request.header.id && response.header.opcode == request.header.opcode)
            #expect(response.header.isResponse)
        case (.foreignSource, .foreign), (.malformed, .malformed):
            break
        default:
            Issue.record("\(name): \(verdict), expected \(expected)")
        }
    }

    @Test("with no known node, nothing is ever answered")
    func noNodes() {
        #expect(NotifyAcceptance.judge(Self.valid, from: Self.node, nodes: [], zone: Self.zone) == .foreignSource)
    }

    @Test("IPv4-mapped addresses unmap; other IPv6 addresses stay as they are")
    func unmapped() {
        #expect(NotifyAcceptance.unmapped(IPAddress("::ffff:10.1.2.3")!) == IPAddress("10.1.2.3"))
        #expect(NotifyAcceptance.unmapped(IPAddress("fd00::1")!) == IPAddress("fd00::1"))
        #expect(NotifyAcceptance.unmapped(IPAddress("10.1.2.3")!) == IPAddress("10.1.2.3"))
    }
}
