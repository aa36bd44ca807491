import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// Reconciliation (docs/ARCHITECTURE.md §6) against a real `wireguard-go` interface, with `wg show dump`
/// as the oracle: the interface's peers follow the registry at start-up and on change,
/// and a node restarted on an emptied interface restores every peer from etcd.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct PeerReconcilerRootTests {
    @Test func restartWithAnEmptyInterfaceRestoresPeersFromEtcd() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        let nat = Endpoint("203.0.113.10:40000")!
        try await bed.registry.setEndpoint(.nat, to: nat, of: bed.clients[1].publicKey)
        try await RunningDiscovery.with(bed.config()) { _, _ in
            try await eventually("both peers on the interface") { try await bed.discoveryPeers().count == 2 }
        }
        // A reboot: the interface comes back without peers, and with one nobody registered.
        let stranger = try WireGuardKey.generatePrivate().publicKey()
        for client in bed.clients {
            try await bed.run(["wg", "set", bed.discovery.name, "peer", client.publicKey.base64, "remove"])
        }
        try await bed.run(["wg", "set", bed.discovery.name, "peer", stranger.base64, "allowed-ips", "100.64.0.99/32"])
        let portBefore = try await bed.run(["wg", "show", bed.discovery.name, "listen-port"])

        try await RunningDiscovery.with(bed.config()) { _, _ in
            try await eventually("the registry's peers restored, the stranger removed") {
                let peers = try await bed.discoveryPeers()
                return Set(peers.keys) == Set(bed.clients.map(\.publicKey.base64))
            }
            let peers = try await bed.discoveryPeers()
            for client in bed.clients {
                #expect(peers[client.publicKey.base64]?.allowedIPs == "\(client.wgIP)/32")
            }
            #expect(peers[bed.clients[1].publicKey.base64]?.endpoint == nat.description,
                    "a restored peer gets its NAT endpoint back")
            #expect(try await bed.run(["wg", "show", bed.discovery.name, "listen-port"]) == portBefore)
            #expect(try await bed.run(["wg", "show", bed.discovery.name, "public-key"])
                .trimmingCharacters(in: .whitespacesAndNewlines) == (try bed.discoveryKey.publicKey().base64))
            // The restored tunnel works.
            try await bed.run(["ping", "-c", "1", "-W", "5", bed.discoveryIP.description], in: bed.clients[0])
        }
    }

    @Test func registryChangesReachTheInterface() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, _ in
            try await eventually("the first peer") { try await bed.discoveryPeers().count == 1 }
            let newcomer = try WireGuardKey.generatePrivate().publicKey()
            let added = try await bed.registry.add(key: newcomer, alias: "newcomer")
            try await eventually("the added peer on the interface") {
                try await bed.discoveryPeers()[newcomer.base64]?.allowedIPs == "\(added.wgIP)/32"
            }
            _ = try await bed.registry.remove(key: bed.clients[0].publicKey)
            try await eventually("the removed peer gone") { try await bed.discoveryPeers().keys.sorted() == [newcomer.base64] }
            let health = node.server.wireGuardStatus.reading
            #expect(health.isHealthy)
        }
    }
}
