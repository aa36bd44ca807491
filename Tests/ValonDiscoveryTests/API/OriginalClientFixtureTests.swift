import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The original system's bash client (`client-scripts/bin/valon-sync`), reproduced as the
/// fixture `Tests/Fixtures/original-client/valon-sync.sh`, run with real dig, curl, wg and
/// ip inside a client's namespace against our live node through a real wireguard-go
/// tunnel. Each answer the script parses (SRV by key label, `grep 'lan\.'`/`'nated\.'`,
/// `awk '{print $3}'`/`$4`, one A query per target) must be the registry's value as
/// etcdctl reads it, and every report it posts, offline markers included, must be taken.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct OriginalClientFixtureRootTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/original-client/valon-sync.sh").path
    }

    /// The script's output: its lines grouped by their first word.
    struct Output {
        var lines: [String]
        func lines(_ word: String, _ key: WireGuardKey? = nil) -> [String] {
            let prefix = word + " " + (key.map { $0.base64 + " " } ?? "")
            return lines.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
    }

    @Test func theOriginalBashClientGetsExactlyTheAnswersItParses() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 4)
        defer { bed.shutdown() }
        var config = bed.config()
        config.bind = [IPAddress("127.0.0.1")!, bed.discoveryIP]  // DNS through the tunnel too
        try await RunningDiscovery.with(config) { node, apiPort in
            let dnsPort = try #require(node.server.dns.boundPort)
            let (me, near, far, bare) = (bed.clients[0], bed.clients[1], bed.clients[2], bed.clients[3])
            let etcd = bed.etcd
            func etcdGet(_ key: String) async throws -> String {
                try await offPool { try etcd.etcdctl(["get", key, "--print-value-only"]) }
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }

            // near: a LAN endpoint on a network the script's host is on, and a NAT one; far:
            // a LAN endpoint elsewhere and a NAT one; bare: none. Written as the API and the
            // learner would; the script's host has them as peers, as its wg0 had.
            _ = try await bed.registry.setEndpoint(.lan, to: Endpoint("10.77.0.20:51820"), of: near.publicKey)
            _ = try await bed.registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:40001"), of: near.publicKey)
            _ = try await bed.registry.setEndpoint(.lan, to: Endpoint("192.168.9.9:51820"), of: far.publicKey)
            _ = try await bed.registry.setEndpoint(.nat, to: Endpoint("203.0.113.20:40002"), of: far.publicKey)
            try await bed.run(["ip", "addr", "add", "10.77.0.1/24", "dev", "ul0"], in: me)
            for peer in [near, far, bare] {
                try await bed.run(["wg", "set", me.device.name, "peer", peer.publicKey.base64, "allowed-ips", "\(peer.wgIP)/32"], in: me)
            }
            try await eventually("DNS to serve the endpoints") {
                let nat = try await node.dig("nated.\(far.alias).valon.test")
                let lan = try await node.dig("lan.\(near.alias).valon.test")
                return nat == "203.0.113.20" && lan == "10.77.0.20"
            }

            let gateway = bed.underlayGateway(of: me)
            func writeConfig(_ name: String, discoveryEndpoint: String) throws -> String {
                let path = "\(bed.directory)/\(name)"
                try """
                    WG_INTERFACE=\(me.device.name)
                    DISCOVERY_PUBKEY=\(try bed.discoveryKey.publicKey().base64)
                    DISCOVERY_ENDPOINT=\(discoveryEndpoint)
                    DISCOVERY_ALLOWED_IPS=\(bed.discoveryIP)/32
                    DISCOVERY_DNS=\(bed.discoveryIP)
                    DISCOVERY_API=http://\(bed.discoveryIP):\(apiPort)
                    DNS_ZONE=valon.test
                    OWN_WG_IP=\(me.wgIP)
                    OWN_ALIAS=\(me.alias)
                    WG_PORT=\(me.port)
                    DNS_PORT=\(dnsPort)

                    """.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            let conf = try writeConfig("client.conf", discoveryEndpoint: "\(gateway):\(bed.discoveryPort)")
            func sync(_ arguments: [String]) async throws -> Output {
                Output(lines: try await bed.run(["bash", Self.script] + arguments, in: me)
                    .split(separator: "\n").map(String.init))
            }
            func report(_ output: Output, lanEndpoint: String) {
                #expect(output.lines("post") == [
                    #"{"pubkey": "\#(me.publicKey.base64)", "lan_endpoint": "\#(lanEndpoint)", "alias": "\#(me.alias)"}"#,
                ], "\(output.lines)")
                let response = output.lines("response")
                #expect(response.count == 1)
                #expect(response.first?.hasPrefix("200 ") == true, "\(response)")
                let body = response.first.map { String($0.dropFirst(4)) } ?? ""
                let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
                #expect(json?["success"] as? Bool == true, "\(body)")
                #expect((json?["message"] as? String)?.isEmpty == false)
            }

            // A run as the systemd timer starts it: the LAN endpoint is the source address
            // toward the discovery endpoint with WG_PORT.
            let first = try await sync([conf])
            report(first, lanEndpoint: "\(me.underlay):\(me.port)")
            #expect(try await etcdGet("/valon/peers/\(me.publicKey.base64)/lan_endpoint") == "\(me.underlay):\(me.port)")

            // What it parsed is the registry, name by name.
            for peer in [near, far, bare] {
                let label = peer.publicKey.dnsLabel
                #expect(first.lines("peer", peer.publicKey) == ["label=\(label)"])
                let lan = try await etcdGet("/valon/peers/\(peer.publicKey.base64)/lan_endpoint")
                let nat = try await etcdGet("/valon/peers/\(peer.publicKey.base64)/nat_endpoint")
                var srv: [String] = [], lanLines: [String] = [], natLines: [String] = []
                if let endpoint = Endpoint(lan) {
                    srv.append("0 0 \(endpoint.port) lan.\(label).valon.test.")
                    lanLines.append("port=\(endpoint.port) target=lan.\(label).valon.test. a=\(endpoint.address)")
                }
                if let endpoint = Endpoint(nat) {
                    srv.append("10 0 \(endpoint.port) nated.\(label).valon.test.")
                    natLines.append("port=\(endpoint.port) target=nated.\(label).valon.test. a=\(endpoint.address)")
                }
                #expect(first.lines("srv", peer.publicKey) == srv, "\(peer.alias)")
                #expect(first.lines("lan", peer.publicKey) == lanLines, "\(peer.alias)")
                #expect(first.lines("nated", peer.publicKey) == natLines, "\(peer.alias)")
            }
            #expect(first.lines("set", near.publicKey) == ["10.77.0.20:51820"], "LAN: on a network of this host")
            #expect(first.lines("set", far.publicKey) == ["203.0.113.20:40002"], "NAT: the LAN address is elsewhere")
            #expect(first.lines("set", bare.publicKey) == ["none"])
            let endpoints = try await bed.run(["wg", "show", me.device.name, "endpoints"], in: me)
            let byKey = Dictionary(uniqueKeysWithValues: endpoints.split(separator: "\n").map {
                let fields = $0.split(separator: "\t").map(String.init)
                return (fields[0], fields.count > 1 ? fields[1] : "")
            })
            #expect(byKey[near.publicKey.base64] == "10.77.0.20:51820")
            #expect(byKey[far.publicKey.base64] == "203.0.113.20:40002")
            #expect(byKey[bare.publicKey.base64] == "(none)")

            // --offline posts "0.0.0.0:0": taken, and etcdctl sees the key gone.
            let offline = try await sync(["--offline", conf])
            report(offline, lanEndpoint: "0.0.0.0:0")
            #expect(try await etcdGet("/valon/peers/\(me.publicKey.base64)/lan_endpoint").isEmpty)
            try await eventually("DNS to drop the LAN endpoint") { try await node.dig("lan.\(me.alias).valon.test").isEmpty }

            // Back online, then a host without a route to the discovery endpoint: no LAN
            // address, so it posts "": taken, the key gone again.
            report(try await sync([conf]), lanEndpoint: "\(me.underlay):\(me.port)")
            #expect(try await etcdGet("/valon/peers/\(me.publicKey.base64)/lan_endpoint") == "\(me.underlay):\(me.port)")
            let noRoute = try writeConfig("no-route.conf", discoveryEndpoint: "192.0.2.1:51820")
            let blind = try await sync([noRoute])
            report(blind, lanEndpoint: "")
            #expect(try await etcdGet("/valon/peers/\(me.publicKey.base64)/lan_endpoint").isEmpty)
            #expect(blind.lines("set", near.publicKey) == ["10.77.0.20:51820"], "the peers' answers do not depend on the report")
        }
    }
}
