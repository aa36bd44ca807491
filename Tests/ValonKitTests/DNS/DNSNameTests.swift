import Testing
@testable import ValonKit

@Suite("DNS names: presentation format, limits, case")
struct DNSNameTests {
    @Test("presentation text parses to labels and prints back with a trailing dot", arguments: [
        ("www.example.com", ["www", "example", "com"], "www.example.com."),
        ("www.example.com.", ["www", "example", "com"], "www.example.com."),
        (".", [], "."),
        ("_wireguard._udp.valon.internal", ["_wireguard", "_udp", "valon", "internal"], "_wireguard._udp.valon.internal."),
        ("a\\.b.c", ["a.b", "c"], "a\\.b.c."),
        ("a\\032b.c", ["a b", "c"], "a\\032b.c."),
        ("\\065\\066c", ["ABc"], "ABc."),
        ("semi\\;colon.x", ["semi;colon", "x"], "semi\\;colon.x."),
        ("back\\\\slash", ["back\\slash"], "back\\\\slash."),
    ] as [(String, [String], String)])
    func presentation(_ text: String, _ labels: [String], _ printed: String) throws {
        let name = try DNSName(text)
        #expect(name.labels == labels.map { Array($0.utf8) })
        #expect(name.description == printed)
        #expect(try DNSName(name.description).isIdentical(to: name))
    }

    @Test("bytes outside 0x21-0x7E print as \\DDD, as dig does")
    func decimalEscapes() throws {
        let name = try DNSName(labels: [[0x00, 0x7F, 0xFF, 0x20], Array("ok".utf8)])
        #expect(name.description == "\\000\\127\\255\\032.ok.")
        #expect(try DNSName(name.description).isIdentical(to: name))
    }

    @Test("invalid presentation text is refused with the specific code", arguments: [
        ("", DNSError.Code.invalidName), ("a..b", .invalidName), (".a", .invalidName), ("..", .invalidName),
        ("a\\", .invalidName), ("a\\25", .invalidName), ("a\\256", .invalidName),
        (String(repeating: "x", count: 64), .labelTooLong),
        (Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: "."), .nameTooLong),
    ])
    func invalid(_ text: String, _ code: DNSError.Code) {
        #expect(throws: DNSError.self) { try DNSName(text) }
        do {
            _ = try DNSName(text)
        } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    @Test("the limits are 63-byte labels and 255-byte names in wire form (RFC 1035 §2.3.4)")
    func limits() throws {
        let label63 = [UInt8](repeating: 0x61, count: 63)
        // 3 × 64 + 62 + 1 + root = 255 bytes: the longest name.
        let longest = try DNSName(labels: [label63, label63, label63, [UInt8](repeating: 0x62, count: 61)])
        #expect(longest.wireLength == 255)
        #expect(throws: DNSError(.nameTooLong, "name is 256 bytes in wire form; a name has at most 255 (RFC 1035 §2.3.4)")) {
            _ = try DNSName(labels: [label63, label63, label63, [UInt8](repeating: 0x62, count: 62)])
        }
        #expect(throws: DNSError(.labelTooLong, "label 1 is 64 bytes; a label has at most 63 (RFC 1035 §2.3.4)")) {
            _ = try DNSName(labels: [label63 + [0x61]])
        }
        #expect(throws: DNSError(.invalidName, "label 2 is empty; only the root has an empty label")) {
            _ = try DNSName(labels: [[0x61], []])
        }
        #expect(throws: DNSError.self) { _ = try longest.prepending("x") }
    }

    @Test("equality and hashing ignore ASCII case but keep it (RFC 4343)")
    func caseInsensitive() throws {
        let mixed = try DNSName("WWW.Example.COM")
        let lower = try DNSName("www.example.com.")
        #expect(mixed == lower)
        #expect(mixed.hashValue == lower.hashValue)
        #expect(Set([mixed, lower]).count == 1)
        #expect(!mixed.isIdentical(to: lower))
        #expect(mixed.description == "WWW.Example.COM.")
        #expect(mixed.lowercased().isIdentical(to: lower))
        // Only A-Z fold: 0xC9 and 0xE9 stay different, as do '[' (0x5B) and '{' (0x7B).
        #expect(try DNSName(labels: [[0xC9]]) != DNSName(labels: [[0xE9]]))
        #expect(try DNSName(labels: [[0x5B]]) != DNSName(labels: [[0x7B]]))
    }

    @Test("subdomains compare whole labels, case-insensitively")
    func subdomains() throws {
        let zone = try DNSName("valon.internal")
        #expect(try DNSName("lan.Client01.VALON.internal").isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: .root))
        #expect(try !DNSName("xvalon.internal").isSubdomain(of: zone))
        #expect(try !DNSName("internal").isSubdomain(of: zone))
        #expect(try DNSName("a\\.valon.internal").labelCount == 2)
        #expect(try !DNSName("a\\.valon.internal").isSubdomain(of: zone))
    }

    @Test("prepending a label and taking the parent")
    func prepend() throws {
        let zone = try DNSName("valon.internal")
        let name = try zone.prepending("client01").prepending("_wireguard")
        #expect(name.description == "_wireguard.client01.valon.internal.")
        #expect(name.parent?.parent == zone)
        #expect(DNSName.root.parent == nil)
        #expect(throws: DNSError.self) { _ = try zone.prepending("a.b") }
        #expect(try zone.prepending("a\\.b").labels.first == Array("a.b".utf8))
    }
}
