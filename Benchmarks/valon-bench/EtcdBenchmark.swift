import Foundation
import ValonKit

/// etcd client throughput (puts, ranges, txns per second, one request at a time on one
/// connection) and the time to list a registry of many peers with one range.
///
///     valon-bench etcd puts|ranges|txns ENDPOINT [COUNT]
///     valon-bench etcd list ENDPOINT [PEERS [gateway]]
///
/// scripts/bench/etcd.sh runs these side by side with a keep-alive `curl` loop.
enum EtcdBenchmark: Benchmark {
    static let name = "etcd"
    static let summary = "etcd puts/ranges/txns per second; listing N peers (one range)"

    static func run(arguments: [String]) async throws {
        guard arguments.count >= 2 else {
            print("usage: valon-bench etcd puts|ranges|txns|list ENDPOINT [COUNT]")
            exit(2)
        }
        let mode = arguments[0]
        var configuration = EtcdConfiguration(endpoints: [arguments[1]])
        // `list ENDPOINT PEERS gateway` lists through the JSON gateway instead of gRPC.
        configuration.rangesOverGRPC = arguments.count < 4 || arguments[3] != "gateway"
        let client = try EtcdClient(configuration)
        let count = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000
        let value = String(repeating: "v", count: 64)
        switch mode {
        case "puts":
            let seconds = try await timed(count) { index in
                try await client.put(EtcdPutRequest(key: "/bench/put/\(index % 1000)", value: value))
            }
            report("puts", count, seconds)
        case "ranges":
            try await client.put(EtcdPutRequest(key: "/bench/range", value: value))
            let seconds = try await timed(count) { _ in _ = try await client.range(EtcdRangeRequest(key: "/bench/range")) }
            report("ranges", count, seconds)
        case "txns":
            let seconds = try await timed(count) { index in
                _ = try await client.txn(EtcdTxnRequest(compare: [.absent("/bench/none")],
                                                        success: [.put(EtcdPutRequest(key: "/bench/txn", value: "\(index)"))]))
            }
            report("txns", count, seconds)
        case "list":
            try await listPeers(client, count: count)
        default:
            print("unknown mode \(mode)")
            exit(2)
        }
    }

    /// Fills a registry with `count` peers (25 per transaction), then lists it ten times.
    static func listPeers(_ client: EtcdClient, count: Int) async throws {
        let keys = RegistryKeys(prefix: "/bench-registry/")
        let registry = PeerRegistry(etcd: client, configuration: .init(network: IPNetwork("10.0.0.0/8")!, keys: keys))
        let existing = try await client.range({ var r = EtcdRangeRequest.prefix(keys.peers); r.countOnly = true; return r }())
        if existing.count < Int64(count) * 4 {
            var operations: [EtcdOperation] = []
            for index in 0..<count {
                let key = WireGuardKey.generatePreshared()
                let address = IPAddress.v4(IPv4Address(value: 0x0a00_0000 + UInt32(index) + 2))
                let peer = Peer(publicKey: key, alias: "peer\(index)", wgIP: address,
                                lanEndpoint: Endpoint(address: .v4(IPv4Address(value: 0xc0a8_0000 + UInt32(index & 0xffff))), port: 51820),
                                natEndpoint: Endpoint(address: .v4(IPv4Address(value: 0xcb00_7100 + UInt32(index & 0xff))), port: 51820))
                operations += [
                    .put(EtcdPutRequest(key: keys.field(.wgIP, of: key), value: peer.wgIP.description)),
                    .put(EtcdPutRequest(key: keys.field(.alias, of: key), value: peer.alias)),
                    .put(EtcdPutRequest(key: keys.field(.lanEndpoint, of: key), value: peer.lanEndpoint!.description)),
                    .put(EtcdPutRequest(key: keys.field(.natEndpoint, of: key), value: peer.natEndpoint!.description)),
                ]
                if operations.count >= 100 || index == count - 1 {
                    _ = try await client.txn(EtcdTxnRequest(success: operations))
                    operations = []
                }
            }
        }
        var times: [Double] = []
        var listed = 0
        for _ in 0..<10 {
            let start = ContinuousClock.now
            listed = try await registry.list().peers.count
            times.append(seconds(ContinuousClock.now - start))
        }
        times.sort()
        let path = client.configuration.rangesOverGRPC ? "gRPC" : "gateway"
        print(String(format: "list (%@): %d peers in one range: min %.1f ms, median %.1f ms, max %.1f ms (10 runs)",
                     path, listed, times[0] * 1000, times[5] * 1000, times[9] * 1000))
    }

    static func timed(_ count: Int, _ body: (Int) async throws -> Void) async throws -> Double {
        for index in 0..<min(50, count) { try await body(index) }  // warm up the connection
        let start = ContinuousClock.now
        for index in 0..<count { try await body(index) }
        return seconds(ContinuousClock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func report(_ what: String, _ count: Int, _ seconds: Double) {
        print(String(format: "%@: %d in %.3f s = %.0f/s", what, count, seconds, Double(count) / seconds))
    }
}
