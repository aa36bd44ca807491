import Foundation
import Testing
@testable import ValonKit

/// ``RegistryReader`` against a real NSD serving a zone laid out as the discovery node
/// lays out VALON's (docs/ARCHITECTURE.md §3): the SOA serial in one query, every peer by AXFR, and the
/// same peers by a DNS-SD browse.
@Suite("registry reader (NSD)", .tags(.process), .timeLimit(.minutes(10)))
struct RegistryReaderNSDProcessTests {
    static func key(_ n: Int) -> WireGuardKey {
        try! WireGuardKey(bytes: [UInt8(n & 0xff), UInt8(n >> 8)] + [UInt8](repeating: 9, count: 30))
    }

    /// A VALON zone file for `peers`, each under its alias and its key label.
    static func zoneText(_ peers: [Peer], serial: UInt32) -> String {
        var lines = [
            "$ORIGIN valon.internal.", "$TTL 2",
            "@ IN SOA discovery.valon.internal. hostmaster.valon.internal. \(serial) 60 10 600 2",
            "@ IN NS discovery", "discovery IN A 100.100.0.1",
        ]
        for peer in peers {
            for label in [peer.alias, peer.publicKey.dnsLabel] {
                lines.append("\(label) IN A \(peer.wgIP)")
                lines.append("_wireguard._udp IN PTR \(label)._wireguard._udp")
                lines.append("\(label)._wireguard._udp IN TXT \"txtvers=1\" \"pub=\(peer.publicKey.base64)\" \"wg_ip=\(peer.wgIP)\" \"alias=\(peer.alias)\"")
                for (kind, endpoint, priority) in [("lan", peer.lanEndpoint, 0), ("nated", peer.natEndpoint, 10)] {
                    guard let endpoint else { continue }
                    let type = endpoint.address.isIPv4 ? "A" : "AAAA"
                    lines.append("\(kind).\(label) IN \(type) \(endpoint.address)")
                    lines.append("\(label)._wireguard._udp IN SRV \(priority) 0 \(endpoint.port) \(kind).\(label)")
                    lines.append("_wireguard._udp.\(label) IN SRV \(priority) 0 \(endpoint.port) \(kind).\(label)")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let peers: [Peer] = (1...40).map { n in
        Peer(publicKey: key(n), alias: "peer\(n)", wgIP: IPAddress("100.100.0.\(n + 1)")!,
             lanEndpoint: n % 3 == 0 ? nil : Endpoint("192.168.\(n).10:51820"),
             natEndpoint: n % 5 == 0 ? nil : (n % 7 == 0 ? Endpoint("[2001:db8::\(n)]:4000") : Endpoint("203.0.113.\(n):\(40000 + n)")))
    }.sorted { $0.publicKey.base64 < $1.publicKey.base64 }

    @Test("SOA in one query, every peer by AXFR in one, the same peers by browse")
    func readZone() async throws {
        let nsd = try NSDServer(zone: "valon.internal", text: Self.zoneText(Self.peers, serial: 2024))
        defer { nsd.stop() }
        let reader = RegistryReader(server: Endpoint(address: IPAddress("127.0.0.1")!, port: nsd.port),
                                    zone: try DNSName("valon.internal"))
        #expect(try await reader.serial() == 2024)
        #expect(reader.queryCount == 1)

        let (zone, method) = try await reader.fetchAll()
        #expect(method == .axfr)
        #expect(reader.queryCount == 2)
        #expect(zone.serial == 2024)
        #expect(zone.peers == Self.peers)
        #expect(zone.problems.isEmpty)

        let browsed = try await reader.browse()
        #expect(browsed.peers == Self.peers)
        #expect(browsed.serial == 2024)
    }

    @Test("an absent zone is a registry error naming the server")
    func wrongZone() async throws {
        let nsd = try NSDServer(zone: "valon.internal", text: Self.zoneText([], serial: 1))
        defer { nsd.stop() }
        let reader = RegistryReader(server: Endpoint(address: IPAddress("127.0.0.1")!, port: nsd.port),
                                    zone: try DNSName("other.internal"))
        await #expect(throws: ClientError.self) { try await reader.fetchAll() }
        do {
            _ = try await reader.serial()
            Issue.record("an SOA for a zone NSD does not serve")
        } catch {
            #expect(error.code == .registry)
            #expect(error.message.contains("127.0.0.1:\(nsd.port)"))
        }
    }
}
