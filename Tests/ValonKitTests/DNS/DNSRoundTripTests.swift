import Testing
@testable import ValonKit

@Suite("DNS messages: encode and decode every record type")
struct DNSRoundTripTests {
    static let records: [(String, DNSRecordData)] = [
        ("A", .a(IPv4Address("100.100.0.2")!)),
        ("AAAA", .aaaa(IPv6Address("fd00::1:2")!)),
        ("NS", .ns(name("ns1.valon.internal"))),
        ("CNAME", .cname(name("client01.valon.internal"))),
        ("PTR", .ptr(name("client01._wireguard._udp.valon.internal"))),
        ("SOA", .soa(DNSSOA(primaryServer: name("ns1.valon.internal"), responsibleMailbox: name("hostmaster.valon.internal"),
                            serial: 2_026_112_601, refresh: 3600, retry: 600, expire: 86400, minimum: 2))),
        ("TXT", .txt([Array("txtvers=1".utf8), Array("pub=Y2xpZW50MDEga2V5IGJ5dGVzIGhlcmUgMzIgYnl0ZXM=".utf8), [], [0, 255]])),
        ("TXT of 255", .txt([[UInt8](repeating: 0x41, count: 255)])),
        ("SRV", .srv(DNSSRV(priority: 10, weight: 0, port: 51820, target: name("nated.client01.valon.internal")))),
        ("SRV to root", .srv(DNSSRV(priority: 0, weight: 0, port: 0, target: .root))),
        ("unknown MX", .unknown(type: DNSRecordType(rawValue: 15), bytes: [0, 10, 2, 0x6D, 0x78, 0])),
        ("unknown TYPE65280", .unknown(type: DNSRecordType(rawValue: 65280), bytes: [1, 2, 3])),
        ("unknown empty", .unknown(type: DNSRecordType(rawValue: 99), bytes: [])),
    ]

    @Test("a record survives encode and decode, compressed or not", arguments: records)
    func roundTrip(_ label: String, _ data: DNSRecordData) throws {
        let owner = name("Client01.valon.internal")
        var message = DNSMessage(
            header: DNSHeader(id: 0xBEEF, isResponse: true, isAuthoritative: true, recursionDesired: true),
            questions: [DNSQuestion(name: owner, type: data.type)],
            answers: [DNSResourceRecord(name: owner, ttl: 2, data: data)],
            authorities: [DNSResourceRecord(name: name("valon.internal"), ttl: 3600, data: .ns(name("ns1.valon.internal")))],
            // Class-independent types also in class CH; A and AAAA are IN-only (see classSpecific).
            additionals: [DNSResourceRecord(name: owner, dnsClass: [.a, .aaaa].contains(data.type) ? .in : .chaos, ttl: 0, data: data)]
        )
        message.edns = DNSEDNS(udpPayloadSize: 1232, dnssecOK: true, options: [DNSOption(code: .cookie, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        for compress in [true, false] {
            let bytes = try message.encoded(compress: compress)
            let decoded = try DNSMessage(decoding: bytes)
            #expect(decoded == message, "\(label), compress \(compress)")
            #expect(decoded.answers[0].name.isIdentical(to: owner))
            #expect(try decoded.encoded(compress: compress) == bytes)
        }
    }

    @Test("A and AAAA outside class IN stay raw RDATA (RFC 1035 §3.4)")
    func classSpecific() throws {
        let message = DNSMessage(answers: [
            DNSResourceRecord(name: name("x"), dnsClass: .chaos, ttl: 0, data: .a(IPv4Address("1.2.3.4")!)),
        ])
        let decoded = try DNSMessage(decoding: message.encoded())
        #expect(decoded.answers[0].data == .unknown(type: .a, bytes: [1, 2, 3, 4]))
        #expect(decoded.answers[0].type == .a)
    }

    @Test("empty RDATA in class ANY or NONE stays raw, as RFC 2136 updates send it", arguments: [
        (DNSClass.any, DNSRecordType.a), (.any, .txt), (.none, .srv), (.none, .soa),
    ])
    func updateRecords(_ dnsClass: DNSClass, _ type: DNSRecordType) throws {
        let record = DNSResourceRecord(name: name("client01.valon.internal"), dnsClass: dnsClass, ttl: 0,
                                       data: .unknown(type: type, bytes: []))
        let message = DNSMessage(header: DNSHeader(opcode: .update), questions: [DNSQuestion(name: name("valon.internal"), type: .soa)],
                                 authorities: [record])
        let decoded = try DNSMessage(decoding: message.encoded())
        #expect(decoded == message)
        #expect(decoded.authorities[0].type == type)
        #expect(decoded.authorities[0].description == "client01.valon.internal. 0 \(dnsClass) \(type) \\# 0")
    }

    @Test("record types parse from mnemonics and the RFC 3597 form, and print back", arguments: [
        ("A", 1, "A"), ("srv", 33, "SRV"), ("Txt", 16, "TXT"), ("TYPE65280", 65280, "TYPE65280"), ("TYPE1", 1, "A"), ("MX", 15, "MX"),
    ] as [(String, UInt16, String)])
    func recordTypes(_ text: String, _ value: UInt16, _ printed: String) {
        #expect(DNSRecordType(text)?.rawValue == value)
        #expect(DNSRecordType(rawValue: value).description == printed)
        #expect(DNSRecordType("NOPE") == nil && DNSRecordType("TYPE70000") == nil)
    }

    @Test("an A answer is exactly the RFC 1035 §4.1 layout")
    func exactBytes() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 0x1234, isResponse: true, isAuthoritative: true),
            questions: [DNSQuestion(name: name("a.vi"), type: .a)],
            answers: [DNSResourceRecord(name: name("a.vi"), ttl: 2, data: .a(IPv4Address("100.100.0.2")!))]
        )
        #expect(try message.encoded() == hexBytes("""
            1234 8400 0001 0001 0000 0000  ; ID, QR AA, QD=1 AN=1
            01 61 02 76 69 00  0001 0001   ; a.vi. A IN
            c00c 0001 0001 00000002        ; pointer to offset 12, A IN TTL 2
            0004 64640002                  ; RDLENGTH 4, 100.100.0.2
            """))
        #expect(try message.encoded(compress: false).count == 12 + 10 + 20)
    }

    @Test("compression: suffixes point back, SRV targets stay whole and are no targets (RFC 2782)")
    func compression() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true),
            questions: [DNSQuestion(name: name("_wg._udp.vi"), type: .srv)],
            answers: [DNSResourceRecord(name: name("_WG._udp.VI"), ttl: 2,
                                        data: .srv(DNSSRV(priority: 0, weight: 0, port: 7, target: name("lan.c.vi"))))],
            additionals: [DNSResourceRecord(name: name("lan.c.vi"), ttl: 2, data: .a(IPv4Address("10.0.0.1")!))]
        )
        let bytes = try message.encoded()
        #expect(bytes == hexBytes("""
            0001 8000 0001 0001 0000 0001
            035f7767 045f756470 027669 00  0021 0001  ; offset 12: _wg._udp.vi. SRV IN; "vi." is at 21
            c00c 0021 0001 00000002                   ; _WG._udp.VI. is the question name: pointer to 12
            0010 0000 0000 0007                       ; RDLENGTH 16, priority 0, weight 0, port 7
            036c616e 0163 027669 00                   ; target lan.c.vi. in full (RFC 2782)
            036c616e 0163 c015                        ; lan.c.vi.: only "vi." is a target, at 21
            0001 0001 00000002 0004 0a000001          ; A IN TTL 2, 10.0.0.1
            """), "\(hexString(bytes))")
        #expect(try DNSMessage(decoding: bytes) == message)
    }

    @Test("EDNS: the OPT record carries payload size, extended RCODE, version and DO (RFC 6891 §6.1.3)")
    func edns() throws {
        var message = DNSMessage.query(id: 7, name: name("x.vi"), type: .a)
        #expect(message.edns == DNSEDNS())
        message.edns?.udpPayloadSize = 4096
        message.edns?.dnssecOK = true
        message.header.isResponse = true
        message.responseCode = .badVers
        #expect(message.header.responseCode == .noError)
        #expect(message.edns?.extendedRCodeHigh == 1)
        let decoded = try DNSMessage(decoding: message.encoded())
        #expect(decoded.responseCode == .badVers)
        #expect(decoded.edns == DNSEDNS(udpPayloadSize: 4096, extendedRCodeHigh: 1, dnssecOK: true))
        #expect(decoded.additionals.count == 1)
        #expect(decoded.additionals[0].ttl == 0x0100_8000)
        message.edns = nil
        #expect(message.additionals.isEmpty)
    }

    @Test("encoding refuses what has no wire form", arguments: [
        (DNSMessage(answers: [DNSResourceRecord(name: .root, ttl: 0, data: .txt([[UInt8](repeating: 0, count: 256)]))]), DNSError.Code.invalidRecord),
        (DNSMessage(answers: [DNSResourceRecord(name: .root, ttl: 0, data: .txt([]))]), .invalidRecord),
        (DNSMessage(answers: [DNSEDNS().record]), .invalidOPT),
        (DNSMessage(additionals: [DNSEDNS().record, DNSEDNS().record]), .invalidOPT),
        (DNSMessage(additionals: [DNSResourceRecord(name: name("x"), ttl: 0, data: .opt([]))]), .invalidOPT),
        (DNSMessage(header: DNSHeader(responseCode: .badVers)), .invalidHeader),
        (DNSMessage(answers: [DNSResourceRecord(name: .root, ttl: 0, data: .unknown(type: DNSRecordType(rawValue: 99), bytes: [UInt8](repeating: 0, count: 65536)))]), .messageTooLarge),
    ])
    func encodeErrors(_ message: DNSMessage, _ code: DNSError.Code) {
        let error = dnsError { _ = try message.encoded() }
        #expect(error?.code == code, "\(String(describing: error))")
    }

    @Test("header flags map to their bits (RFC 1035 §4.1.1, RFC 4035 §3.2)", arguments: [
        (DNSHeader(isResponse: true), UInt16(0x8000)), (DNSHeader(opcode: .update), 0x2800), (DNSHeader(isAuthoritative: true), 0x0400),
        (DNSHeader(isTruncated: true), 0x0200), (DNSHeader(recursionDesired: true), 0x0100), (DNSHeader(recursionAvailable: true), 0x0080),
        (DNSHeader(reservedBit: true), 0x0040), (DNSHeader(authenticData: true), 0x0020), (DNSHeader(checkingDisabled: true), 0x0010),
        (DNSHeader(responseCode: .refused), 0x0005),
    ] as [(DNSHeader, UInt16)])
    func flags(_ header: DNSHeader, _ flags: UInt16) {
        #expect(header.flags == flags)
        #expect(DNSHeader(id: header.id, flags: flags) == header)
    }
}
