import Foundation
import Testing
@testable import ValonKit

/// The registry against a real etcd member; `etcdctl get --prefix /valon/` is the oracle.
@Suite("Registry against a real etcd", .tags(.process), .timeLimit(.minutes(10)))
struct PeerRegistryProcessTests {
    static let network = IPNetwork("100.100.0.0/24")!
    static let discovery = IPAddress("100.100.0.1")!

    static func registry(_ etcd: EtcdCluster, prefix: String = "/valon/") throws -> PeerRegistry {
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        return PeerRegistry(etcd: client, configuration: .init(network: network, reservedAddresses: [discovery],
                                                               keys: RegistryKeys(prefix: prefix)))
    }

    /// The store's revision, as etcdctl reports it.
    static func revision(_ etcd: EtcdCluster) throws -> Int64 {
        let json = try etcd.etcdctl(["get", "/", "--write-out=json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let header = object?["header"] as? [String: Any]
        return (header?["revision"] as? NSNumber)?.int64Value ?? -1
    }

    @Test("add writes exactly the documented keys, in one transaction, with the lowest free address")
    func add() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd)
        let key = TestKeys.slashes, b64 = TestKeys.slashes.base64
        let before = try Self.revision(etcd)
        let peer = try await registry.add(key: key, alias: "client01", lanEndpoint: Endpoint("192.168.1.50:51820"))
        #expect(peer.wgIP == IPAddress("100.100.0.2"))
        #expect(try Self.revision(etcd) == before + 1)
        #expect(try etcd.dump(prefix: "/valon/") == [
            "/valon/peers/\(b64)/wg_ip": "100.100.0.2",
            "/valon/peers/\(b64)/alias": "client01",
            "/valon/peers/\(b64)/lan_endpoint": "192.168.1.50:51820",
            "/valon/aliases/client01": b64,
            "/valon/ips/100.100.0.2": b64,
        ])
        let second = try await registry.add(key: TestKeys.pluses, alias: "client02", address: IPAddress("100.100.0.9"))
        #expect(second.wgIP == IPAddress("100.100.0.9"))
        let third = try await registry.add(key: TestKeys.random(), alias: "client03")
        #expect(third.wgIP == IPAddress("100.100.0.3"))
    }

    @Test("conflicting adds name the conflict and leave nothing behind")
    func conflicts() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd)
        try await registry.add(key: TestKeys.slashes, alias: "taken", address: IPAddress("100.100.0.5"))
        let stored = try etcd.dump(prefix: "/valon/")
        let revision = try Self.revision(etcd)

        let alias = await #expect(throws: RegistryError.self) { try await registry.add(key: TestKeys.pluses, alias: "taken") }
        #expect(alias?.code == .aliasTaken)
        #expect(alias?.holder == TestKeys.slashes.base64)
        #expect(alias?.message.contains(TestKeys.slashes.base64) == true)

        let address = await #expect(throws: RegistryError.self) {
            try await registry.add(key: TestKeys.pluses, alias: "other", address: IPAddress("100.100.0.5"))
        }
        #expect(address?.code == .addressTaken)
        #expect(address?.holder == TestKeys.slashes.base64)

        let again = await #expect(throws: RegistryError.self) { try await registry.add(key: TestKeys.slashes, alias: "second") }
        #expect(again?.code == .keyRegistered)

        for (bad, code) in [("100.100.1.5", RegistryError.Code.invalidAddress), ("100.100.0.255", .invalidAddress),
                            ("100.100.0.1", .invalidAddress), ("100.100.0.0", .invalidAddress)] {
            let error = await #expect(throws: RegistryError.self) {
                try await registry.add(key: TestKeys.pluses, alias: "other", address: IPAddress(bad))
            }
            #expect(error?.code == code)
        }
        let invalidAlias = await #expect(throws: RegistryError.self) { try await registry.add(key: TestKeys.pluses, alias: "lan") }
        #expect(invalidAlias?.code == .invalidAlias)

        #expect(try etcd.dump(prefix: "/valon/") == stored)
        #expect(try Self.revision(etcd) == revision)
    }

    @Test("list with its revision, get by key and alias; keys with '/' and '+' round-trip")
    func listAndGet() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd)
        let a = try await registry.add(key: TestKeys.slashes, alias: "slashes", natEndpoint: Endpoint("[2001:db8::1]:51820"))
        let b = try await registry.add(key: TestKeys.pluses, alias: "pluses", lanEndpoint: Endpoint("10.0.0.2:1"))
        let listing = try await registry.list()
        #expect(Set(listing.peers) == [a, b])
        #expect(listing.problems.isEmpty)
        #expect(listing.revision == (try Self.revision(etcd)))
        #expect(try await registry.peer(key: TestKeys.slashes) == a)
        #expect(try await registry.peer(alias: "pluses") == b)
        #expect(try await registry.peer(named: TestKeys.pluses.base64) == b)
        #expect(try await registry.peer(named: "slashes") == a)
        #expect(try await registry.peer(alias: "nobody") == nil)
        #expect(try await registry.peer(key: TestKeys.random()) == nil)
        #expect(try etcd.etcdctl(["get", "/valon/peers/\(TestKeys.slashes.base64)/nat_endpoint", "--print-value-only"])
                == "[2001:db8::1]:51820\n")
    }

    @Test("remove by key and by alias deletes every key of the peer in one transaction")
    func remove() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd)
        let keep = try await registry.add(key: TestKeys.random(), alias: "keep")
        let kept = try etcd.dump(prefix: "/valon/")
        let a = try await registry.add(key: TestKeys.slashes, alias: "one", lanEndpoint: Endpoint("1.2.3.4:5"))
        try await registry.add(key: TestKeys.pluses, alias: "two", natEndpoint: Endpoint("1.2.3.4:6"))

        var revision = try Self.revision(etcd)
        #expect(try await registry.remove(key: TestKeys.slashes) == a)
        #expect(try Self.revision(etcd) == revision + 1)
        revision += 1
        #expect(try await registry.remove(named: "two")?.publicKey == TestKeys.pluses)
        #expect(try Self.revision(etcd) == revision + 1)
        #expect(try etcd.dump(prefix: "/valon/") == kept)
        #expect(try await registry.list().peers == [keep])

        // A damaged record (no wg_ip) is removed too, alias included.
        let damaged = TestKeys.random()
        try etcd.etcdctl(["put", "/valon/peers/\(damaged.base64)/alias", "broken"])
        try etcd.etcdctl(["put", "/valon/aliases/broken", damaged.base64])
        #expect(try await registry.list().problems.map(\.holder) == [damaged.base64])
        #expect(try await registry.remove(alias: "broken") == nil)
        #expect(try etcd.dump(prefix: "/valon/") == kept)

        let missing = await #expect(throws: RegistryError.self) { try await registry.remove(alias: "one") }
        #expect(missing?.code == .peerNotFound)
        let missingKey = await #expect(throws: RegistryError.self) { try await registry.remove(key: TestKeys.slashes) }
        #expect(missingKey?.code == .peerNotFound)
    }

    @Test("endpoints are written with compare-and-swap, only when they change")
    func endpoints() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd)
        let key = TestKeys.pluses
        try await registry.add(key: key, alias: "roamer")
        let field = "/valon/peers/\(key.base64)/nat_endpoint"

        #expect(try await registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:51820"), of: key))
        #expect(try etcd.etcdctl(["get", field, "--print-value-only"]) == "203.0.113.10:51820\n")
        let revision = try Self.revision(etcd)
        #expect(try await registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:51820"), of: key) == false)
        #expect(try Self.revision(etcd) == revision)
        #expect(try await registry.setEndpoint(.nat, to: Endpoint("203.0.113.11:4000"), of: key))
        #expect(try etcd.etcdctl(["get", field, "--print-value-only"]) == "203.0.113.11:4000\n")
        #expect(try await registry.setEndpoint(.lan, to: Endpoint("[fd00::5]:51820"), of: key))
        #expect(try await registry.peer(key: key)?.lanEndpoint == Endpoint("[fd00::5]:51820"))
        #expect(try await registry.setEndpoint(.lan, to: nil, of: key))
        #expect(try await registry.setEndpoint(.lan, to: nil, of: key) == false)
        #expect(try etcd.dump(prefix: "/valon/peers/").keys.contains { $0.hasSuffix("lan_endpoint") } == false)

        let missing = await #expect(throws: RegistryError.self) {
            try await registry.setEndpoint(.lan, to: Endpoint("1.2.3.4:5"), of: TestKeys.slashes)
        }
        #expect(missing?.code == .peerNotFound)

        // Concurrent writers of the same field: each write is a compare-and-swap, the last one wins whole.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for port in 1...10 {
                group.addTask { try await registry.setEndpoint(.nat, to: Endpoint("198.51.100.1:\(port)"), of: key) }
            }
            try await group.waitForAll()
        }
        let final = try etcd.etcdctl(["get", field, "--print-value-only"])
        #expect(final.hasPrefix("198.51.100.1:"))
        #expect(try await registry.peer(key: key)?.natEndpoint?.description == final.trimmingCharacters(in: .newlines))
    }

    @Test("a registry in the original layout is read, extended and migrated")
    func originalLayout() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let old = TestKeys.slashes.base64
        // As the original Go valonctl and CoreDNS plugin wrote it: no ips/ claim, endpoints/... names.
        try etcd.etcdctl(["put", "/valon/peers/\(old)/wg_ip", "100.100.0.2"])
        try etcd.etcdctl(["put", "/valon/peers/\(old)/alias", "legacy"])
        try etcd.etcdctl(["put", "/valon/peers/\(old)/endpoints/lan", "192.168.1.50:51820"])
        try etcd.etcdctl(["put", "/valon/peers/\(old)/endpoints/nated", "203.0.113.10:51820"])
        try etcd.etcdctl(["put", "/valon/aliases/legacy", old])
        let registry = try Self.registry(etcd)

        let legacy = try #require(try await registry.peer(alias: "legacy"))
        #expect(legacy.wgIP == IPAddress("100.100.0.2"))
        #expect(legacy.lanEndpoint == Endpoint("192.168.1.50:51820"))
        #expect(legacy.natEndpoint == Endpoint("203.0.113.10:51820"))

        // The unclaimed 100.100.0.2 is still in use: a new peer gets .3, and asking for .2 fails.
        let taken = await #expect(throws: RegistryError.self) {
            try await registry.add(key: TestKeys.pluses, alias: "new", address: IPAddress("100.100.0.2"))
        }
        #expect(taken?.code == .addressTaken)
        #expect(taken?.holder == old)
        #expect(try await registry.add(key: TestKeys.pluses, alias: "new").wgIP == IPAddress("100.100.0.3"))

        // Same value: nothing written. New value: the documented name, the old key gone in the same txn.
        #expect(try await registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:51820"), of: TestKeys.slashes) == false)
        let revision = try Self.revision(etcd)
        #expect(try await registry.setEndpoint(.lan, to: Endpoint("192.168.1.60:51820"), of: TestKeys.slashes))
        #expect(try Self.revision(etcd) == revision + 1)
        let peerKeys = try etcd.dump(prefix: "/valon/peers/\(old)/")
        #expect(peerKeys["/valon/peers/\(old)/lan_endpoint"] == "192.168.1.60:51820")
        #expect(peerKeys["/valon/peers/\(old)/endpoints/lan"] == nil)
        #expect(peerKeys["/valon/peers/\(old)/endpoints/nated"] == "203.0.113.10:51820")

        try await registry.remove(alias: "legacy")
        #expect(try etcd.dump(prefix: "/valon/").keys.contains { $0.contains(old) || $0.hasSuffix("/legacy") } == false)
    }

    @Test("a custom prefix is honoured")
    func customPrefix() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd, prefix: "/mesh/b")
        try await registry.add(key: TestKeys.pluses, alias: "x")
        #expect(try etcd.dump(prefix: "/mesh/b/").count == 4)
        #expect(try etcd.dump(prefix: "/valon/").isEmpty)
        #expect(try await registry.list().peers.map(\.alias) == ["x"])
    }

    @Test("50 concurrent adds give 50 distinct addresses and aliases and no orphan key")
    func concurrentAdds() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let registry = try Self.registry(etcd)
        let keys = (0..<50).map { _ in TestKeys.random() }
        let peers = try await withThrowingTaskGroup(of: Peer.self) { group in
            for (index, key) in keys.enumerated() {
                group.addTask { try await registry.add(key: key, alias: "peer\(index)") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(peers.map(\.wgIP)).count == 50)
        #expect(Set(peers.map(\.alias)).count == 50)
        #expect(Set(peers.map(\.wgIP)) == Set((2...51).map { IPAddress("100.100.0.\($0)")! }))

        let stored = try etcd.dump(prefix: "/valon/")
        #expect(stored.count == 50 * 4)
        for peer in peers {
            let b64 = peer.publicKey.base64
            #expect(stored["/valon/peers/\(b64)/wg_ip"] == peer.wgIP.description)
            #expect(stored["/valon/peers/\(b64)/alias"] == peer.alias)
            #expect(stored["/valon/aliases/\(peer.alias)"] == b64)
            #expect(stored["/valon/ips/\(peer.wgIP)"] == b64)
        }
        #expect(Set(try await registry.list().peers) == Set(peers))
    }
}
