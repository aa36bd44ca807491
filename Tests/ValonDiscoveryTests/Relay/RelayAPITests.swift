import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// `POST /api/relay` and the node's relay (docs/ARCHITECTURE.md §10), over real tunnels:
/// clients ask through wireguard-go from their own namespaces, `etcdctl` is the oracle for
/// the allocations, `ss` for the ports the node opens, and two clients then ping each other
/// through the port they were given.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct RelayAPIRootTests {
    static func body(_ me: WireGuardKey, _ peer: String) -> String {
        #"{"pubkey":"\#(me.base64)","peer":"\#(peer)"}"#
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Two free-looking UDP ports in a row, away from everything else the tests use.
    static func portRange() -> ClosedRange<UInt16> {
        let base = UInt16.random(in: 0..<4000) * 2 + 42000
        return base...(base + 1)
    }

    static func udpListening(_ port: UInt16) async throws -> Bool {
        try await offPool { try Command.check(["ss", "-Hnul", "sport = :\(port)"]) }.contains(":\(port)")
    }

    @Test func allocationsRefusalsAndARelayedPing() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 3)
        defer { bed.shutdown() }
        var config = bed.config()
        config.relayPorts = Self.portRange()
        let low = config.relayPorts.lowerBound
        try await RunningDiscovery.with(config) { node, port in
            let (alice, bob, carol) = (bed.clients[0], bed.clients[1], bed.clients[2])
            // The first packets through the tunnels make the learner store NAT endpoints.
            for client in bed.clients { _ = try await bed.curl(from: client, "GET", "/health", port: port) }
            try await eventually("the learner to store every NAT endpoint") {
                for client in bed.clients where try await bed.field("nat_endpoint", of: client.publicKey) == nil { return false }
                return true
            }

            let first = try await bed.curl(from: alice, "POST", "/api/relay", port: port, body: Self.body(alice.publicKey, bob.publicKey.base64))
            #expect(first.status == 200, "\(first.body)")
            #expect(Self.json(first.body)["port"] as? Int == Int(low))
            #expect(Self.json(first.body)["created"] as? Bool == true)
            let (a, b) = RelayAllocation.ordered(alice.publicKey, bob.publicKey)
            let dump = try await bed.registryDump()
            #expect(dump["/valon/relays/\(a.base64)/\(b.base64)"] == String(low))
            #expect(dump["/valon/relay-ports/\(low)"] == "\(a.base64)/\(b.base64)")
            let again = try await bed.curl(from: bob, "POST", "/api/relay", port: port, body: Self.body(bob.publicKey, alice.publicKey.base64))
            #expect(again.status == 200)
            #expect(Self.json(again.body)["port"] as? Int == Int(low) && Self.json(again.body)["created"] as? Bool == false,
                    "the other side gets the same port: \(again.body)")
            try await eventually("the node to open the relay port") { try await Self.udpListening(low) }
            // The zone publishes the pair under both peers' names (dig as the oracle).
            let dnsPort = try #require(node.server.dns.boundPort)
            try await eventually("the zone to publish the pair") {
                let srv = try await offPool {
                    try Command.check(["dig", "+short", "+time=3", "+tries=2", "@127.0.0.1", "-p", "\(dnsPort)", "_relay._udp.\(bob.alias).valon.test", "SRV"])
                }
                return srv.trimmingCharacters(in: .whitespacesAndNewlines) == "0 0 \(low) \(alice.publicKey.dnsLabel).valon.test."
            }

            // Refusals change nothing.
            let sleeper = try WireGuardKey.generatePrivate().publicKey()
            _ = try await bed.registry.add(key: sleeper, alias: "sleeper")
            let before = try await bed.registryDump()
            let stranger = try WireGuardKey.generatePrivate().publicKey()
            let cases: [(String, String, Int)] = [
                ("another peer's key", Self.body(bob.publicKey, carol.publicKey.base64), 403),
                ("an unknown peer", Self.body(alice.publicKey, stranger.base64), 404),
                ("an unknown own key", Self.body(stranger, bob.publicKey.base64), 404),
                ("itself", Self.body(alice.publicKey, alice.publicKey.base64), 400),
                ("a peer that is not a key", Self.body(alice.publicKey, "bob"), 400),
                ("malformed JSON", #"{"pubkey": "#, 400),
                ("no peer field", #"{"pubkey":"\#(alice.publicKey.base64)"}"#, 400),
                ("a peer the node has never heard from (offline)", Self.body(alice.publicKey, sleeper.base64), 409),
            ]
            for (what, body, status) in cases {
                let answer = try await bed.curl(from: alice, "POST", "/api/relay", port: port, body: body)
                #expect(answer.status == status, "\(what): \(answer.body)")
                #expect(Self.json(answer.body)["success"] as? Bool == false, "\(what)")
            }
            #expect(try await bed.registryDump() == before, "no refused request changed the registry")

            // The second and last port, then a full range: 503, and nothing changes.
            let second = try await bed.curl(from: carol, "POST", "/api/relay", port: port, body: Self.body(carol.publicKey, alice.publicKey.base64))
            #expect(Self.json(second.body)["port"] as? Int == Int(low + 1), "\(second.body)")
            let full = try await bed.registryDump()
            let exhausted = try await bed.curl(from: carol, "POST", "/api/relay", port: port, body: Self.body(carol.publicKey, bob.publicKey.base64))
            #expect(exhausted.status == 503)
            #expect((Self.json(exhausted.body)["message"] as? String)?.contains("every relay port of \(low)-\(low + 1) is allocated") == true,
                    "\(exhausted.body)")
            #expect(exhausted.headers.lowercased().contains("retry-after"))
            #expect(try await bed.registryDump() == full)
            try await eventually("the node to open the second port") { try await Self.udpListening(low + 1) }
            let metrics = try await bed.curl(from: alice, "GET", "/metrics", port: port)
            #expect(metrics.body.contains("valon_relay_active 2"), "\(metrics.body)")

            // Alice and Bob point at the relay port the node gave them (its address on their underlay).
            for (me, other) in [(alice, bob), (bob, alice)] {
                try await bed.run(["wg", "set", me.device.name, "peer", other.publicKey.base64,
                                   "endpoint", "\(bed.underlayGateway(of: me)):\(low)",
                                   "allowed-ips", "\(other.wgIP)/32", "persistent-keepalive", "25"], in: me)
            }
            try await eventually("alice to ping bob through the node's relay", limit: .seconds(40)) {
                (try? await bed.run(["ping", "-c", "1", "-W", "1", "\(bob.wgIP)"], in: alice)) != nil
            }
            let statuses = try #require(node.server.relay).counters
            let counters = try #require(statuses.first { $0.allocation.port == low }).counters
            #expect((counters.forwardedByType[.transportData] ?? 0) > 0)
            let forwarded = try await bed.curl(from: alice, "GET", "/metrics", port: port)
            #expect(forwarded.body.contains(#"valon_relay_forwarded_packets_total{port="\#(low)"}"#))

            // Bob's endpoints change: the pair's allocation is dropped, so both try direct again.
            let moved = try await bed.curl(from: bob, "POST", "/api/endpoint", port: port,
                                           body: #"{"pubkey":"\#(bob.publicKey.base64)","lan_endpoint":"10.77.0.5:51820"}"#)
            #expect(moved.status == 200)
            try await eventually("the allocation of alice and bob to be dropped") {
                try await bed.registryDump()["/valon/relays/\(a.base64)/\(b.base64)"] == nil
            }
            #expect(try await bed.registryDump()["/valon/relay-ports/\(low)"] == nil)
            try await eventually("the node to close the port") { try await !Self.udpListening(low) }
            #expect(try await bed.registryDump()["/valon/relay-ports/\(low + 1)"] != nil, "carol's relay stays")
        }
    }

    @Test func aNodeWithTheRelayOffAnswers503() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        var config = bed.config()
        config.relayEnabled = false
        try await RunningDiscovery.with(config) { node, port in
            let (alice, bob) = (bed.clients[0], bed.clients[1])
            let answer = try await bed.curl(from: alice, "POST", "/api/relay", port: port, body: Self.body(alice.publicKey, bob.publicKey.base64))
            #expect(answer.status == 503)
            #expect((Self.json(answer.body)["message"] as? String)?.contains("does not relay") == true, "\(answer.body)")
            #expect(node.server.relay == nil)
            #expect(try await bed.registryDump().keys.allSatisfy { !$0.contains("relay") })
        }
    }
}
