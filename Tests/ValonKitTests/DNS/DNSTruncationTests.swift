import Testing
@testable import ValonKit

/// UDP-sized encoding: whole RRsets kept or left out, TC set only when answer or authority
/// data is missing, OPT kept. Checked against NSD, which truncates the same way: the full
/// answer is fetched over TCP, cut by the codec to the UDP size, and compared with NSD's
/// own UDP answer byte for byte.
@Suite("DNS messages: truncation to a UDP size", .tags(.process), .timeLimit(.minutes(10)))
struct DNSTruncationProcessTests {
    static let zoneText: String = {
        var text = """
            $ORIGIN cut.test.
            $TTL 60
            @ IN SOA ns1.cut.test. hostmaster.cut.test. 1 3600 600 86400 60
            @ IN NS ns1.cut.test.
            ns1 IN A 127.0.0.1
            small IN A 10.0.0.1

            """
        for index in 0..<60 { text += "many IN A 10.1.0.\(index)\n" }
        for index in 0..<30 {
            text += "_svc._udp IN SRV 0 0 \(1000 + index) target\(index).cut.test.\n"
            text += "target\(index) IN A 10.2.0.\(index)\n"
        }
        return text
    }()

    @Test("the codec cuts NSD's full TCP answers exactly as NSD cuts them for UDP", arguments: [
        ("many.cut.test", DNSRecordType.a, UInt16?.some(512)), ("many.cut.test", .a, nil),
        ("many.cut.test", .a, 1232), ("_svc._udp.cut.test", .srv, 512), ("_svc._udp.cut.test", .srv, 1232),
        ("_svc._udp.cut.test", .srv, nil), ("small.cut.test", .a, 512),
    ])
    func againstNSD(_ owner: String, _ type: DNSRecordType, _ payloadSize: UInt16?) throws {
        let nsd = try NSDServer(zone: "cut.test", text: Self.zoneText)
        defer { nsd.stop() }
        let query = DNSMessage.query(id: 0x7C7C, name: name(owner), type: type,
                                     edns: payloadSize.map { DNSEDNS(udpPayloadSize: $0) })
        let udp = try #require(try LoopbackUDP().exchange(query.encoded(), with: nsd.port))
        let tcp = try LoopbackTCP(port: nsd.port)
        try tcp.send(query.encoded())
        let full = try DNSMessage(decoding: #require(try tcp.receive()))
        #expect(!full.header.isTruncated)

        let cut = try full.encoded(maximumSize: Int(payloadSize ?? 512))
        #expect(cut == udp, "ours \(hexString(cut))\nNSD  \(hexString(udp))")
        let message = try DNSMessage(decoding: cut)
        #expect(message.edns == full.edns)
        #expect(cut.count <= Int(payloadSize ?? 512))
    }

    static func record(_ owner: String, _ address: String, ttl: UInt32 = 60) -> DNSResourceRecord {
        DNSResourceRecord(name: name(owner), ttl: ttl, data: .a(IPv4Address(address)!))
    }

    @Test("an answer RRset that does not fit is left out whole and TC is set")
    func answerTruncation() throws {
        var message = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true),
            questions: [DNSQuestion(name: name("a.test"), type: .a)],
            answers: [Self.record("a.test", "10.0.0.1")] + (0..<40).map { Self.record("b.test", "10.0.1.\($0)") },
            additionals: [Self.record("c.test", "10.0.2.1")]
        )
        message.edns = DNSEDNS(udpPayloadSize: 512)
        let bytes = try message.encoded(maximumSize: 512)
        let cut = try DNSMessage(decoding: bytes)
        #expect(bytes.count <= 512)
        #expect(cut.header.isTruncated)
        #expect(cut.answers == [Self.record("a.test", "10.0.0.1")])
        #expect(cut.additionals == [DNSEDNS(udpPayloadSize: 512).record])
        // Everything fits in 4096: nothing changes.
        #expect(try message.encoded(maximumSize: 4096) == message.encoded())
    }

    @Test("additional RRsets that do not fit are left out without TC (RFC 2181 §9)")
    func additionalTruncation() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 2, isResponse: true),
            questions: [DNSQuestion(name: name("a.test"), type: .a)],
            answers: [Self.record("a.test", "10.0.0.1")],
            additionals: (0..<40).map { Self.record("host\($0).test", "10.0.3.\($0)") }
        )
        let cut = try DNSMessage(decoding: message.encoded(maximumSize: 512))
        #expect(!cut.header.isTruncated)
        #expect(cut.answers == message.answers)
        #expect(!cut.additionals.isEmpty && cut.additionals.count < 40)
        #expect(cut.additionals == Array(message.additionals.prefix(cut.additionals.count)))
    }

    @Test("a smaller additional RRset after one that does not fit still goes in, as NSD does")
    func additionalSkip() throws {
        let big = (0..<30).map { Self.record("big.test", "10.0.4.\($0)") }
        let message = DNSMessage(
            header: DNSHeader(id: 4, isResponse: true),
            questions: [DNSQuestion(name: name("a.test"), type: .a)],
            answers: [Self.record("a.test", "10.0.0.1")],
            additionals: big + [Self.record("small.test", "10.0.5.1")]
        )
        let cut = try DNSMessage(decoding: message.encoded(maximumSize: 512))
        #expect(!cut.header.isTruncated)
        #expect(cut.additionals == [Self.record("small.test", "10.0.5.1")])
    }

    /// An RRset that is taken back must take its compression targets with it: the record
    /// after it would otherwise point into bytes that are no longer there. With 30 hosts the
    /// compression table has moved from its linear list to a dictionary.
    @Test("names of a left-out RRset are no compression targets", arguments: [3, 30])
    func rollback(_ hosts: Int) throws {
        let kept = (0..<hosts).map { Self.record("h\($0).z.test", "10.0.6.\($0)") }
        let dropped = (0..<40).map { Self.record("q.r.s.test", "10.0.7.\($0)") }
        let last = Self.record("r.s.test", "10.0.8.1")
        let header = DNSHeader(id: 5, isResponse: true)
        let question = DNSQuestion(name: name("a.test"), type: .a)
        let fitting = try DNSMessage(header: header, questions: [question], additionals: kept + [last]).encoded()
        let message = DNSMessage(header: header, questions: [question], additionals: kept + dropped + [last])
        let bytes = try message.encoded(maximumSize: fitting.count)
        #expect(bytes == fitting)
        #expect(try DNSMessage(decoding: bytes).additionals == kept + [last])
    }

    @Test("a question and OPT larger than the limit are refused")
    func tooSmall() {
        var message = DNSMessage.query(id: 3, name: name("a.test"), type: .a)
        message.edns?.options = [DNSOption(code: .padding, data: [UInt8](repeating: 0, count: 600))]
        #expect(dnsError { _ = try message.encoded(maximumSize: 512) }?.code == .messageTooLarge)
    }
}
