import Dispatch
import Testing
@testable import ValonKit

/// Real queries from `dig` (BIND 9.18), captured by a UDP listener in the test: they
/// decode and re-encode byte for byte. The listener then answers with a message the codec
/// encodes, and `dig`'s own parse of it must print the records exactly as
/// ``DNSResourceRecord/description`` does: dig is the oracle for the encoder and for the
/// presentation format.
@Suite("DNS golden packets: real queries from dig, answered by the codec", .tags(.process), .timeLimit(.minutes(10)))
struct DNSDigGoldenProcessTests {
    static let owner = name("_wireguard._udp.client01.valon.internal")

    /// The records the listener answers with, by query type.
    static let answers: [DNSRecordType: [DNSRecordData]] = [
        .srv: [
            .srv(DNSSRV(priority: 0, weight: 0, port: 51820, target: name("lan.client01.valon.internal"))),
            .srv(DNSSRV(priority: 10, weight: 0, port: 51821, target: name("nated.client01.valon.internal"))),
        ],
        .txt: [.txt([Array("txtvers=1".utf8), Array("alias=client 01".utf8), Array("q\"uo\\te".utf8), [0x00, 0x7F, 0xFF]])],
        .ptr: [.ptr(name("client01._wireguard._udp.valon.internal")), .ptr(name("we\\.ird.x\\032y"))],
        .soa: [.soa(DNSSOA(primaryServer: name("ns1.valon.internal"), responsibleMailbox: name("hostmaster.valon.internal"),
                           serial: 4_294_967_295, refresh: 3600, retry: 600, expire: 86400, minimum: 2))],
        DNSRecordType(rawValue: 65280): [.unknown(type: DNSRecordType(rawValue: 65280), bytes: [0xDE, 0xAD, 0xBE, 0xEF])],
    ]

    static let additionals: [DNSResourceRecord] = [
        DNSResourceRecord(name: name("lan.client01.valon.internal"), ttl: 2, data: .a(IPv4Address("192.168.1.50")!)),
        DNSResourceRecord(name: name("nated.client01.valon.internal"), ttl: 2, data: .a(IPv4Address("203.0.113.10")!)),
        DNSResourceRecord(name: name("nated.client01.valon.internal"), ttl: 2, data: .aaaa(IPv6Address("2001:db8::10")!)),
    ]

    @Test("dig's query decodes and re-encodes exactly; dig reads our answer as we print it", arguments: [
        ("SRV", []), ("SRV", ["+noedns"]), ("SRV", ["+dnssec", "+bufsize=4096"]), ("SRV", ["+nocookie", "+norecurse"]),
        ("SRV", ["+cdflag", "+adflag"]), ("TXT", []), ("PTR", []), ("SOA", ["+nsid"]), ("TYPE65280", []),
    ] as [(String, [String])])
    func query(_ type: String, _ options: [String]) throws {
        let listener = try LoopbackUDP()
        let port = listener.port
        let arguments = ["dig", "@127.0.0.1", "-p", "\(port)", "+tries=1", "+time=5", "+noall", "+answer", "+additional",
                         Self.owner.description, type] + options
        // dig runs on a Dispatch thread: the test blocks in poll(2) below, and the
        // cooperative pool may have no other thread free on a small machine.
        let digResult = Locked<Result<Command.Result, any Error>?>(nil)
        let digDone = DispatchGroup()
        DispatchQueue.global().async(group: digDone) { digResult.value = Result { try Command.run(arguments) } }
        defer { digDone.wait() }

        let (bytes, clientPort) = try #require(try listener.receive(timeoutMilliseconds: 15_000), "no query from dig")
        let query = try DNSMessage(decoding: bytes)
        #expect(try query.encoded() == bytes, "dig sent \(hexString(bytes))")
        #expect(try query.encoded(compress: false) == bytes)
        #expect(!query.header.isResponse)
        #expect(query.header.recursionDesired == !options.contains("+norecurse"))
        #expect(query.header.checkingDisabled == options.contains("+cdflag"))
        #expect(query.header.authenticData == !options.contains("+noadflag"))  // dig 9.18 sets AD by default
        let questionType = try #require(DNSRecordType(type))
        #expect(query.questions == [DNSQuestion(name: Self.owner, type: questionType)])
        if options.contains("+noedns") {
            #expect(query.edns == nil)
        } else {
            let edns = try #require(query.edns)
            #expect(edns.udpPayloadSize == (options.contains("+bufsize=4096") ? 4096 : 1232))
            #expect(edns.dnssecOK == options.contains("+dnssec"))
            #expect(edns.options.contains { $0.code == .cookie } == !options.contains("+nocookie"))
            #expect(edns.options.contains { $0.code == .nsid } == options.contains("+nsid"))
        }

        var response = DNSMessage(
            header: DNSHeader(id: query.header.id, isResponse: true, isAuthoritative: true,
                              recursionDesired: query.header.recursionDesired),
            questions: query.questions,
            answers: (Self.answers[questionType] ?? []).map { DNSResourceRecord(name: Self.owner, ttl: 2, data: $0) },
            additionals: questionType == .srv ? Self.additionals : []
        )
        if query.edns != nil { response.edns = DNSEDNS(udpPayloadSize: 1232) }
        try listener.send(response.encoded(), to: clientPort)

        digDone.wait()
        let result = try #require(digResult.value).get()
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }.map {
            // dig separates the owner, TTL, class, type and RDATA with tabs.
            $0.split(separator: "\t", omittingEmptySubsequences: true).joined(separator: " ")
        }
        let expected = (response.answers + response.additionals.filter { $0.type != .opt }).map(\.description)
        #expect(printed == expected, "dig printed:\n\(result.stdout)")
    }
}
