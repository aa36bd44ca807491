import Testing
@testable import ValonKit

/// Answers captured from a real NSD (started by the test on a loopback port), decoded,
/// checked record by record and re-encoded byte for byte: NSD compresses exactly where
/// ``DNSMessage/encoded(compress:)`` does.
@Suite("DNS golden packets: real answers from NSD", .tags(.process), .timeLimit(.minutes(10)))
struct DNSNSDGoldenProcessTests {
    static let zone = "valon.test"
    static let zoneText = """
        $ORIGIN valon.test.
        $TTL 2
        @          3600 IN SOA ns1.valon.test. hostmaster.valon.test. 2026112601 3600 600 86400 2
        @          3600 IN NS  ns1.valon.test.
        ns1             IN A   127.0.0.1
        discovery       IN A   100.100.0.1
        Client01        IN A   100.100.0.2
        client01        IN AAAA fd00::2
        lan.client01    IN A   192.168.1.50
        nated.client01  IN A   203.0.113.10
        _wireguard._udp.client01 IN SRV 0 0 51820 lan.client01.valon.test.
        _wireguard._udp.client01 IN SRV 10 0 51821 nated.client01.valon.test.
        _wireguard._udp IN PTR client01._wireguard._udp.valon.test.
        client01._wireguard._udp IN TXT "txtvers=1" "pub=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" "wg_ip=100.100.0.2" "alias=client01"
        www             IN CNAME client01.valon.test.
        blob            IN TYPE65280 \\# 4 DEADBEEF
        mail            IN MX 10 client01.valon.test.
        spaced          IN TXT "a b\\"c" "\\255"
        """

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var type: DNSRecordType
        var responseCode: DNSResponseCode = .noError
        /// The answer section in presentation format, in NSD's order.
        var answers: [String]
        /// Whether the re-encoding must equal NSD's bytes (false where NSD compresses RDATA
        /// that the codec keeps raw, as in MX).
        var byteExact = true
        var testDescription: String { "\(name) \(type)" }
    }

    static let cases: [Case] = [
        Case(name: "client01.valon.test", type: .a, answers: ["client01.valon.test. 2 IN A 100.100.0.2"]),
        Case(name: "CLIENT01.Valon.Test", type: .aaaa, answers: ["CLIENT01.Valon.Test. 2 IN AAAA fd00::2"]),
        Case(name: "_wireguard._udp.client01.valon.test", type: .srv, answers: [
            "_wireguard._udp.client01.valon.test. 2 IN SRV 0 0 51820 lan.client01.valon.test.",
            "_wireguard._udp.client01.valon.test. 2 IN SRV 10 0 51821 nated.client01.valon.test.",
        ]),
        Case(name: "_wireguard._udp.valon.test", type: .ptr,
             answers: ["_wireguard._udp.valon.test. 2 IN PTR client01._wireguard._udp.valon.test."]),
        Case(name: "client01._wireguard._udp.valon.test", type: .txt, answers: [
            "client01._wireguard._udp.valon.test. 2 IN TXT \"txtvers=1\" \"pub=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\" "
                + "\"wg_ip=100.100.0.2\" \"alias=client01\"",
        ]),
        Case(name: "spaced.valon.test", type: .txt, answers: ["spaced.valon.test. 2 IN TXT \"a b\\\"c\" \"\\255\""]),
        Case(name: "www.valon.test", type: .a, answers: [
            "www.valon.test. 2 IN CNAME client01.valon.test.", "client01.valon.test. 2 IN A 100.100.0.2",
        ]),
        Case(name: "valon.test", type: .soa, answers: [
            "valon.test. 3600 IN SOA ns1.valon.test. hostmaster.valon.test. 2026112601 3600 600 86400 2",
        ]),
        Case(name: "valon.test", type: .ns, answers: ["valon.test. 3600 IN NS ns1.valon.test."]),
        Case(name: "blob.valon.test", type: DNSRecordType(rawValue: 65280), answers: ["blob.valon.test. 2 IN TYPE65280 \\# 4 DEADBEEF"]),
        // NSD compresses the MX exchange (RFC 1035 type); the codec keeps MX as raw RDATA with
        // the name decompressed (RFC 3597 §4), so it re-encodes longer.
        Case(name: "mail.valon.test", type: DNSRecordType(rawValue: 15),
             answers: ["mail.valon.test. 2 IN MX \\# 23 000A08636C69656E7430310576616C6F6E047465737400"], byteExact: false),
        Case(name: "missing.valon.test", type: .a, responseCode: .nxDomain, answers: []),
        Case(name: "client01.valon.test", type: .txt, answers: []),
    ]

    @Test("NSD's answers decode to the zone's records and re-encode byte for byte")
    func answers() throws {
        let nsd = try NSDServer(zone: Self.zone, text: Self.zoneText)
        defer { nsd.stop() }
        let socket = try LoopbackUDP()
        for (index, testCase) in Self.cases.enumerated() {
            let query = DNSMessage.query(id: UInt16(0x4000 + index), name: name(testCase.name), type: testCase.type)
            let reply = try #require(try socket.exchange(query.encoded(), with: nsd.port), "no reply to \(testCase)")
            let message = try DNSMessage(decoding: reply)
            #expect(message.header.id == query.header.id)
            #expect(message.header.isResponse && message.header.isAuthoritative, "\(testCase)")
            #expect(message.questions == query.questions, "\(testCase)")
            #expect(message.questions.first?.name.isIdentical(to: query.questions[0].name) == true, "case kept: \(testCase)")
            #expect(message.responseCode == testCase.responseCode, "\(testCase)")
            #expect(message.edns?.udpPayloadSize ?? 0 >= 512, "\(testCase)")
            #expect(message.answers.map(\.description) == testCase.answers, "\(testCase)")
            if testCase.answers.isEmpty {
                // NXDOMAIN and NODATA carry the zone's SOA in the authority section (RFC 2308 §3).
                #expect(message.authorities.map(\.type) == [.soa], "\(testCase)")
            }
            if testCase.byteExact {
                let encoded = try message.encoded()
                #expect(encoded == reply, "\(testCase): ours \(hexString(encoded)) NSD \(hexString(reply))")
            }
            #expect(try DNSMessage(decoding: message.encoded()) == message, "\(testCase)")
            #expect(try DNSMessage(decoding: message.encoded(compress: false)) == message, "\(testCase)")
        }
    }
}
