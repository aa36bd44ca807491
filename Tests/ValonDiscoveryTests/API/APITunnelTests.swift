import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The DDNS API over real sockets (docs/ARCHITECTURE.md §3, §7): clients in their own network namespaces
/// reach the in-process discovery node through real `wireguard-go` tunnels, so the source
/// address the API sees is the client's WireGuard address. `curl` is the client, `etcdctl`
/// the oracle for what was stored.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct APITunnelRootTests {
    static func body(_ client: DiscoveryTestbed.Client, endpoint: String = "192.168.1.50:51820", alias: String? = nil,
                     key: WireGuardKey? = nil) -> String {
        var fields = [#""pubkey":"\#((key ?? client.publicKey).base64)""#, #""lan_endpoint":"\#(endpoint)""#]
        if let alias { fields.append(#""alias":"\#(alias)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func aPeerUpdatesAndClearsItsOwnLANEndpoint() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, port in
            let me = bed.clients[0]

            let first = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me, alias: me.alias))
            #expect(first.status == 200, "\(first.body)")
            #expect(Self.json(first.body)["success"] as? Bool == true)
            #expect(try await bed.field("lan_endpoint", of: me.publicKey) == "192.168.1.50:51820")

            let revision = try await bed.modRevision("lan_endpoint", of: me.publicKey)
            let again = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me))
            #expect(again.status == 200)
            #expect((Self.json(again.body)["message"] as? String)?.contains("nothing changed") == true)
            #expect(try await bed.modRevision("lan_endpoint", of: me.publicKey) == revision,
                    "an unchanged endpoint is not written again (same mod revision)")

            let cleared = try await bed.curl(from: me, "DELETE", "/api/endpoint/delete", port: port,
                                       body: #"{"pubkey":"\#(me.publicKey.base64)"}"#)
            #expect(cleared.status == 200, "\(cleared.body)")
            #expect(try await bed.field("lan_endpoint", of: me.publicKey) == nil)
            #expect(try await bed.field("alias", of: me.publicKey) == me.alias, "the rest of the record stays")
        }
    }

    /// The original bash client posts `"lan_endpoint": ""` when it finds no LAN address and
    /// `"0.0.0.0:0"` to say it is offline (docs/ARCHITECTURE.md §3): both clear the LAN endpoint and
    /// answer 200, after the same caller checks as any update.
    @Test func theOriginalsOfflineMarkersClearTheLANEndpoint() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, port in
            let (me, other) = (bed.clients[0], bed.clients[1])
            let lanKey = "/valon/peers/\(me.publicKey.base64)/lan_endpoint"
            let etcd = bed.etcd
            func etcdctl(_ arguments: [String]) async throws -> String { try await offPool { try etcd.etcdctl(arguments) } }
            // The first packets through the tunnels make the learner store NAT endpoints.
            _ = try await bed.curl(from: me, "GET", "/health", port: port)
            _ = try await bed.curl(from: other, "GET", "/health", port: port)
            try await eventually("the learner to store my NAT endpoint") { try await bed.field("nat_endpoint", of: me.publicKey) != nil }
            try await eventually("the learner to store the other's NAT endpoint") {
                try await bed.field("nat_endpoint", of: other.publicKey) != nil
            }
            for marker in ["", "0.0.0.0:0"] {
                let set = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me, alias: me.alias))
                #expect(set.status == 200, "\(set.body)")
                #expect(try await etcdctl(["get", lanKey, "--print-value-only"]) == "192.168.1.50:51820\n")
                try await eventually("DNS to serve the LAN endpoint") { try await node.dig("lan.\(me.alias).valon.test") == "192.168.1.50" }

                let cleared = try await bed.curl(from: me, "POST", "/api/endpoint", port: port,
                                                 body: Self.body(me, endpoint: marker, alias: me.alias))
                #expect(cleared.status == 200, "\(marker): \(cleared.body)")
                let reply = Self.json(cleared.body)
                #expect(reply["success"] as? Bool == true, "\(cleared.body)")
                #expect(reply["message"] as? String == "lan_endpoint of \(me.alias) cleared (offline marker \"\(marker)\")")
                #expect(try await etcdctl(["get", lanKey]).isEmpty, "etcdctl sees the key gone")
                #expect(try await etcdctl(["get", "--prefix", "/valon/peers/\(me.publicKey.base64)/", "--keys-only"])
                    .split(separator: "\n").map(String.init).sorted()
                    == ["/valon/peers/\(me.publicKey.base64)/alias", "/valon/peers/\(me.publicKey.base64)/nat_endpoint",
                        "/valon/peers/\(me.publicKey.base64)/nat_seen", "/valon/peers/\(me.publicKey.base64)/wg_ip"].sorted(),
                        "alias, address and the learned NAT endpoint (with who learned it, §11) stay")
                try await eventually("DNS to drop the LAN endpoint") { try await node.dig("lan.\(me.alias).valon.test").isEmpty }

                let again = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me, endpoint: marker))
                #expect(again.status == 200, "\(again.body)")
                #expect(Self.json(again.body)["message"] as? String
                        == "\(me.alias) has no lan_endpoint; nothing changed (offline marker \"\(marker)\")")
            }

            // The original's own key layout (endpoints/lan) is cleared the same way.
            _ = try await etcdctl(["put", "/valon/peers/\(me.publicKey.base64)/endpoints/lan", "192.168.7.7:51820"])
            let legacy = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me, endpoint: "0.0.0.0:0"))
            #expect(legacy.status == 200, "\(legacy.body)")
            #expect(try await etcdctl(["get", "--prefix", "/valon/peers/\(me.publicKey.base64)/endpoints/"]).isEmpty)

            // Same caller checks as any update, and other invalid endpoints are still 422.
            let own = try await bed.curl(from: other, "POST", "/api/endpoint", port: port, body: Self.body(other, endpoint: "10.9.8.7:51820"))
            #expect(own.status == 200)
            let before = try await bed.registryDump()
            let unknown = try WireGuardKey.generatePrivate().publicKey()
            let cases: [(String, body: String, status: Int)] = [
                ("another peer's key, offline", Self.body(me, endpoint: "0.0.0.0:0", key: other.publicKey), 403),
                ("another peer's key, empty", Self.body(me, endpoint: "", key: other.publicKey), 403),
                ("someone else's alias, offline", Self.body(me, endpoint: "0.0.0.0:0", alias: other.alias), 403),
                ("an unknown key, empty", Self.body(me, endpoint: "", key: unknown), 404),
                ("a key that is not base64, offline", #"{"pubkey":"abc","lan_endpoint":"0.0.0.0:0"}"#, 400),
                ("null instead of the marker", #"{"pubkey":"\#(me.publicKey.base64)","lan_endpoint":null}"#, 400),
                ("unspecified address, real port", Self.body(me, endpoint: "0.0.0.0:51820"), 422),
                ("IPv6 unspecified, port 0", Self.body(me, endpoint: "[::]:0"), 422),
                ("a blank", Self.body(me, endpoint: " "), 422),
                ("port 0 elsewhere", Self.body(me, endpoint: "192.168.1.50:0"), 422),
                ("0.0.0.0 without a port", Self.body(me, endpoint: "0.0.0.0"), 422),
            ]
            for (what, body, status) in cases {
                let answer = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: body)
                #expect(answer.status == status, "\(what): \(answer.body)")
                #expect(Self.json(answer.body)["success"] as? Bool == false, "\(what): \(answer.body)")
            }
            #expect(try await bed.registryDump() == before, "no refused request changed the registry")
            #expect(try await bed.field("lan_endpoint", of: other.publicKey) == "10.9.8.7:51820")
        }
    }

    /// The API's tasks run on an event loop of their own (EventLoopTaskExecutor): an update
    /// through the tunnel, which reads and writes etcd, is answered while every thread of
    /// Swift's cooperative pool in this process is held.
    @Test func anUpdateIsAnsweredWhileTheCooperativePoolIsBlocked() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, port in
            let me = bed.clients[0]
            _ = try await bed.curl(from: me, "GET", "/health", port: port)
            let body = Self.body(me, endpoint: "192.168.9.9:51820")
            let command = ["curl", "-sS", "--max-time", "15", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                           "-H", "Content-Type: application/json", "--data-binary", body,
                           "http://\(bed.discoveryIP):\(port)/api/endpoint"]
            let device = me.device
            let status = try await withCooperativePoolBlocked { try device.exec(command) }
            #expect(status == "200")
            #expect(try await bed.field("lan_endpoint", of: me.publicKey) == "192.168.9.9:51820")
        }
    }

    @Test func refusalsChangeNothing() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, port in
            let (me, other) = (bed.clients[0], bed.clients[1])
            // The first packet through the tunnel makes the learner store a NAT endpoint:
            // let that happen before taking the registry's picture.
            _ = try await bed.curl(from: me, "GET", "/health", port: port)
            try await eventually("the learner to store the NAT endpoint") { try await bed.field("nat_endpoint", of: me.publicKey) != nil }
            let before = try await bed.registryDump()
            let unknown = try WireGuardKey.generatePrivate().publicKey()

            let cases: [(String, body: String, headers: [String], status: Int)] = [
                ("another peer's key", Self.body(me, key: other.publicKey), [], 403),
                ("X-Forwarded-For the other peer", Self.body(me, key: other.publicKey), ["X-Forwarded-For: \(other.wgIP)"], 403),
                ("X-Forwarded-For the discovery node", Self.body(me, key: other.publicKey), ["X-Forwarded-For: \(bed.discoveryIP)"], 403),
                ("Forwarded", Self.body(me, key: other.publicKey), ["Forwarded: for=\(other.wgIP)"], 403),
                ("X-Real-IP", Self.body(me, key: other.publicKey), ["X-Real-IP: \(other.wgIP)"], 403),
                ("someone else's alias", Self.body(me, alias: other.alias), [], 403),
                ("malformed JSON", #"{"pubkey": "#, [], 400),
                ("a field of the wrong type", #"{"pubkey": 1, "lan_endpoint": "1.2.3.4:5"}"#, [], 400),
                ("a key that is not base64", #"{"pubkey":"abc","lan_endpoint":"192.168.1.50:51820"}"#, [], 400),
                ("a 5 KiB body", "{\"pubkey\":\"\(me.publicKey.base64)\",\"pad\":\"\(String(repeating: "x", count: 5 * 1024))\"}", [], 413),
                ("an unknown key", Self.body(me, key: unknown), [], 404),
                ("an endpoint without a port", Self.body(me, endpoint: "192.168.1.50"), [], 422),
                ("a host name", Self.body(me, endpoint: "router.example:51820"), [], 422),
                ("a loopback endpoint", Self.body(me, endpoint: "127.0.0.1:51820"), [], 422),
                ("an endpoint inside the tunnel", Self.body(me, endpoint: "\(bed.discoveryIP):51820"), [], 422),
            ]
            for (what, body, headers, status) in cases {
                let answer = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: body, headers: headers)
                #expect(answer.status == status, "\(what): \(answer.body)")
                let reply = Self.json(answer.body)
                #expect(reply["success"] as? Bool == false, "\(what): \(answer.body)")
                #expect((reply["message"] as? String)?.isEmpty == false, "\(what)")
            }
            let deletion = try await bed.curl(from: me, "DELETE", "/api/endpoint/delete", port: port,
                                        body: #"{"pubkey":"\#(other.publicKey.base64)"}"#, headers: ["X-Forwarded-For: \(other.wgIP)"])
            #expect(deletion.status == 403)
            #expect(try await bed.registryDump() == before, "no refused request changed the registry")

            let own = try await bed.curl(from: other, "POST", "/api/endpoint", port: port, body: Self.body(other, endpoint: "10.9.8.7:51820"))
            #expect(own.status == 200, "the other peer may still change its own record: \(own.body)")
            #expect(try await bed.field("lan_endpoint", of: other.publicKey) == "10.9.8.7:51820")
            #expect(try await bed.field("lan_endpoint", of: me.publicKey) == nil)
        }
    }

    @Test func aFloodGets429AndOtherPeersAreNotHeldUp() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config(rateLimit: 1)) { node, port in  // bursts of 2
            let (flooder, other) = (bed.clients[0], bed.clients[1])

            let url = "http://\(bed.discoveryIP):\(port)/api/endpoint"
            var command = ["curl", "-s", "--max-time", "20", "--parallel", "--parallel-max", "20"]
            for index in 0..<40 {
                if index > 0 { command.append("--next") }
                command += ["-H", "Content-Type: application/json", "-w", "%{http_code}\n", "-o", "/dev/null",
                            "--data-binary", Self.body(flooder), url]
            }
            let statuses = try await bed.run(command, in: flooder).split(separator: "\n").compactMap { Int($0) }
            #expect(statuses.count == 40)
            #expect(statuses.contains(429), "\(statuses)")
            #expect(Set(statuses).isSubset(of: [200, 429]), "\(statuses)")

            let answer = try await bed.curl(from: other, "POST", "/api/endpoint", port: port, body: Self.body(other))
            #expect(answer.status == 200, "each peer has its own bucket: \(answer.body)")
            let metrics = try await bed.curl(from: other, "GET", "/metrics", port: port)
            #expect(metrics.body.contains(#"valon_api_requests_total{status="429"}"#), "\(metrics.body)")
        }
    }

    @Test func etcdDownGives503WithRetryAfterAndWritesResumeWhenItIsBack() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, port in
            let me = bed.clients[0]

            bed.etcd.stop(0)
            let down = try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me))
            #expect(down.status == 503, "\(down.body)")
            #expect(down.headers.lowercased().contains("retry-after: "), "\(down.headers)")
            #expect(Self.json(down.body)["success"] as? Bool == false)
            try await eventually("the health check to see etcd down") {
                try await bed.curl(from: me, "GET", "/health", port: port).status == 503
            }
            #expect(try await node.dig("\(me.alias).valon.test") == me.wgIP.description, "DNS answers from the last snapshot")

            try await bed.etcd.restart(0)
            try await eventually("writes to resume") {
                try await bed.curl(from: me, "POST", "/api/endpoint", port: port, body: Self.body(me)).status == 200
            }
            #expect(try await bed.field("lan_endpoint", of: me.publicKey) == "192.168.1.50:51820")
            try await eventually("the health check to recover") {
                try await bed.curl(from: me, "GET", "/health", port: port).status == 200
            }
        }
    }

    @Test func bindingToTheDeviceAcceptsOnlyConnectionsThroughTheTunnel() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        let (member, outsider) = (bed.clients[0], bed.clients[1])
        // The outsider reaches the discovery address over its veth, around the tunnel.
        try await bed.run(["ip", "route", "add", "\(bed.discoveryIP)/32", "via", bed.underlayGateway(of: outsider).description], in: outsider)
        func outsiderConnects(_ port: Int) async throws -> Bool {
            let result = try await bed.run(["sh", "-c",
                "curl -s --max-time 3 -o /dev/null -w '%{http_code}' http://\(bed.discoveryIP):\(port)/health || true"], in: outsider)
            return result != "000" && !result.isEmpty
        }
        try await RunningDiscovery.with(bed.config()) { _, port in
            let connects = try await outsiderConnects(port)
            #expect(connects, "without the binding the kernel takes the connection from any interface")
        }
        var config = bed.config()
        config.apiBindToDevice = true
        try await RunningDiscovery.with(config) { _, port in
            let answer = try await bed.curl(from: member, "POST", "/api/endpoint", port: port, body: Self.body(member))
            #expect(answer.status == 200, "\(answer.body)")
            let connects = try await outsiderConnects(port)
            #expect(!connects, "bound to the WireGuard device, the API takes no connection from the veth")
        }
    }
}
