import Testing
@testable import ValonKit
import ValonTestSupport

/// Reading peers back from the zone's records (docs/ARCHITECTURE.md §3 layout), as an AXFR or a browse
/// returns them.
@Suite("registry zone reader")
struct RegistryZoneTests {
    static let zone = try! DNSName("valon.internal")

    static func name(_ text: String) -> DNSName { try! DNSName(text == "@" ? "valon.internal" : "\(text).valon.internal") }
    static func rr(_ owner: String, _ data: DNSRecordData) -> DNSResourceRecord {
        DNSResourceRecord(name: name(owner), ttl: 2, data: data)
    }
    static func a(_ owner: String, _ address: String) -> DNSResourceRecord {
        switch IPAddress(address)! {
        case .v4(let v4): rr(owner, .a(v4))
        case .v6(let v6): rr(owner, .aaaa(v6))
        }
    }
    static func txt(_ instance: String, _ fields: [String]) -> DNSResourceRecord {
        rr("\(instance)._wireguard._udp", .txt(fields.map { Array($0.utf8) }))
    }
    static func srv(_ owner: String, _ priority: UInt16, _ port: UInt16, _ target: String) -> DNSResourceRecord {
        rr(owner, .srv(DNSSRV(priority: priority, weight: 0, port: port, target: name(target))))
    }
    /// The records the discovery node publishes for one peer under `label`.
    static func published(_ n: UInt8, label: String, alias: String, ip: String, lan: (String, UInt16)?, nat: (String, UInt16)?) -> [DNSResourceRecord] {
        var records = [a(label, ip), txt(label, ["txtvers=1", "pub=\(WireGuardKey.repeating(n).base64)", "wg_ip=\(ip)", "alias=\(alias)"])]
        if let lan {
            records += [srv("\(label)._wireguard._udp", 0, lan.1, "lan.\(label)"), srv("_wireguard._udp.\(label)", 0, lan.1, "lan.\(label)"), a("lan.\(label)", lan.0)]
        }
        if let nat {
            records += [srv("\(label)._wireguard._udp", 10, nat.1, "nated.\(label)"), a("nated.\(label)", nat.0)]
        }
        return records
    }
    static let soa = rr("@", .soa(DNSSOA(primaryServer: name("discovery"), responsibleMailbox: name("hostmaster"),
                                         serial: 4711, refresh: 60, retry: 10, expire: 600, minimum: 2)))

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var records: [DNSResourceRecord]
        /// "alias wg_ip lan nat" per peer, in key order; "-" for none.
        var expected: [String]
        var unresolved: [String] = []
        var problems = 0
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "LAN and NAT endpoints from SRV targets",
             records: [soa] + published(1, label: "client01", alias: "client01", ip: "100.100.0.2",
                                        lan: ("192.168.1.50", 51820), nat: ("203.0.113.10", 40001)),
             expected: ["client01 100.100.0.2 192.168.1.50:51820 203.0.113.10:40001"]),
        Case(name: "alias and key-label instances are one peer",
             records: published(1, label: "client01", alias: "client01", ip: "100.100.0.2", lan: nil, nat: ("203.0.113.10", 40001))
                 + published(1, label: WireGuardKey.repeating(1).dnsLabel, alias: "client01", ip: "100.100.0.2", lan: nil, nat: ("203.0.113.10", 40001)),
             expected: ["client01 100.100.0.2 - 203.0.113.10:40001"]),
        // The `_valon._tcp` listing (docs/ARCHITECTURE.md §3) points at key labels with port 0: it names
        // no endpoint and no instance, so it adds nothing and is no problem.
        Case(name: "the _valon._tcp listing SRVs are tolerated",
             records: [soa] + published(1, label: WireGuardKey.repeating(1).dnsLabel, alias: "client01", ip: "100.100.0.2",
                                        lan: ("192.168.1.50", 51820), nat: nil)
                 + [srv("_valon._tcp", 0, 0, WireGuardKey.repeating(1).dnsLabel), srv("_valon._tcp", 0, 0, WireGuardKey.repeating(2).dnsLabel),
                    a(WireGuardKey.repeating(2).dnsLabel, "100.100.0.3")],
             expected: ["client01 100.100.0.2 192.168.1.50:51820 -"]),
        Case(name: "no endpoints yet",
             records: published(2, label: "nas", alias: "nas", ip: "100.100.0.10", lan: nil, nat: nil),
             expected: ["nas 100.100.0.10 - -"]),
        Case(name: "IPv6 endpoints (AAAA targets)",
             records: published(3, label: "v6", alias: "v6", ip: "100.100.0.4", lan: ("fd00::5", 51820), nat: ("2001:db8::1", 4000)),
             expected: ["v6 100.100.0.4 [fd00::5]:51820 [2001:db8::1]:4000"]),
        Case(name: "key from the instance label when TXT has no pub=",
             records: [txt(WireGuardKey.repeating(4).dnsLabel, ["txtvers=1", "wg_ip=100.100.0.5"])],
             expected: ["\(WireGuardKey.repeating(4).dnsLabel) 100.100.0.5 - -"]),
        Case(name: "wg_ip from the A record when TXT has none",
             records: [txt("box", ["pub=\(WireGuardKey.repeating(5).base64)", "alias=box"]), a("box", "100.100.0.6")],
             expected: ["box 100.100.0.6 - -"]),
        Case(name: "unreadable instances are problems, not peers",
             records: [txt("bad", ["pub=nope", "wg_ip=100.100.0.7"]), txt("noip", ["pub=\(WireGuardKey.repeating(6).base64)"])],
             expected: [], problems: 2),
        Case(name: "SRV target without an address is reported for a follow-up query",
             records: [txt("c2", ["pub=\(WireGuardKey.repeating(7).base64)", "wg_ip=100.100.0.8"]), srv("c2._wireguard._udp", 10, 4000, "nated.c2")],
             expected: ["c2 100.100.0.8 - -"], unresolved: ["nated.c2.valon.internal"]),
        Case(name: "records of another zone are ignored",
             records: [DNSResourceRecord(name: try! DNSName("x._wireguard._udp.other.test"), ttl: 2,
                                         data: .txt([Array("pub=\(WireGuardKey.repeating(8).base64)".utf8), Array("wg_ip=100.100.0.9".utf8)]))],
             expected: []),
    ]

    @Test(arguments: cases)
    func read(_ test: Case) {
        let reading = RegistryZone(records: test.records, zone: Self.zone)
        let lines = reading.peers.map { peer in
            "\(peer.alias) \(peer.wgIP) \(peer.lanEndpoint?.description ?? "-") \(peer.natEndpoint?.description ?? "-")"
        }
        #expect(lines == test.expected)
        #expect(reading.unresolvedTargets.map(\.description).map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 } == test.unresolved)
        #expect(reading.problems.count == test.problems, "\(reading.problems)")
    }

    /// The reading does not depend on the order of the records (a zone kept in place by a
    /// client that applies IXFR differences holds them in no transfer's order, §12.2).
    @Test("every order of the records reads the same", arguments: cases)
    func anyOrder(_ test: Case) {
        let reference = RegistryZone(records: test.records, zone: Self.zone)
        var random = SplitMix64(seed: UInt64(test.records.count))
        for _ in 0..<8 {
            #expect(RegistryZone(records: test.records.shuffled(using: &random), zone: Self.zone) == reference, "\(test.name)")
        }
        #expect(RegistryZone(records: test.records.reversed(), zone: Self.zone) == reference, "\(test.name)")
    }

    @Test("the SOA serial is read from the zone's apex")
    func serial() {
        #expect(RegistryZone(records: [Self.soa], zone: Self.zone).serial == 4711)
        #expect(RegistryZone(records: [], zone: Self.zone).serial == nil)
    }
}
