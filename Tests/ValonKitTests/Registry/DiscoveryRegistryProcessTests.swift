import Foundation
import Testing
@testable import ValonKit
import ValonTestSupport

/// Discovery nodes in a real etcd (docs/ARCHITECTURE.md §11): a registration writes its
/// fields on a lease and claims the address; a clean unregistration removes the fields and
/// keeps the claim; an expired lease takes the fields; a peer's address is never a node's;
/// and two nodes learning one peer's NAT endpoint write it once (cone) or mark it symmetric.
@Suite("Discovery node registry: real etcd", .tags(.process), .timeLimit(.minutes(3)))
struct DiscoveryRegistryProcessTests {
    typealias Contract = RegistryContractProcessTests

    static let nodeOne = Contract.key(0x01), nodeTwo = Contract.key(0x02), alice = Contract.key(0xA1)

    @Test("register: fields on a lease, the claim under ips/; listed; unregister removes the fields and keeps the claim")
    func registerAndUnregister() async throws {
        let fixture = try await Contract.Fixture(.etcd)
        defer { fixture.close() }
        let node = DiscoveryNode(publicKey: Self.nodeTwo, wgIP: IPAddress("100.100.0.2")!, endpoint: "203.0.113.2:51820",
                                 relay: "203.0.113.2:51821-52820")
        // A long lease: on a loaded machine the whole suite's start can hold this test for
        // longer than a short one lives (CI once saw 30 s pass between register and timeToLive).
        let lease = try await fixture.registry.register(node, ttl: 3600)
        let keys = try await fixture.dump().keys
        let base = "/valon/discovery/\(Self.nodeTwo.base64)/"
        #expect(keys[base + "wg_ip"] == "100.100.0.2" && keys[base + "endpoint"] == "203.0.113.2:51820")
        #expect(keys[base + "relay"] == "203.0.113.2:51821-52820")
        #expect(keys["/valon/ips/100.100.0.2"] == Self.nodeTwo.base64)
        let listed = try await fixture.registry.discoveryNodes().nodes
        #expect(listed.count == 1 && listed.first?.lease == lease && listed.first?.endpoint == "203.0.113.2:51820")
        #expect(try await fixture.registry.list().discoveryNodes.map(\.publicKey) == [Self.nodeTwo])
        let ttl = try #require(try await fixture.registry.timeToLive(lease: lease))
        #expect(ttl > 0 && ttl <= 3600)
        #expect(try await fixture.registry.renew(lease: lease) > 0)

        // peer add never hands the node's address out.
        let peer = try await fixture.registry.add(key: Self.alice, alias: "alice")
        #expect(peer.wgIP == IPAddress("100.100.0.3"), "100.100.0.1 is reserved, 100.100.0.2 is the node's claim")

        try await fixture.registry.unregister(lease: lease)
        let after = try await fixture.dump().keys
        #expect(after.keys.filter { $0.hasPrefix("/valon/discovery/") }.isEmpty)
        #expect(after["/valon/ips/100.100.0.2"] == Self.nodeTwo.base64, "the address stays the node's while it is down")
        #expect(try await fixture.registry.timeToLive(lease: lease) == nil)
        // Registering again on the node's own claim works.
        _ = try await fixture.registry.register(node, ttl: 3600)
        #expect(try await fixture.registry.discoveryNodes().nodes.count == 1)
    }

    @Test("a node whose address a peer holds is refused, naming the holder, and writes nothing")
    func claimHeldByPeer() async throws {
        let fixture = try await Contract.Fixture(.etcd)
        defer { fixture.close() }
        let peer = try await fixture.registry.add(key: Self.alice, alias: "alice")
        let before = try await fixture.dump().keys
        do {
            _ = try await fixture.registry.register(DiscoveryNode(publicKey: Self.nodeTwo, wgIP: peer.wgIP), ttl: 30)
            Issue.record("registered on a peer's address")
        } catch {
            #expect(error.code == .addressTaken)
            #expect(error.message.contains(Self.alice.base64))
        }
        #expect(try await fixture.dump().keys == before)
    }

    @Test("a lease that is not renewed takes the node's records with it")
    func leaseExpiry() async throws {
        let fixture = try await Contract.Fixture(.etcd)
        defer { fixture.close() }
        let lease = try await fixture.registry.register(DiscoveryNode(publicKey: Self.nodeTwo, wgIP: IPAddress("100.100.0.2")!), ttl: 5)
        try await eventually("etcd deletes the records when the lease expires", limit: .seconds(30)) {
            try await fixture.registry.discoveryNodes().nodes.isEmpty
        }
        #expect(try await fixture.registry.renew(lease: lease) == 0, "the lease is gone: a renewal says so")
        #expect(try await fixture.dump().keys["/valon/ips/100.100.0.2"] == Self.nodeTwo.base64, "the claim outlives the lease")
    }

    @Test("two nodes: a cone NAT's endpoint is written once; a symmetric NAT's second port marks the peer, and a matching look clears it")
    func twoNodesLearn() async throws {
        let fixture = try await Contract.Fixture(.etcd)
        defer { fixture.close() }
        _ = try await fixture.registry.add(key: Self.alice, alias: "alice")
        let home = Endpoint("203.0.113.10:51820")!, other = Endpoint("203.0.113.10:40001")!
        let live: Set<WireGuardKey> = [Self.nodeOne, Self.nodeTwo]
        #expect(try await fixture.registry.learnNATEndpoint(home, of: Self.alice, handshake: 1000, node: Self.nodeOne, liveNodes: live) == .write(home))
        #expect(try await fixture.registry.learnNATEndpoint(home, of: Self.alice, handshake: 1001, node: Self.nodeTwo, liveNodes: live) == .nothing)
        var keys = try await fixture.dump().keys
        let base = "/valon/peers/\(Self.alice.base64)/"
        #expect(keys[base + "nat_endpoint"] == "203.0.113.10:51820")
        #expect(keys[base + "nat_seen"] == "1000 \(Self.nodeOne.base64)")
        #expect(try await fixture.registry.learnNATEndpoint(other, of: Self.alice, handshake: 1002, node: Self.nodeTwo, liveNodes: live) == .markSymmetric)
        keys = try await fixture.dump().keys
        #expect(keys[base + "nat_kind"] == "symmetric" && keys[base + "nat_endpoint"] == "203.0.113.10:51820")
        #expect(try await fixture.registry.peer(key: Self.alice)?.natKind == .symmetric)
        #expect(try await fixture.registry.learnNATEndpoint(other, of: Self.alice, handshake: 1003, node: Self.nodeTwo, liveNodes: live) == .nothing,
                "marked once")
        #expect(try await fixture.registry.learnNATEndpoint(home, of: Self.alice, handshake: 1004, node: Self.nodeTwo, liveNodes: live) == .clearKind)
        #expect(try await fixture.dump().keys[base + "nat_kind"] == nil)
    }
}
