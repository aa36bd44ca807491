import Testing
@testable import ValonKit
import ValonTestSupport

/// The reconcile plan (docs/ARCHITECTURE.md §5 step 3): registry peers against the device, with the
/// removal rules (never the discovery peer, never peers outside the VALON network).
@Suite("sync plan")
struct SyncPlanTests {
    static let discovery = WireGuardKey.repeating(200)
    static let me = WireGuardKey.repeating(100)
    static let policy = SyncPolicy(ownPublicKey: me, discoveryPublicKey: discovery, networks: [IPNetwork("100.100.0.0/24")!])
    static let local = EndpointSelection.Local(natAddress: IPAddress("198.51.100.7"), connectedSubnets: [IPNetwork("192.168.1.0/24")!])
    static let now: Int64 = 1_800_000_000

    static func peer(_ n: UInt8, _ ip: String, lan: String? = nil, nat: String? = nil) -> Peer {
        Peer(publicKey: WireGuardKey.repeating(n), alias: "p\(n)", wgIP: IPAddress(ip)!, lanEndpoint: lan.flatMap { Endpoint($0) },
             natEndpoint: nat.flatMap { Endpoint($0) })
    }

    static func onDevice(_ n: UInt8, _ allowed: [String], endpoint: String? = nil, keepalive: UInt16? = 25,
                         handshakeAgo: Int64? = nil) -> WireGuardPeer {
        WireGuardPeer(publicKey: WireGuardKey.repeating(n), endpoint: endpoint.flatMap { Endpoint($0) }, persistentKeepalive: keepalive,
                      allowedIPs: allowed.map { IPNetwork($0)! },
                      lastHandshake: handshakeAgo.map { .init(seconds: now - $0) })
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var registry: [Peer]
        var device: [WireGuardPeer]
        var only: UInt8? = nil
        /// key number → expected action, endpoint
        var expected: [UInt8: (SyncPlan.Action, String?)]
        var excluded: [UInt8: SyncPlan.Exclusion] = [:]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty device: every peer added with /32 and its endpoint",
             registry: [peer(1, "100.100.0.2", nat: "203.0.113.1:51820"), peer(2, "100.100.0.3", lan: "192.168.1.9:51820", nat: "203.0.113.2:4000")],
             device: [],
             expected: [1: (.add, "203.0.113.1:51820"), 2: (.add, "192.168.1.9:51820")]),
        Case(name: "matching device: nothing to do",
             registry: [peer(1, "100.100.0.2", nat: "203.0.113.1:51820")],
             device: [onDevice(1, ["100.100.0.2/32"], endpoint: "203.0.113.1:51820")],
             expected: [1: (.unchanged, "203.0.113.1:51820")]),
        Case(name: "new NAT endpoint, stale handshake: updated",
             registry: [peer(1, "100.100.0.2", nat: "203.0.113.1:6000")],
             device: [onDevice(1, ["100.100.0.2/32"], endpoint: "203.0.113.1:51820", handshakeAgo: 600)],
             expected: [1: (.update, "203.0.113.1:6000")]),
        Case(name: "new NAT endpoint, fresh handshake: kept (hysteresis)",
             registry: [peer(1, "100.100.0.2", nat: "203.0.113.1:6000")],
             device: [onDevice(1, ["100.100.0.2/32"], endpoint: "203.0.113.1:51820", handshakeAgo: 10)],
             expected: [1: (.unchanged, "203.0.113.1:51820")]),
        Case(name: "moved address: allowed IPs replaced",
             registry: [peer(1, "100.100.0.9", nat: "203.0.113.1:51820")],
             device: [onDevice(1, ["100.100.0.2/32"], endpoint: "203.0.113.1:51820")],
             expected: [1: (.update, "203.0.113.1:51820")]),
        Case(name: "peer the registry dropped: removed",
             registry: [],
             device: [onDevice(1, ["100.100.0.2/32"], endpoint: "203.0.113.1:51820")],
             expected: [1: (.remove, nil)]),
        Case(name: "discovery peer and outsider survive",
             registry: [],
             device: [onDevice(200, ["100.100.0.1/32"], endpoint: "192.0.2.1:51820"),
                      onDevice(7, ["10.9.0.0/16"], endpoint: "192.0.2.7:51820"),
                      onDevice(8, ["100.100.0.0/23"]), onDevice(9, [])],
             expected: [:]),
        Case(name: "self, discovery and outside-network registry entries are not added",
             registry: [peer(100, "100.100.0.2"), peer(200, "100.100.0.1"), peer(3, "10.0.0.3", nat: "203.0.113.3:1")],
             device: [],
             expected: [:],
             excluded: [100: .ownKey, 200: .discoveryPeer, 3: .outsideNetwork]),
        Case(name: "no endpoint known: added without one",
             registry: [peer(1, "100.100.0.2")],
             device: [],
             expected: [1: (.add, nil)]),
        Case(name: "--peer: only that peer, others neither added nor removed",
             registry: [peer(1, "100.100.0.2", nat: "203.0.113.1:51820"), peer(2, "100.100.0.3", nat: "203.0.113.2:51820")],
             device: [onDevice(3, ["100.100.0.4/32"])],
             only: 2,
             expected: [2: (.add, "203.0.113.2:51820")]),
        Case(name: "--peer on a peer the registry dropped: removed",
             registry: [peer(1, "100.100.0.2")],
             device: [onDevice(3, ["100.100.0.4/32"]), onDevice(4, ["100.100.0.5/32"])],
             only: 3,
             expected: [3: (.remove, nil)]),
    ]

    @Test(arguments: cases)
    func plan(_ test: Case) {
        let device = WireGuardDevice(name: "wg0", peers: test.device)
        let plan = SyncPlan(registry: test.registry, device: device, local: Self.local, policy: Self.policy,
                            now: Self.now, onlyPeer: test.only.map(WireGuardKey.repeating))
        var actual = [UInt8: (SyncPlan.Action, String?)]()
        for entry in plan.entries { actual[entry.publicKey.bytes[0]] = (entry.action, entry.endpoint?.description) }
        #expect(actual.count == test.expected.count, "\(plan.entries)")
        for (n, (action, endpoint)) in test.expected {
            #expect(actual[n]?.0 == action, "peer \(n)")
            #expect(actual[n]?.1 == endpoint, "peer \(n)")
        }
        #expect(Dictionary(uniqueKeysWithValues: plan.excluded.map { ($0.publicKey.bytes[0], $0.reason) }) == test.excluded)
        // The update never touches the discovery peer or peers outside the network.
        for peer in plan.update.peers {
            #expect(peer.publicKey != Self.discovery)
            #expect(![7, 8, 9].contains(peer.publicKey.bytes[0]))
        }
    }

    @Test("a planned update applied to the device gives a device that plans nothing")
    func convergence() {
        let registry = (1...50).map { n in Self.peer(UInt8(n), "100.100.0.\(n + 1)", lan: "192.168.1.\(n):51820", nat: "203.0.113.\(n):4000") }
        var device = WireGuardDevice(name: "wg0", peers: [Self.onDevice(200, ["100.100.0.1/32"]), Self.onDevice(60, ["100.100.0.60/32"])])
        let first = SyncPlan(registry: registry, device: device, local: Self.local, policy: Self.policy, now: Self.now)
        #expect(first.count(.add) == 50 && first.count(.remove) == 1)
        device.peers = [Self.onDevice(200, ["100.100.0.1/32"])] + first.desired.peers
        let second = SyncPlan(registry: registry, device: device, local: Self.local, policy: Self.policy, now: Self.now)
        #expect(second.isEmpty)
        #expect(second.count(.unchanged) == 50)
    }

    @Test("a peer that moves onto the relay with a session gets it restarted: a removal, then the peer, in one batch")
    func relaySwitchRestartsTheSession() {
        let relay = Endpoint("198.51.100.1:51821")!
        let registry = [Self.peer(1, "100.100.0.2", nat: "203.0.113.1:4000"), Self.peer(2, "100.100.0.3", nat: "203.0.113.2:4000"),
                        Self.peer(3, "100.100.0.4", nat: "203.0.113.3:4000")]
        let device = WireGuardDevice(name: "wg0", peers: [
            Self.onDevice(1, ["100.100.0.2/32"], endpoint: "203.0.113.1:4000", handshakeAgo: 30),   // a session, going to the relay
            Self.onDevice(2, ["100.100.0.3/32"], endpoint: "203.0.113.2:4000"),                     // no session: nothing to restart
            Self.onDevice(3, ["100.100.0.4/32"], endpoint: relay.description, handshakeAgo: 30),    // already relayed
        ])
        let relays = [WireGuardKey.repeating(1): relay, WireGuardKey.repeating(2): relay, WireGuardKey.repeating(3): relay]
        let plan = SyncPlan(registry: registry, device: device, local: Self.local, policy: Self.policy, now: Self.now, relays: relays)
        let one = plan.update.peers.filter { $0.publicKey == WireGuardKey.repeating(1) }
        #expect(one.count == 2 && one[0].flags.contains(.remove) && !one[1].flags.contains(.remove) && !one[1].flags.contains(.updateOnly))
        #expect(one.last?.endpoint == relay && one.last?.allowedIPs == [IPNetwork("100.100.0.2/32")!])
        let two = plan.update.peers.filter { $0.publicKey == WireGuardKey.repeating(2) }
        #expect(two.count == 1 && two[0].endpoint == relay && !two[0].flags.contains(.remove))
        #expect(!plan.update.peers.contains { $0.publicKey == WireGuardKey.repeating(3) && $0.flags.contains(.remove) })
        #expect(plan.count(.remove) == 0, "the restart is no removal in the plan")
        // Applied, the device holds every peer as desired.
        let after = WireGuardDeviceModel.applying(plan.update, to: device)
        #expect(Set(after.peers.map(\.publicKey)) == Set(registry.map(\.publicKey)))
        #expect(after.peers.first { $0.publicKey == WireGuardKey.repeating(1) }?.endpoint == relay)
    }

    @Test("allowed IPs are /32 for IPv4 and /128 for IPv6 peers")
    func hostNetworks() {
        let policy = SyncPolicy(ownPublicKey: nil, discoveryPublicKey: Self.discovery,
                                networks: [IPNetwork("100.100.0.0/24")!, IPNetwork("fd00:100::/64")!])
        let registry = [Self.peer(1, "100.100.0.2"), Self.peer(2, "fd00:100::2")]
        let plan = SyncPlan(registry: registry, device: WireGuardDevice(name: "wg0"), local: Self.local, policy: policy, now: Self.now)
        #expect(plan.desired.peers.map(\.allowedIPs) == [[IPNetwork("100.100.0.2/32")!], [IPNetwork("fd00:100::2/128")!]])
    }

    @Test("the fingerprint changes with the managed peers and subnets, not with endpoints or other peers")
    func fingerprint() {
        let base = WireGuardDevice(name: "wg0", privateKey: WireGuardKey.repeating(100), peers: [Self.onDevice(1, ["100.100.0.2/32"], endpoint: "192.0.2.1:1")])
        let subnets = [IPNetwork("192.168.1.0/24")!]
        let reference = SyncFingerprint.of(device: base, policy: Self.policy, connectedSubnets: subnets)
        var roamed = base
        roamed.peers[0].endpoint = Endpoint("192.0.2.99:7")
        roamed.peers.append(Self.onDevice(200, ["100.100.0.1/32"]))
        #expect(SyncFingerprint.of(device: roamed, policy: Self.policy, connectedSubnets: subnets) == reference)
        var moved = base
        moved.peers[0].allowedIPs = [IPNetwork("100.100.0.3/32")!]
        #expect(SyncFingerprint.of(device: moved, policy: Self.policy, connectedSubnets: subnets) != reference)
        #expect(SyncFingerprint.of(device: base, policy: Self.policy, connectedSubnets: [IPNetwork("10.0.0.0/8")!]) != reference)
        var fewer = base
        fewer.peers = []
        #expect(SyncFingerprint.of(device: fewer, policy: Self.policy, connectedSubnets: subnets) != reference)
    }

    @Test("the fingerprint kept peer by peer is the fingerprint of the device; the order of the peers does not count")
    func fingerprintAccumulates() {
        let peers = (1...40).map { Self.onDevice(UInt8($0), ["100.100.0.\($0 + 1)/32"], endpoint: "192.0.2.\($0):1") }
        let device = WireGuardDevice(name: "wg0", privateKey: WireGuardKey.repeating(100), peers: peers)
        let subnets = [IPNetwork("192.168.1.0/24")!]
        var reversed = device
        reversed.peers.reverse()
        #expect(SyncFingerprint.of(device: reversed, policy: Self.policy, connectedSubnets: subnets)
            == SyncFingerprint.of(device: device, policy: Self.policy, connectedSubnets: subnets))
        // Remove some, change some, add some: the kept fingerprint follows the device.
        var kept = SyncFingerprint.Accumulator(device: device, policy: Self.policy, connectedSubnets: subnets)
        var changed = device
        for index in [3, 17, 29] {
            kept.remove(changed.peers[index])
            changed.peers[index].persistentKeepalive = 60
            kept.add(changed.peers[index])
        }
        kept.remove(changed.peers.removeLast())
        let added = Self.onDevice(90, ["100.100.0.90/32"])
        changed.peers.append(added)
        kept.add(added)
        kept.add(Self.onDevice(200, ["100.100.0.1/32"]))   // the discovery node's peer: not managed, not counted
        #expect(kept.value == SyncFingerprint.of(device: changed, policy: Self.policy, connectedSubnets: subnets))
        #expect(kept.value != SyncFingerprint.of(device: device, policy: Self.policy, connectedSubnets: subnets))
    }
}
