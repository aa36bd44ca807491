import Foundation
import Logging
import ValonDiscovery
import ValonKit

/// valon-discovery's DNS server, in process, for scripts/bench/dns-server.sh:
///
///     valon-bench dns-server serve --peers N --port P [--zone-file F] [--queries-file Q] [--seconds S]
///         serves a synthetic N-peer snapshot on 127.0.0.1:P (no etcd); writes the same zone
///         as an NSD zone file and a dnsperf query file; prints its resident memory.
///     valon-bench dns-server latency --etcd URL [--writes N]
///         a real store + server on etcd: time from a registry write to the changed answer.
enum DNSServerBenchmark: Benchmark {
    static let name = "dns-server"
    static let summary = "serve a synthetic N-peer zone (serve …) or time etcd write → answer (latency …)"

    static func run(arguments: [String]) async throws {
        var options = [String: String]()
        var index = 1
        while index + 1 < arguments.count {
            options[arguments[index]] = arguments[index + 1]
            index += 2
        }
        switch arguments.first {
        case "serve": try await serve(options)
        case "latency": try await DNSServerLatency.run(options)
        default: throw DNSServerBenchmarkFailure("usage: valon-bench dns-server serve|latency [--option value]…")
        }
    }

    static let zoneName = "valon.internal"

    /// `count` peers with keys, aliases, addresses and both endpoints derived from the index.
    static func snapshot(peers count: Int) throws -> RegistrySnapshot {
        let peers = try (0..<count).map { index in
            var bytes = [UInt8](repeating: 0x5A, count: 32)
            bytes[0] = UInt8(index >> 16 & 0xFF)
            bytes[1] = UInt8(index >> 8 & 0xFF)
            bytes[2] = UInt8(index & 0xFF)
            let host = UInt32(index + 2)
            return Peer(publicKey: try WireGuardKey(bytes: bytes), alias: "peer\(index)",
                        wgIP: .v4(IPv4Address(value: 0x6440_0000 + host)),
                        lanEndpoint: Endpoint(address: .v4(IPv4Address(value: 0xC0A8_0000 + host % 65_000)), port: 51820),
                        natEndpoint: Endpoint(address: .v4(IPv4Address(value: 0xCB00_7100 + host % 250)),
                                              port: UInt16(20_000 + index % 40_000)))
        }
        return RegistrySnapshot(peers: peers, revision: 1000)
    }

    static func serve(_ options: [String: String]) async throws {
        let count = Int(options["--peers"] ?? "") ?? 10_000
        let port = UInt16(options["--port"] ?? "") ?? 5353
        let snapshot = try snapshot(peers: count)
        let zone = DNSZone(name: try DNSName(zoneName), ttl: 2, discoveryAddresses: [IPAddress("100.64.0.1")!])
        if let path = options["--zone-file"] {
            try zoneFile(snapshot, zone: zone).write(toFile: path, atomically: true, encoding: .utf8)
        }
        if let path = options["--queries-file"] {
            try queries(snapshot).write(toFile: path, atomically: true, encoding: .utf8)
        }
        var logger = Logger(label: "valon.bench.dns")
        logger.logLevel = .warning
        let server = DNSServer(configuration: .init(zone: zone, bindAddresses: [IPAddress("127.0.0.1")!], port: port),
                               snapshot: { snapshot }, metrics: DiscoveryMetrics(), logger: logger)
        let task = Task { try await server.run() }
        let bound = try await server.waitUntilBound()
        FileHandle.standardOutput.write(Data("dns-server: \(count) peers on 127.0.0.1:\(bound), resident \(residentKiB()) KiB\n".utf8))
        let seconds = Int(options["--seconds"] ?? "") ?? 3600
        try? await Task.sleep(for: .seconds(seconds))
        task.cancel()
        _ = await task.result
    }

    /// The zone as NSD reads it: the records of a transfer, one per line, SOA first.
    static func zoneFile(_ snapshot: RegistrySnapshot, zone: DNSZone) throws -> String {
        let query = DNSMessage.query(id: 1, name: zone.name, type: .axfr)
        let (outcome, _) = DNSZoneResponder(zone: zone).respond(to: query, client: IPAddress("127.0.0.1"),
                                                                transport: .tcp, snapshot: snapshot)
        guard case .reply(let messages) = outcome else { throw DNSServerBenchmarkFailure("the zone did not transfer") }
        var records = try messages.flatMap { try DNSMessage(decoding: $0).answers }
        records.removeLast()
        return records.map(\.description).joined(separator: "\n") + "\n"
    }

    /// A dnsperf query file: per peer, its alias and key label A, nated A, and its SRV.
    static func queries(_ snapshot: RegistrySnapshot) -> String {
        var lines = [String]()
        for peer in snapshot.peers {
            lines.append("\(peer.alias).\(zoneName) A")
            lines.append("\(peer.publicKey.dnsLabel).\(zoneName) A")
            lines.append("nated.\(peer.alias).\(zoneName) A")
            lines.append("_wireguard._udp.\(peer.alias).\(zoneName) SRV")
        }
        var generator = SystemRandomNumberGenerator()
        lines.shuffle(using: &generator)
        return lines.joined(separator: "\n") + "\n"
    }

    /// VmRSS from /proc/self/status, in KiB.
    static func residentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
}

struct DNSServerBenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
