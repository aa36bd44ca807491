import Testing
import ValonKit

/// DNS NOTIFY messages (RFC 1996 §3.7, §4.7): what the node sends, what the client answers,
/// and which messages the client's check takes as a NOTIFY for its zone.
@Suite("DNS NOTIFY messages (RFC 1996)")
struct DNSNotifyTests {
    static let zone = try! DNSName("valon.internal")

    static func soa(_ serial: UInt32, owner: DNSName = zone) -> DNSResourceRecord {
        DNSResourceRecord(name: owner, ttl: 2, data: .soa(DNSSOA(
            primaryServer: try! DNSName("discovery.valon.internal"), responsibleMailbox: try! DNSName("hostmaster.valon.internal"),
            serial: serial, refresh: 60, retry: 10, expire: 3600, minimum: 2)))
    }

    @Test("a request is OPCODE NOTIFY with AA, one question <zone> IN SOA and the SOA in the answer (§3.7), on the wire")
    func requestOnTheWire() throws {
        let bytes = try DNSNotify.request(id: 0xBEEF, zone: Self.zone, soa: Self.soa(42)).encoded()
        // ID, then flags: QR 0, OPCODE 4 (bits 14-11: 0x2000), AA (0x0400); QDCOUNT 1, ANCOUNT 1, NSCOUNT 0, ARCOUNT 0.
        #expect(Array(bytes.prefix(12)) == [0xBE, 0xEF, 0x24, 0x00, 0, 1, 0, 1, 0, 0, 0, 0])
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded.questions == [DNSQuestion(name: Self.zone, type: .soa)])
        #expect(decoded.answers == [Self.soa(42)])
        #expect(decoded.edns == nil)
        #expect(DNSNotify.check(decoded, zone: Self.zone) == .success(DNSNotify.Request(id: 0xBEEF, serial: 42)))
    }

    @Test("a response keeps the ID, sets QR, keeps OPCODE NOTIFY and AA, echoes the question, answers nothing (§4.7)",
          arguments: [DNSResponseCode.noError, .refused, .formErr, .notImp])
    func response(_ rcode: DNSResponseCode) throws {
        let request = DNSNotify.request(id: 7, zone: Self.zone, soa: Self.soa(9))
        let response = try DNSMessage(decoding: DNSNotify.response(to: request, rcode: rcode).encoded())
        #expect(response.header.id == 7)
        #expect(response.header.isResponse)
        #expect(response.header.opcode == .notify)
        #expect(response.header.isAuthoritative)
        #expect(response.header.responseCode == rcode)
        #expect(response.questions == request.questions)
        #expect(response.answers.isEmpty && response.authorities.isEmpty && response.additionals.isEmpty)
        // A response is never taken as a NOTIFY (answering it could start a loop).
        #expect(DNSNotify.check(response, zone: Self.zone) == .failure(.isResponse))
    }

    static func message(opcode: DNSOpcode = .notify, response: Bool = false, questions: [DNSQuestion] = [DNSQuestion(name: zone, type: .soa)],
                        answers: [DNSResourceRecord] = []) -> DNSMessage {
        DNSMessage(header: DNSHeader(id: 1, isResponse: response, opcode: opcode, isAuthoritative: true),
                   questions: questions, answers: answers)
    }

    static let checks: [(String, DNSMessage, Result<DNSNotify.Request, DNSNotify.Problem>)] = [
        ("without the optional SOA: no serial", message(), .success(.init(id: 1, serial: nil))),
        ("the SOA's serial", message(answers: [soa(4_000_000_000)]), .success(.init(id: 1, serial: 4_000_000_000))),
        ("the zone in other letter case (RFC 4343)", message(questions: [DNSQuestion(name: try! DNSName("VALON.Internal"), type: .soa)],
                                                             answers: [soa(5, owner: try! DNSName("Valon.INTERNAL"))]),
         .success(.init(id: 1, serial: 5))),
        ("an SOA owned by another name is no serial", message(answers: [soa(5, owner: try! DNSName("other.internal"))]),
         .success(.init(id: 1, serial: nil))),
        ("a record of another type in the answer is no serial",
         message(answers: [DNSResourceRecord(name: zone, ttl: 2, data: .a(IPv4Address("100.100.0.9")!))]), .success(.init(id: 1, serial: nil))),
        ("QR set", message(response: true), .failure(.isResponse)),
        ("OPCODE QUERY", message(opcode: .query), .failure(.notNotify(.query))),
        ("OPCODE UPDATE", message(opcode: .update), .failure(.notNotify(.update))),
        ("no question", message(questions: []), .failure(.questionCount(0))),
        ("two questions", message(questions: [DNSQuestion(name: zone, type: .soa), DNSQuestion(name: zone, type: .soa)]),
         .failure(.questionCount(2))),
        ("QTYPE A", message(questions: [DNSQuestion(name: zone, type: .a)]), .failure(.notSOA(.in, .a))),
        ("QCLASS CH", message(questions: [DNSQuestion(name: zone, type: .soa, dnsClass: .chaos)]), .failure(.notSOA(.chaos, .soa))),
        ("another zone", message(questions: [DNSQuestion(name: try! DNSName("example.com"), type: .soa)]),
         .failure(.otherZone(try! DNSName("example.com")))),
        ("a name inside the zone is another zone", message(questions: [DNSQuestion(name: try! DNSName("c1.valon.internal"), type: .soa)]),
         .failure(.otherZone(try! DNSName("c1.valon.internal")))),
        ("the parent of the zone", message(questions: [DNSQuestion(name: try! DNSName("internal"), type: .soa)]),
         .failure(.otherZone(try! DNSName("internal")))),
    ]

    @Test("the check", arguments: checks)
    func check(_ name: String, _ message: DNSMessage, _ expected: Result<DNSNotify.Request, DNSNotify.Problem>) {
        #expect(DNSNotify.check(message, zone: Self.zone) == expected, "\(name)")
    }

    @Test("each problem's answer: none to a response, NOTIMP, FORMERR, REFUSED")
    func problemCodes() {
        #expect(DNSNotify.Problem.isResponse.rcode == nil)
        #expect(DNSNotify.Problem.notNotify(.query).rcode == .notImp)
        #expect(DNSNotify.Problem.questionCount(2).rcode == .formErr)
        #expect(DNSNotify.Problem.notSOA(.in, .a).rcode == .formErr)
        #expect(DNSNotify.Problem.otherZone(.root).rcode == .refused)
        #expect(DNSNotify.Problem.otherZone(try! DNSName("example.com")).description.contains("example.com."))
    }

    @Test("serial arithmetic (RFC 1982 §3.2)", arguments: [
        (UInt32(2), UInt32(1), true), (1, 2, false), (5, 5, false),
        (0, 0xFFFF_FFFF, true), (0xFFFF_FFFF, 0, false),
        (0x7FFF_FFFF, 0, true), (0x8000_0000, 0, false), (0, 0x8000_0000, false),
    ])
    func serials(_ serial: UInt32, _ other: UInt32, _ newer: Bool) {
        #expect(DNSNotify.serial(serial, isNewerThan: other) == newer)
    }
}
