import Testing
@testable import ValonKit

/// A zone transfer from NSD over TCP: large messages with hundreds of records, where the
/// encoder's compression table holds far more suffixes than in a single answer.
@Suite("DNS golden packets: a zone transfer from NSD", .tags(.process), .timeLimit(.minutes(10)))
struct DNSAXFRGoldenProcessTests {
    static let hosts = 600

    static var zoneText: String {
        var text = """
            $ORIGIN big.test.
            $TTL 30
            @ IN SOA ns1.big.test. hostmaster.big.test. 7 3600 600 86400 30
            @ IN NS ns1.big.test.
            ns1 IN A 127.0.0.1

            """
        for host in 0..<hosts {
            text += "host\(host) IN A 10.0.\(host / 256).\(host % 256)\n"
            if host % 3 == 0 {
                text += "_wireguard._udp.host\(host) IN SRV 0 0 \(51820 + host) lan.host\(host).big.test.\n"
                text += "host\(host)._wireguard._udp IN TXT \"txtvers=1\" \"alias=host\(host)\"\n"
                text += "_wireguard._udp IN PTR host\(host)._wireguard._udp.big.test.\n"
            }
        }
        return text
    }

    @Test("every AXFR message decodes, holds the zone's records and re-encodes byte for byte")
    func transfer() throws {
        let nsd = try NSDServer(zone: "big.test", text: Self.zoneText)
        defer { nsd.stop() }
        let connection = try LoopbackTCP(port: nsd.port)
        let query = DNSMessage.query(id: 0xA8F1, name: name("big.test"), type: .axfr, edns: nil)
        try connection.send(query.encoded())

        var records = [DNSResourceRecord]()
        var messages = 0
        // RFC 5936 §2.2: the transfer starts and ends with the zone's SOA.
        while records.count < 2 || records.last?.type != .soa {
            let bytes = try #require(try connection.receive(), "the transfer stopped after \(records.count) records")
            let message = try DNSMessage(decoding: bytes)
            messages += 1
            #expect(message.header.id == query.header.id && message.responseCode == .noError)
            let encoded = try message.encoded()
            #expect(encoded == bytes, "message \(messages): \(bytes.count) bytes from NSD, \(encoded.count) re-encoded")
            records += message.answers
        }
        let srvCount = (Self.hosts + 2) / 3
        #expect(records.first?.type == .soa)
        #expect(records.count == 2 + 1 + 1 + Self.hosts + 3 * srvCount)
        #expect(records.filter { $0.type == .srv }.count == srvCount)
        #expect(Set(records.filter { $0.type == .a }.map(\.name)).count == Self.hosts + 1)
        #expect(records.contains { $0.description == "host599.big.test. 30 IN A 10.0.2.87" })
        #expect(records.contains { $0.description == "_wireguard._udp.host597.big.test. 30 IN SRV 0 0 52417 lan.host597.big.test." })
        #expect(messages >= 1)
    }
}
