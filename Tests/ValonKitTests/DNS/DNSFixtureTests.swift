import Foundation
import Testing
@testable import ValonKit
import ValonTestSupport

/// Packets captured from `dig` and NSD, stored as annotated hex in Tests/Fixtures/dns/
/// (the fuzzer's seed corpus too, see scripts/fuzz-dns.sh).
enum DNSFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dns")

    static func bytes(_ name: String) throws -> [UInt8] {
        hexBytes(try String(contentsOf: directory.appendingPathComponent("\(name).hex"), encoding: .utf8))
    }

    static var all: [[UInt8]] {
        get throws {
            try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".hex") }.sorted()
                .map { try bytes(String($0.dropLast(4))) }
        }
    }
}

@Suite("DNS golden packets: captured fixtures")
struct DNSFixtureTests {
    static let authority = "valon.test. 3600 IN NS ns1.valon.test."
    static let glue = "ns1.valon.test. 2 IN A 127.0.0.1"

    static let cases: [(String, [String], [String], [String])] = [
        ("nsd-srv-answer", [
            "_wireguard._udp.client01.valon.test. 2 IN SRV 0 0 51820 lan.client01.valon.test.",
            "_wireguard._udp.client01.valon.test. 2 IN SRV 10 0 51821 nated.client01.valon.test.",
        ], [authority], [
            "lan.client01.valon.test. 2 IN A 192.168.1.50", "nated.client01.valon.test. 2 IN A 203.0.113.10", glue,
        ]),
        ("nsd-txt-answer", [
            "client01._wireguard._udp.valon.test. 2 IN TXT \"txtvers=1\" \"pub=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\" "
                + "\"wg_ip=100.100.0.2\" \"alias=client01\"",
        ], [authority], [glue]),
        ("nsd-cname-answer", [
            "WWW.valon.test. 2 IN CNAME client01.valon.test.", "client01.valon.test. 2 IN A 100.100.0.2",
        ], [authority], [glue]),
        ("nsd-nxdomain", [], ["valon.test. 2 IN SOA ns1.valon.test. hostmaster.valon.test. 2026112601 3600 600 86400 2"], []),
        ("nsd-ptr-answer", ["_wireguard._udp.valon.test. 2 IN PTR client01._wireguard._udp.valon.test."], [authority], [glue]),
    ]

    @Test("NSD answers decode to their records and re-encode byte for byte", arguments: cases)
    func nsdAnswer(_ fixture: String, _ answers: [String], _ authorities: [String], _ additionals: [String]) throws {
        let bytes = try DNSFixtures.bytes(fixture)
        let message = try DNSMessage(decoding: bytes)
        #expect(message.header.isResponse && message.header.isAuthoritative)
        #expect(message.answers.map(\.description) == answers)
        #expect(message.authorities.map(\.description) == authorities)
        #expect(message.additionals.filter { $0.type != .opt }.map(\.description) == additionals)
        #expect(message.edns == DNSEDNS(udpPayloadSize: 1232))
        #expect(try message.encoded() == bytes)
    }

    @Test("a message prints in dig's layout")
    func presentation() throws {
        let message = try DNSMessage(decoding: DNSFixtures.bytes("nsd-nxdomain"))
        #expect(message.description == """
            ;; opcode: QUERY, status: NXDOMAIN, id: 6702
            ;; flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
            ;; EDNS: version: 0, flags:; udp: 1232
            ;; QUESTION SECTION:
            ;missing.valon.test. IN A
            ;; AUTHORITY SECTION:
            valon.test. 2 IN SOA ns1.valon.test. hostmaster.valon.test. 2026112601 3600 600 86400 2
            """)
    }

    @Test("dig's SRV query: RD and AD set, EDNS 1232 with a client cookie")
    func digQuery() throws {
        let bytes = try DNSFixtures.bytes("dig-srv-query")
        let query = try DNSMessage(decoding: bytes)
        #expect(query.header == DNSHeader(id: 0x1630, recursionDesired: true, authenticData: true))
        #expect(query.questions == [DNSQuestion(name: name("_wireguard._udp.client01.valon.test"), type: .srv)])
        let edns = try #require(query.edns)
        #expect(edns.udpPayloadSize == 1232 && !edns.dnssecOK && edns.version == 0)
        #expect(edns.options.map(\.code) == [.cookie])
        #expect(edns.options.first?.data.count == 8)
        #expect(try query.encoded() == bytes)
    }

    @Test("every truncation of every fixture is refused with a typed error, never accepted")
    func truncations() throws {
        for bytes in try DNSFixtures.all {
            for length in 0..<bytes.count {
                let error = dnsError { _ = try DNSMessage(decoding: bytes[..<length]) }
                #expect(error != nil, "a \(length)-byte prefix of a \(bytes.count)-byte message decoded")
                #expect([.truncated, .countMismatch, .badRDLength].contains(error?.code), "\(String(describing: error))")
            }
        }
    }

    /// Random mutations of the fixtures (a fixed seed, so failures reproduce): every input
    /// ends in a message or a ``DNSError``, and a decoded message re-encodes to something
    /// that decodes to the same message.
    @Test("mutated fixtures decode or fail cleanly, and what decodes round-trips")
    func mutations() throws {
        var random = SplitMix64(seed: 0x5EED_D15C)
        let seeds = try DNSFixtures.all
        var decoded = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...Int(random.next() % 4) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 5 {
                case 0 where position < bytes.count: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1 where position < bytes.count: bytes[position] ^= 1 << (random.next() % 8)
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                case 3 where position < bytes.count: bytes.remove(at: position)
                default: bytes[position...].isEmpty ? () : (bytes[position] = [0xC0, 0x00, 0x3F, 0x40, 0xFF][Int(random.next() % 5)])
                }
            }
            guard let message = try? DNSMessage(decoding: bytes) else { continue }
            decoded += 1
            let encoded = try message.encoded()
            #expect(try DNSMessage(decoding: encoded) == message, "input \(hexString(bytes))")
        }
        #expect(decoded > 100, "the mutations should leave some messages valid")
    }
}
