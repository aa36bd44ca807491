import Foundation
@testable import ValonKit

/// Zones the NSD-based tests serve, written as zone-file lines, and the presentation
/// form (as `dig` prints it) the tests compare records in.
enum DNSTestZones {
    static let resolverZone = "resolver.test."
    static let bigText = (0..<4).map { index in String(repeating: Character(UnicodeScalar(UInt8(97 + index))), count: 200) }
    static let manyAddresses = (1...60).map { "10.1.0.\($0)" }
    static let pipelinedHosts = 600

    /// The zone for query tests: one name per record type, a TXT RRset and an A RRset
    /// too big for 512 bytes, and `host0`...`host599` for pipelining.
    static var resolver: String {
        var lines = [
            "$ORIGIN resolver.test.",
            "$TTL 300",
            "@ IN SOA ns1 hostmaster 2026112601 3600 600 86400 2",
            "@ IN NS ns1",
            "ns1 IN A 127.0.0.1",
            "www IN A 192.0.2.10",
            "www IN AAAA 2001:db8::10",
            "MixedCase IN A 192.0.2.11",
            "_wireguard._udp IN PTR peer1._wireguard._udp",
            "_wireguard._udp IN PTR peer2._wireguard._udp",
            "peer1._wireguard._udp IN SRV 0 0 51820 lan.peer1",
            "peer1._wireguard._udp IN SRV 10 0 51821 nated.peer1",
            "peer1._wireguard._udp IN TXT \"txtvers=1\" \"alias=peer1\"",
            "bigtxt IN TXT " + bigText.map { "\"\($0)\"" }.joined(separator: " "),
        ]
        lines += manyAddresses.map { "many IN A \($0)" }
        lines += (0..<pipelinedHosts).map { "host\($0) IN A \(hostAddress($0))" }
        return lines.joined(separator: "\n") + "\n"
    }

    static func hostAddress(_ index: Int) -> String { "10.0.\(index / 256).\(index % 256)" }

    static let transferZone = "axfr.test."

    /// 1000 records: SOA, NS, the server's A, and 997 records of four types.
    static var transferRecords: [String] {
        var records = [
            "axfr.test. 300 IN SOA ns1.axfr.test. hostmaster.axfr.test. 7 3600 600 86400 2",
            "axfr.test. 300 IN NS ns1.axfr.test.",
            "ns1.axfr.test. 300 IN A 127.0.0.1",
        ]
        for index in 0..<997 {
            let owner = "r\(index).axfr.test."
            switch index % 4 {
            case 0: records.append("\(owner) 300 IN A 10.9.\(index / 256).\(index % 256)")
            case 1: records.append("\(owner) 300 IN AAAA 2001:db8::\(String(index, radix: 16))")
            case 2: records.append("\(owner) 300 IN TXT \"txtvers=1\" \"index=\(index)\"")
            default: records.append("_wireguard._udp.\(owner) 300 IN SRV 0 0 \(50_000 + index) lan.\(owner)")
            }
        }
        return records
    }

    /// The zone holding the VALON DNS-SD layout of docs/ARCHITECTURE.md §3 for three peers.
    static let valonZone = "valon.internal."
    static let valonPeers: [(alias: String, wgIP: String, lan: String, lanPort: Int, nat: String, natPort: Int, key: String)] = [
        ("client01", "100.100.0.2", "192.168.1.50", 51820, "203.0.113.10", 51820, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="),
        ("client02", "100.100.0.3", "192.168.1.51", 51821, "203.0.113.10", 41000, "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="),
        ("laptop", "100.100.0.4", "10.0.0.7", 51820, "198.51.100.20", 60001, "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="),
    ]

    static var valon: String {
        var lines = [
            "$ORIGIN valon.internal.",
            "$TTL 2",
            "@ IN SOA discovery hostmaster 42 3600 600 86400 2",
            "@ IN NS discovery",
            "discovery IN A 100.100.0.1",
        ]
        for peer in valonPeers {
            lines += [
                "\(peer.alias) IN A \(peer.wgIP)",
                "lan.\(peer.alias) IN A \(peer.lan)",
                "nated.\(peer.alias) IN A \(peer.nat)",
                "_wireguard._udp.\(peer.alias) IN SRV 0 0 \(peer.lanPort) lan.\(peer.alias)",
                "_wireguard._udp.\(peer.alias) IN SRV 10 0 \(peer.natPort) nated.\(peer.alias)",
                "_wireguard._udp IN PTR \(peer.alias)._wireguard._udp",
                "\(peer.alias)._wireguard._udp IN SRV 0 0 \(peer.lanPort) lan.\(peer.alias)",
                "\(peer.alias)._wireguard._udp IN SRV 10 0 \(peer.natPort) nated.\(peer.alias)",
                "\(peer.alias)._wireguard._udp IN TXT \"txtvers=1\" \"pub=\(peer.key)\" \"wg_ip=\(peer.wgIP)\" \"alias=\(peer.alias)\"",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `name ttl IN TYPE rdata` as dig prints a record (names lowercased).
    static func presentation(_ record: DNSResourceRecord) -> String {
        let (type, data): (String, String) = switch record.data {
        case .a(let address): ("A", "\(address)")
        case .aaaa(let address): ("AAAA", "\(address)")
        case .ns(let name): ("NS", "\(name)")
        case .cname(let name): ("CNAME", "\(name)")
        case .ptr(let name): ("PTR", "\(name)")
        case .soa(let soa):
            ("SOA", "\(soa.primaryServer) \(soa.responsibleMailbox) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)")
        case .txt(let strings): ("TXT", strings.map { "\"\(String(decoding: $0, as: UTF8.self))\"" }.joined(separator: " "))
        case .srv(let srv): ("SRV", "\(srv.priority) \(srv.weight) \(srv.port) \(srv.target)")
        default: ("TYPE\(record.type.rawValue)", "\(record.data)")
        }
        return "\(record.name) \(record.ttl) IN \(type) \(data)".lowercased()
    }

    /// dig's `+noall +answer` lines in the same form as ``presentation(_:)``.
    static func normalizeDigLines(_ output: String) -> [String] {
        output.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }.map { line in
            line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ").lowercased()
        }
    }
}
