import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// Endpoint learning (docs/ARCHITECTURE.md §6) from real handshakes: a client's packets reach the
/// discovery interface from its underlay address, and the node stores that address as the
/// client's `nat_endpoint` (checked with `etcdctl`).
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct EndpointLearnerRootTests {
    @Test func aHandshakeStoresTheObservedEndpoint() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 2)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config()) { node, _ in
            let (talker, silent) = (bed.clients[0], bed.clients[1])
            try await eventually("the reconciler to add the clients") { try await bed.discoveryPeers().count == 2 }
            try await bed.run(["ping", "-c", "1", "-W", "5", bed.discoveryIP.description], in: talker)
            let expected = "\(talker.underlay):\(talker.port)"
            try await eventually("the NAT endpoint in etcd") { try await bed.field("nat_endpoint", of: talker.publicKey) == expected }
            #expect(try await bed.field("nat_endpoint", of: silent.publicKey) == nil, "no handshake, nothing learned")
            try await eventually("the snapshot to show it") {
                node.server.store.current?.peer(key: talker.publicKey)?.natEndpoint == Endpoint(expected)
            }
            #expect(try await node.dig("nated.\(talker.alias).valon.test") == talker.underlay.description)
            #expect(try await node.dig("nated.\(talker.publicKey.dnsLabel).valon.test") == talker.underlay.description)
            let revision = try await bed.modRevision("nat_endpoint", of: talker.publicKey)
            try await bed.run(["ping", "-c", "1", "-W", "5", bed.discoveryIP.description], in: talker)
            // Several polls later the unchanged endpoint has not been written again.
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await bed.modRevision("nat_endpoint", of: talker.publicKey) == revision)
        }
    }
}
