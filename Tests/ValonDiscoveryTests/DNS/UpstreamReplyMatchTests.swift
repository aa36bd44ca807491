import Testing
@testable import ValonDiscovery
import ValonKit

/// Which upstream replies the forwarder takes as the answer to its query (RFC 5452 §9.1).
@Suite("Upstream reply matching")
struct UpstreamReplyMatchTests {
    struct Reply: Sendable, CustomTestStringConvertible {
        var what: String
        var id: UInt16 = 0xBEEF
        var response = true
        var name = "www.Example.test"
        var type = DNSRecordType.a
        /// Keep only this many bytes of the encoded reply.
        var prefix = Int.max
        var accepted: Bool

        var testDescription: String { what }

        func encoded() throws -> [UInt8] {
            var message = DNSMessage.query(id: id, name: try DNSName(name), type: type, edns: nil)
            message.header.isResponse = response
            message.header.recursionAvailable = true
            message.answers = [DNSResourceRecord(name: try DNSName(name), ttl: 300, data: .a(IPv4Address("192.0.2.80")!))]
            return Array(try message.encoded().prefix(prefix))
        }
    }

    @Test("accepted and refused replies", arguments: [
        Reply(what: "the matching reply", accepted: true),
        Reply(what: "the name in another case (RFC 4343)", name: "WWW.example.TEST", accepted: true),
        Reply(what: "another ID", id: 0xBEEE, accepted: false),
        Reply(what: "a query, not a response", response: false, accepted: false),
        Reply(what: "another name", name: "www.example.tesu", accepted: false),
        Reply(what: "another type", type: .aaaa, accepted: false),
        Reply(what: "only a header", prefix: 12, accepted: false),
        Reply(what: "nothing", prefix: 0, accepted: false),
    ])
    func accepts(_ reply: Reply) throws {
        let query = DNSMessage.query(id: 0xBEEF, name: try DNSName("www.Example.test"), type: .a, edns: DNSEDNS())
        let match = try #require(UpstreamReplyMatch(query: query))
        #expect(match.accepts(try reply.encoded()) == reply.accepted)
    }
}
