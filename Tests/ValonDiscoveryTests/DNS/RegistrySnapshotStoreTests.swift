import Foundation
import Logging
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The snapshot store against a real etcd member, and the metrics it feeds.
@Suite("Registry snapshot store and metrics", .tags(.process), .timeLimit(.minutes(10)))
struct RegistrySnapshotStoreProcessTests {
    @Test("updates() delivers the snapshot a registry write produces, at the write's revision")
    func updates() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let stream = live.store.updates()
        let peer = try await live.addPeer("watched", lan: "10.1.2.3:51820")
        var received: RegistrySnapshot?
        for await snapshot in stream where snapshot.peer(key: peer.publicKey) == peer {
            received = snapshot
            break
        }
        let snapshot = try #require(received)
        #expect(snapshot.peers == [peer])
        let revision = try live.etcd.etcdctl(["get", "/", "--write-out=fields"])
            .split(separator: "\n").first { $0.hasPrefix("\"Revision\"") }?.split(separator: " ").last
        #expect(revision.map(String.init) == String(snapshot.revision))
        #expect(live.store.isEtcdHealthy)
    }

    @Test("a registry that etcd cannot reach keeps the empty snapshot and counts the error")
    func unreachable() async throws {
        var configuration = EtcdConfiguration(endpoints: ["http://127.0.0.1:\(try FreePort.loopback())"])
        configuration.requestTimeout = .milliseconds(500)
        configuration.retryWindow = .milliseconds(500)
        let registry = PeerRegistry(etcd: try EtcdClient(configuration), configuration: .init(network: IPNetwork("100.100.0.0/24")!))
        let metrics = DiscoveryMetrics()
        let store = RegistrySnapshotStore(registry: registry, syncInterval: .seconds(1), metrics: metrics,
                                          logger: Logger(label: "valon.test"))
        await #expect(throws: RegistryError.self) { try await store.refresh() }
        #expect(!store.isEtcdHealthy)
        #expect(store.current == nil)
        #expect(store.phase == .starting)
        #expect(metrics.etcdErrors == 1)
        #expect(metrics.render().contains("valon_etcd_up 0\n"))
    }

    @Test("Prometheus text 0.0.4: HELP and TYPE per family, labels quoted and escaped")
    func exposition() {
        let metrics = DiscoveryMetrics()
        metrics.recordDNSQuery(type: .a, rcode: .noError)
        metrics.recordDNSQuery(type: .a, rcode: .noError)
        metrics.recordDNSQuery(type: .srv, rcode: .nxDomain)
        metrics.recordAPIRequest(status: 429)
        metrics.recordReconcilerChanges("add\"ed\\\n", count: 2)
        let start = ContinuousClock.now
        metrics.recordSnapshot(peers: 3, at: start)
        let text = metrics.render(now: start + .milliseconds(1500))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE valon_dns_queries_total counter"))
        #expect(lines.contains(#"valon_dns_queries_total{qtype="A",rcode="NOERROR"} 2"#))
        #expect(lines.contains(#"valon_dns_queries_total{qtype="SRV",rcode="NXDOMAIN"} 1"#))
        #expect(lines.contains(#"valon_api_requests_total{status="429"} 1"#))
        #expect(lines.contains(#"valon_reconciler_changes_total{kind="add\"ed\\\n"} 2"#))
        #expect(lines.contains("valon_registry_peers 3"))
        #expect(lines.contains("valon_registry_snapshot_age_seconds 1.5"))
        #expect(lines.contains("valon_etcd_up 1"))
        for line in lines where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "\(line)")
        }
    }
}
