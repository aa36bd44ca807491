import Foundation
import Testing
import ValonKit

/// `valonctl status` against real parts: etcd, wireguard-go and an HTTP server
/// answering `/health` (Python's http.server serving a file named `health`).
@Suite("valonctl status", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ValonctlStatusRootTests {
    /// A real HTTP server on a free loopback port whose `/health` answers 200.
    final class HealthServer: @unchecked Sendable {
        let process = Process()
        let url: String
        let directory: String

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("valonctl-http-\(randomSuffix())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "ok\n".write(toFile: directory + "/health", atomically: true, encoding: .utf8)
            let port = try EtcdCluster.freePorts(1)[0]
            url = "http://127.0.0.1:\(port)"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory, String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if let result = try? Command.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/health"]),
                   result.stdout == "200" { return }
                usleep(50_000)
            }
            stop()
            throw ValonctlRunner.Missing(description: "python3 http.server did not answer on \(url)")
        }

        func stop() {
            // By its own PID; SIGKILL, as SIGTERM may be blocked in children of the test runner.
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeAll(atPath: directory)
        }
    }

    /// NSD serving the zone with the discovery node's name.
    static func dnsServer() throws -> NSDServer {
        try NSDServer(zones: [NSDServer.Zone(name: "valon.internal", text: """
            $ORIGIN valon.internal.
            $TTL 2
            @ IN SOA ns.valon.internal. admin.valon.internal. 1 60 60 600 2
            @ IN NS ns
            ns IN A 100.100.0.1
            discovery IN A 100.100.0.1

            """)])
    }

    @Test("everything up: exit 0, text and JSON name the interface, etcd, the API and DNS")
    func healthy() async throws {
        let server = try HealthServer()
        defer { server.stop() }
        let dns = try Self.dnsServer()
        defer { dns.stop() }
        let node = try await ValonctlFixture(apiURL: server.url)
        defer { node.shutdown() }
        #expect(try node.valonctl(["peer", "add", try newPublicKey().base64, "--alias", "a"]).status == 0)

        let text = try node.valonctl(["status", "--dns-server", dns.endpointText])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        let discoveryKey = try node.discoveryPrivateKey.publicKey()
        #expect(text.stdout.contains("WireGuard interface \(node.interface): ok\n"))
        #expect(text.stdout.contains("  public key:     \(discoveryKey.base64)\n"))
        #expect(text.stdout.contains("  listening port: 51820\n"))
        #expect(text.stdout.contains("  peers:          1 (0 with a handshake"))
        #expect(text.stdout.contains("etcd: ok (1 of 1 endpoints reachable)"))
        #expect(text.stdout.contains("registered peers: 1"))
        #expect(text.stdout.contains("DDNS API \(server.url)/health: ok (HTTP 200)"))
        #expect(text.stdout.contains("DNS discovery.valon.internal at \(dns.endpointText): ok (100.100.0.1)"))
        #expect(text.stdout.hasSuffix("All checks passed.\n"))

        let json = try node.valonctl(["status", "--json", "--dns-server", dns.endpointText])
        #expect(json.status == 0)
        let report = try JSONDecoder().decode(StatusReport.self, from: Data(json.stdout.utf8))
        #expect(report.healthy)
        #expect(report.interface.publicKey == discoveryKey.base64)
        #expect(report.interface.peers == 1)
        #expect(report.etcd.reachable == 1)
        #expect(report.etcd.endpoints.first?.isLeader == true)
        // The revision is etcd's own, as etcdctl reports it.
        let etcdStatus = try node.etcd.etcdctl(["endpoint", "status", "--write-out=json"])
        #expect(etcdStatus.contains("\"revision\":\(report.etcd.revision ?? -1)"))
        #expect(report.ddns.status == 200)
        #expect(report.dns?.addresses == ["100.100.0.1"])
        // The interface's private key is never shown.
        #expect(!text.stdout.contains(node.discoveryPrivateKey.base64) && !json.stdout.contains(node.discoveryPrivateKey.base64))
    }

    @Test("parts down: exit 9, each failure named")
    func unhealthy() async throws {
        let node = try await ValonctlFixture(withInterface: false)
        defer { node.shutdown() }
        let deadPort = try EtcdCluster.freePorts(1)[0]
        let deadEtcd = "http://127.0.0.1:\(try EtcdCluster.freePorts(1)[0])"
        try node.writeConfig(etcdEndpoints: [deadEtcd, node.etcd.clientURLs[0]], apiURL: "http://127.0.0.1:\(deadPort)")
        // A DNS server whose zone names another address for discovery.
        let dns = try NSDServer(zones: [NSDServer.Zone(name: "valon.internal", text: """
            $ORIGIN valon.internal.
            @ 2 IN SOA ns.valon.internal. admin.valon.internal. 1 60 60 600 2
            @ 2 IN NS ns
            ns 2 IN A 100.100.0.9
            discovery 2 IN A 100.100.0.9

            """)])
        defer { dns.stop() }
        let result = try node.valonctl(["status", "--dns-server", dns.endpointText])
        #expect(result.status == 9)
        #expect(result.stdout.contains("WireGuard interface \(node.interface): DOWN (does not exist"))
        #expect(result.stdout.contains("etcd: ok (1 of 2 endpoints reachable)"))
        #expect(result.stdout.contains("  \(deadEtcd): DOWN"))
        #expect(result.stderr.contains("valonctl: WireGuard interface \(node.interface): does not exist"))
        #expect(result.stderr.contains("valonctl: DDNS API http://127.0.0.1:\(deadPort)/health: unreachable"))
        #expect(!result.stderr.contains("etcd:"))
        #expect(result.stderr.contains("valonctl: DNS discovery.valon.internal at \(dns.endpointText): answered 100.100.0.9, not the discovery address 100.100.0.1"))

        // Every etcd endpoint down as well.
        try node.writeConfig(etcdEndpoints: [deadEtcd], apiURL: "http://127.0.0.1:\(deadPort)")
        // No DNS server at all on that port.
        let deadDNS = "127.0.0.1:\(try EtcdCluster.freePorts(1)[0])"
        let json = try node.valonctl(["status", "--json", "--dns-server", deadDNS])
        #expect(json.status == 9)
        let report = try JSONDecoder().decode(StatusReport.self, from: Data(json.stdout.utf8))
        #expect(!report.etcd.ok && report.etcd.reachable == 0)
        #expect(report.problems.count == 4)
        #expect(report.dns?.ok == false && report.dns?.server == deadDNS)
        #expect(report.problems.contains { $0.hasPrefix("etcd: no endpoint reachable (\(deadEtcd):") })
    }
}
