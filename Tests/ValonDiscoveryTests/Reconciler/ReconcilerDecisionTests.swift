import Testing
@testable import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The learner's and the reconciler's decisions, given a device as read back and a
/// registry snapshot (pure; the suites over wireguard-go check them for real).
@Suite struct ReconcilerDecisionTests {
    static let alice = WireGuardKey.repeating(1), bob = WireGuardKey.repeating(2), stranger = WireGuardKey.repeating(3)

    static func snapshot(_ peers: [Peer], revision: Int64 = 7) -> RegistrySnapshot {
        RegistrySnapshot(peers: peers, revision: revision)
    }

    @Test func learnerWritesOnlyChangedEndpointsOfRegisteredPeers() {
        let seen = Endpoint("203.0.113.10:40000")!
        var heard = WireGuardPeer(publicKey: Self.alice, endpoint: seen)
        heard.lastHandshake = .init(seconds: 1_700_000_000)
        var strangerHeard = WireGuardPeer(publicKey: Self.stranger, endpoint: Endpoint("192.0.2.9:1")!)
        strangerHeard.lastHandshake = .init(seconds: 1_700_000_000)
        let device = WireGuardDevice(name: "wg0", peers: [
            heard,
            WireGuardPeer(publicKey: Self.bob, endpoint: Endpoint("198.51.100.2:51820")!),
            strangerHeard,
        ])
        let registry = Self.snapshot([
            Peer(publicKey: Self.alice, alias: "alice", wgIP: IPAddress("100.100.0.2")!),
            Peer(publicKey: Self.bob, alias: "bob", wgIP: IPAddress("100.100.0.3")!, natEndpoint: Endpoint("198.51.100.2:51820")!),
        ])
        var pending = EndpointLearner.PendingWrites()
        let changes = EndpointLearner.changes(device: device, snapshot: registry, pending: &pending)
        #expect(changes == [EndpointLearner.Change(key: Self.alice, alias: "alice", endpoint: seen, handshake: 1_700_000_000)],
                "bob's is unchanged, the stranger is not registered")

        pending.written[Self.alice] = seen
        #expect(EndpointLearner.changes(device: device, snapshot: registry, pending: &pending).isEmpty,
                "a write the snapshot does not show yet is not repeated")

        let caughtUp = Self.snapshot([Peer(publicKey: Self.alice, alias: "alice", wgIP: IPAddress("100.100.0.2")!, natEndpoint: seen)])
        #expect(EndpointLearner.changes(device: device, snapshot: caughtUp, pending: &pending).isEmpty)
        #expect(pending.written.isEmpty, "forgotten once the snapshot shows it")
    }

    @Test("an endpoint without a handshake is the one the reconciler seeded: never written back over a newer value")
    func learnerIgnoresSeededEndpoints() {
        // The reconciler added alice with her registered NAT endpoint; the registry has moved on
        // (another node learned a new one, or an operator changed it) and she never spoke to us.
        let device = WireGuardDevice(name: "wg0", peers: [WireGuardPeer(publicKey: Self.alice, endpoint: Endpoint("203.0.113.10:40000")!)])
        let registry = Self.snapshot([Peer(publicKey: Self.alice, alias: "alice", wgIP: IPAddress("100.100.0.2")!,
                                           natEndpoint: Endpoint("203.0.113.99:40099")!)])
        var pending = EndpointLearner.PendingWrites()
        #expect(EndpointLearner.changes(device: device, snapshot: registry, pending: &pending).isEmpty)
        // Once she handshakes from that address, it is an observation again.
        var heard = device
        heard.peers[0].lastHandshake = .init(seconds: 1_700_000_000)
        #expect(EndpointLearner.changes(device: heard, snapshot: registry, pending: &pending).map(\.endpoint) == [Endpoint("203.0.113.10:40000")!])
    }

    @Test func reconcilerAddsMissingRemovesUnknownAndKeepsOwnSettings() {
        let own = WireGuardKey.generatePrivate()
        let device = WireGuardDevice(name: "wg0", privateKey: own, listenPort: 51820, peers: [
            WireGuardPeer(publicKey: Self.bob, endpoint: Endpoint("198.51.100.2:51820")!, persistentKeepalive: 25,
                          allowedIPs: [IPNetwork("100.100.0.3/32")!]),
            WireGuardPeer(publicKey: Self.stranger, allowedIPs: [IPNetwork("100.100.0.9/32")!]),
        ])
        let registry = Self.snapshot([
            Peer(publicKey: Self.alice, alias: "alice", wgIP: IPAddress("100.100.0.2")!,
                 lanEndpoint: Endpoint("192.168.1.5:51820")!, natEndpoint: Endpoint("203.0.113.10:40000")!),
            Peer(publicKey: Self.bob, alias: "bob", wgIP: IPAddress("100.100.0.3")!, natEndpoint: Endpoint("192.0.2.1:9")!),
        ])
        let update = PeerReconciler.update(device: device, snapshot: registry)
        #expect(update.privateKey == nil && update.listenPort == nil && update.fwmark == nil && !update.replacePeers)
        #expect(update.peers == [
            .removal(of: Self.stranger),
            WireGuardPeer(publicKey: Self.alice, endpoint: Endpoint("203.0.113.10:40000")!, allowedIPs: [IPNetwork("100.100.0.2/32")!]),
        ], "bob is already right: his roamed endpoint and keepalive stay")

        let fixed = WireGuardDevice(name: "wg0", peers: [WireGuardPeer(publicKey: Self.bob, allowedIPs: [IPNetwork("10.0.0.0/8")!])])
        let correction = PeerReconciler.update(device: fixed, snapshot: Self.snapshot([registry.peers[1]]))
        #expect(correction.peers == [WireGuardPeer(publicKey: Self.bob, allowedIPs: [IPNetwork("100.100.0.3/32")!],
                                                   flags: [.updateOnly, .replaceAllowedIPs])])
    }

    @Test func reconcilerNeverAddsTheInterfaceItself() throws {
        let own = WireGuardKey.generatePrivate()
        let device = WireGuardDevice(name: "wg0", privateKey: own)
        let registry = Self.snapshot([Peer(publicKey: try own.publicKey(), alias: "discovery-node", wgIP: IPAddress("100.100.0.1")!)])
        #expect(PeerReconciler.update(device: device, snapshot: registry).isEmptyUpdate)
    }
}
