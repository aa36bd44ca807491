import Foundation
import Logging
import ValonDiscovery
import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// Time from a registry write (one compare-and-swap through ``PeerRegistry``) until the
/// DNS server's answer shows it, through the real path: etcd watch → re-read → snapshot.
/// The answer is polled with a UDP query every 0.2 ms.
enum DNSServerLatency {
    static func run(_ options: [String: String]) async throws {
        guard let url = options["--etcd"] else { throw DNSServerBenchmarkFailure("latency needs --etcd URL") }
        let writes = Int(options["--writes"] ?? "") ?? 200
        let peerCount = Int(options["--peers"] ?? "") ?? 100
        var logger = Logger(label: "valon.bench.dns")
        logger.logLevel = .warning
        let registry = PeerRegistry(etcd: try EtcdClient(EtcdConfiguration(endpoints: [url])),
                                    configuration: .init(network: IPNetwork("100.64.0.0/16")!))
        let existing = try await registry.list().peers.count
        for index in existing..<peerCount {
            try await registry.add(key: WireGuardKey.generatePrivate().publicKey(), alias: "bench\(index)",
                                   lanEndpoint: Endpoint("192.168.0.1:51820"))
        }
        let metrics = DiscoveryMetrics()
        let store = RegistrySnapshotStore(registry: registry, syncInterval: .seconds(30), metrics: metrics, logger: logger)
        try await store.refresh()
        let zone = DNSZone(name: try DNSName(DNSServerBenchmark.zoneName))
        let server = DNSServer(configuration: .init(zone: zone, bindAddresses: [IPAddress("127.0.0.1")!], port: 0),
                               store: store, metrics: metrics, logger: logger)
        let tasks = [Task { try await store.run() }, Task { try await server.run() }]
        defer { for task in tasks { task.cancel() } }
        let port = try await server.waitUntilBound()
        guard let target = store.live?.peers.first else { throw DNSServerBenchmarkFailure("the registry has no peer to probe") }
        let probe = try UDPProbe(port: port)
        let name = try DNSName("lan.\(target.alias).\(DNSServerBenchmark.zoneName)")

        var samples = [Double]()
        for round in 0..<writes {
            let address = IPv4Address(value: 0x0A00_0000 + UInt32(round + 1))
            let start = ContinuousClock.now
            _ = try await registry.setEndpoint(.lan, to: Endpoint(address: .v4(address), port: 51820), of: target.publicKey)
            var seen = false
            for _ in 0..<50_000 where !seen {
                seen = try probe.answer(name: name) == address
                if !seen { usleep(200) }
            }
            guard seen else { throw DNSServerBenchmarkFailure("write \(round) never showed up in the answer") }
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        print(String(format: "dns-server latency: %d writes, %d peers: etcd write → changed answer p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                     writes, peerCount, percentile(0.5), percentile(0.99), samples.last ?? 0))
    }
}

/// A blocking UDP client for the latency probe: one A query, the first A record's address.
final class UDPProbe {
    let descriptor: Int32
    let port: UInt16
    var id: UInt16 = 0

    init(port: UInt16) throws {
        descriptor = try retryingOnInterrupt("socket") { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
        self.port = port
    }

    deinit { close(descriptor) }

    func answer(name: DNSName) throws -> IPv4Address? {
        id &+= 1
        let query = try DNSMessage.query(id: id, name: name, type: .a).encoded()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try retryingOnInterrupt("sendto") {
                    sendto(descriptor, query, query.count, 0, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard try retryingOnInterrupt("poll", { poll(&poller, 1, 1000) }) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try retryingOnInterrupt("recv") { recv(descriptor, &buffer, buffer.count, 0) }
        let reply = try DNSMessage(decoding: buffer[..<count])
        guard reply.header.id == id else { return nil }
        for record in reply.answers { if case .a(let value) = record.data { return value } }
        return nil
    }
}
