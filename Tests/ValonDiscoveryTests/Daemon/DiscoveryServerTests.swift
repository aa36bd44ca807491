import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The assembled node in-process (docs/ARCHITECTURE.md §6 faults): it starts while etcd is down (DNS
/// serves, the API answers 503, the interface is left alone) and catches up once etcd is
/// back; `/health` reports etcd and WireGuard state; start-up refuses a missing interface.
/// The API listens on loopback here, so `curl` runs on the host.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct DiscoveryServerRootTests {
    static func loopbackConfig(_ bed: DiscoveryTestbed) -> DiscoveryConfig {
        var config = bed.config()
        config.apiListen = HostPort(host: "127.0.0.1", port: 0)
        return config
    }

    static func request(_ method: String, port: Int, _ path: String, body: String? = nil) async throws -> (status: Int, body: String, headers: String) {
        var command = ["curl", "-s", "--max-time", "15", "-i", "-w", "\n%{http_code}", "-X", method]
        if let body { command += ["-H", "Content-Type: application/json", "--data-binary", body] }
        command.append("http://127.0.0.1:\(port)\(path)")
        let output = try await offPool { [command] in try Command.check(command) }
        let newline = output.lastIndex(of: "\n")!
        let status = Int(output[output.index(after: newline)...]) ?? 0
        let response = String(output[..<newline])
        let split = response.range(of: "\r\n\r\n")
        return (status, split.map { String(response[$0.upperBound...]) } ?? "", split.map { String(response[..<$0.lowerBound]) } ?? response)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func startsWhileEtcdIsDownAndCatchesUpWhenItIsBack() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        let me = bed.clients[0]
        bed.etcd.stop(0)
        try await RunningDiscovery.with(Self.loopbackConfig(bed), registryRead: false) { node, port in
            let health = try await Self.request("GET", port: port, "/health")
            #expect(health.status == 503)
            #expect(Self.json(health.body)["status"] as? String == "starting", "\(health.body)")
            let etcd = Self.json(health.body)["etcd"] as? [String: Any]
            #expect(etcd?["healthy"] as? Bool == false, "\(health.body)")
            #expect(etcd?["source"] as? String == "none", "\(health.body)")

            let post = try await Self.request("POST", port: port, "/api/endpoint",
                                        body: #"{"pubkey":"\#(me.publicKey.base64)","lan_endpoint":"192.168.1.50:51820"}"#)
            #expect(post.status == 503, "\(post.body)")
            #expect(post.headers.lowercased().contains("retry-after: 5"), "\(post.headers)")

            // Nothing read, nothing persisted: SERVFAIL for the zone, the transfer too (dig as the oracle).
            for question in [["discovery.valon.test", "A"], ["valon.test", "SOA"], ["\(me.alias).valon.test", "A"],
                             ["valon.test", "AXFR"]] {
                #expect(try await Self.status(node, question) == "SERVFAIL", "\(question)")
            }
            #expect(try await bed.discoveryPeers().isEmpty, "a registry never read does not touch the interface")

            try await bed.etcd.restart(0)
            try await eventually("the reconciler to catch up") { try await bed.discoveryPeers().keys.sorted() == [me.publicKey.base64] }
            try await eventually("DNS to answer from etcd") { try await node.dig("\(me.alias).valon.test") == me.wgIP.description }
            try await eventually("health to recover") { try await Self.request("GET", port: port, "/health").status == 200 }
        }
    }

    /// The response code for `question`: dig's `status:` for queries; for AXFR, the first
    /// message's code as ValonKit's transfer client reads it (dig says only "Transfer failed").
    static func status(_ node: RunningDiscovery, _ question: [String]) async throws -> String {
        let port = try #require(node.server.dns.boundPort)
        if question.last == "AXFR" {
            let resolver = DNSResolver(server: Endpoint(address: IPAddress("127.0.0.1")!, port: port))
            do {
                _ = try await resolver.transferZone(try DNSName(question[0]))
                return "NOERROR"
            } catch {
                return ["SERVFAIL", "REFUSED"].first { error.description.contains($0) } ?? error.description
            }
        }
        let output = try await offPool {
            try Command.run(["dig", "+time=2", "+tries=1", "@127.0.0.1", "-p", "\(port)"] + question).stdout
        }
        guard let range = output.range(of: "status: ") else { return output }
        return String(output[range.upperBound...].prefix { $0 != "," })
    }

    /// A restart while etcd is down, after a run that read the registry: DNS answers from
    /// the persisted snapshot with its serial, `/health` says `stale` with its age, the API
    /// answers 503, and the interface keeps every peer; then etcd returns and the node
    /// catches up (docs/ARCHITECTURE.md §9).
    @Test func restartsWhileEtcdIsDownFromThePersistedSnapshot() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        let (me, other) = (bed.clients[0], bed.clients[1])
        let config = Self.loopbackConfig(bed)
        let serial = try await RunningDiscovery.with(config) { node, _ in
            try await eventually("the interface to hold both peers") { try await bed.discoveryPeers().count == 2 }
            try await eventually("the snapshot to be persisted", limit: .seconds(60)) {
                (try? RegistrySnapshotFile.load(from: config.stateDirectory))?.snapshot.revision == node.server.store.live?.revision
            }
            return try #require(node.server.store.live?.serial)
        }
        // The clean shutdown revoked the node's registration (§11), a write the store may
        // have persisted on its way out: the file's serial is the one served.
        let persisted = try #require(try RegistrySnapshotFile.load(from: config.stateDirectory)).snapshot.serial
        #expect(persisted >= serial)
        bed.etcd.stop(0)
        try await RunningDiscovery.with(config, registryRead: false) { node, port in
            #expect(try await node.dig("valon.test", "SOA").split(separator: " ").dropFirst(2).first == "\(persisted)",
                    "the persisted serial")
            #expect(try await node.dig("\(me.alias).valon.test") == me.wgIP.description)
            #expect(try await Self.status(node, ["valon.test", "AXFR"]) == "NOERROR")
            #expect(try await node.dig("valon.test", "AXFR").contains(other.wgIP.description))
            let health = try await Self.request("GET", port: port, "/health")
            #expect(health.status == 503)
            let body = Self.json(health.body)
            #expect(body["status"] as? String == "stale", "\(health.body)")
            let etcd = body["etcd"] as? [String: Any]
            #expect(etcd?["source"] as? String == "disk")
            #expect((etcd?["snapshot_age_seconds"] as? Double).map { $0 >= 0 } == true, "\(health.body)")
            #expect(etcd?["peers"] as? Int == 2)
            let post = try await Self.request("POST", port: port, "/api/endpoint",
                                              body: #"{"pubkey":"\#(me.publicKey.base64)","lan_endpoint":"192.168.1.50:51820"}"#)
            #expect(post.status == 503 && post.headers.lowercased().contains("retry-after:"), "\(post.headers)")
            // Several reconciler and learner periods pass: the interface keeps both peers.
            try await Task.sleep(for: .seconds(3))
            #expect(try await bed.discoveryPeers().count == 2, "a persisted snapshot never changes the interface")

            try await bed.etcd.restart(0)
            try await eventually("the node to read etcd") { node.server.store.live != nil }
            try await eventually("health to recover") { try await Self.request("GET", port: port, "/health").status == 200 }
            #expect(try await node.dig("\(other.alias).valon.test") == other.wgIP.description)
        }
    }

    @Test func healthAndMetricsReportTheInterface() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(Self.loopbackConfig(bed)) { node, port in
            func health() async throws -> [String: Any] { Self.json(try await Self.request("GET", port: port, "/health").body) }
            try await eventually("a healthy node that has seen the added peer") {
                let health = try await health()
                return (health["wireguard"] as? [String: Any])?["peers"] as? Int == 1 && health["status"] as? String == "ok"
            }
            let health = try await health()
            let wireguard = health["wireguard"] as? [String: Any]
            #expect(health["status"] as? String == "ok")
            #expect(wireguard?["interface"] as? String == bed.discovery.name)
            #expect(wireguard?["peers"] as? Int == 1)
            #expect((health["etcd"] as? [String: Any])?["peers"] as? Int == 1)

            _ = try await node.dig("\(bed.clients[0].alias).valon.test")
            let metrics = try await Self.request("GET", port: port, "/metrics")
            #expect(metrics.headers.contains("text/plain; version=0.0.4"), "\(metrics.headers)")
            for sample in [#"valon_api_requests_total{status="200"}"#, #"valon_dns_queries_total{qtype="A",rcode="NOERROR"}"#,
                           "valon_registry_peers 1", "valon_reconciler_changes_total{kind=\"added\"} 1", "valon_etcd_up 1"] {
                #expect(metrics.body.contains(sample), "\(sample) in \(metrics.body)")
            }

            bed.discovery.stop()  // the interface disappears under the running node
            try await eventually("health to report the interface") { try await Self.request("GET", port: port, "/health").status == 503 }
            let degraded = Self.json(try await Self.request("GET", port: port, "/health").body)
            #expect(degraded["status"] as? String == "degraded")
            #expect((degraded["wireguard"] as? [String: Any])?["healthy"] as? Bool == false)
            #expect(((degraded["wireguard"] as? [String: Any])?["error"] as? String)?.contains(bed.discovery.name) == true,
                    "\(degraded)")
        }
    }

    /// The interface's addresses feed DNS: `discovery.<zone>` answers them and, unless
    /// `axfr_allow` is configured, the WireGuard network may transfer the zone.
    @Test func theWireGuardNetworkMayTransferTheZoneByDefault() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        let me = bed.clients[0]
        var config = bed.config()
        config.bind = [bed.discoveryIP]
        func transfer(_ port: UInt16) async throws -> String {
            try await bed.run(["dig", "+time=5", "+tries=3", "@\(bed.discoveryIP)", "-p", "\(port)", "valon.test", "AXFR"], in: me)
        }
        try await RunningDiscovery.with(config) { node, _ in
            let port = try #require(node.server.dns.boundPort)
            let zone = try await transfer(port)
            #expect(zone.contains("\(me.alias).valon.test.") && zone.contains(me.wgIP.description), "\(zone)")
            #expect(zone.contains("discovery.valon.test.") && zone.contains(bed.discoveryIP.description), "\(zone)")
        }
        config.axfrAllow = [IPNetwork("127.0.0.0/8")!]
        try await RunningDiscovery.with(config) { node, _ in
            let port = try #require(node.server.dns.boundPort)
            let refused = try await transfer(port)
            #expect(!refused.contains("\(me.alias).valon.test."), "an explicit axfr_allow replaces the default: \(refused)")
        }
    }

    @Test func aMissingInterfaceIsRefusedAtStartUp() throws {
        var config = DiscoveryConfig()
        config.interface = "vdgone" + String(UUID().uuidString.prefix(6)).lowercased()
        let error = #expect(throws: DiscoveryError.self) { try DiscoveryServer(config: config, logger: .init(label: "test")) }
        #expect(error?.code == .interfaceMissing)
        #expect(error?.message.contains(config.interface) == true)
    }
}
