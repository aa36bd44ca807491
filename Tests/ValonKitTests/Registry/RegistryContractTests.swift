import Foundation
import Testing
@testable import ValonKit
import ValonTestSupport

/// The registry's contract (docs/ARCHITECTURE.md §3.1), run twice: against a real etcd
/// member and against `MemoryEtcd`. The same cases passing on both is what lets the
/// registry's logic be tested without etcd anywhere else, and keeps the model honest.
/// The oracle is the store's own keys, read back with one range (etcdctl checks the
/// real etcd in PeerRegistryTests).
@Suite("Registry contract: real etcd and the in-memory store", .tags(.process), .timeLimit(.minutes(3)))
struct RegistryContractProcessTests {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case etcd
        case memory
        var testDescription: String { rawValue }
    }

    /// A registry on a fresh store of `backend`; `close` stops what was started.
    struct Fixture {
        let registry: PeerRegistry
        let store: any RegistryStore
        let close: @Sendable () -> Void

        init(_ backend: Backend) async throws {
            let configuration = PeerRegistry.Configuration(network: IPNetwork("100.100.0.0/24")!,
                                                           reservedAddresses: [IPAddress("100.100.0.1")!])
            switch backend {
            case .etcd:
                let cluster = try await EtcdCluster.start()
                let client = try EtcdClient(EtcdConfiguration(endpoints: cluster.clientURLs))
                store = client
                registry = PeerRegistry(etcd: client, configuration: configuration)
                close = { cluster.shutdown() }
            case .memory:
                let memory = MemoryEtcd()
                store = memory
                registry = PeerRegistry(store: memory, configuration: configuration)
                close = {}
            }
        }

        /// Every key under /valon/ with its value, and the revision.
        func dump() async throws -> (keys: [String: String], revision: Int64) {
            let response = try await store.range(.prefix("/valon/"))
            return (Dictionary(uniqueKeysWithValues: response.kvs.map { ($0.keyString, $0.valueString) }), response.header.revision)
        }

        func put(_ key: String, _ value: String) async throws {
            _ = try await store.txn(EtcdTxnRequest(success: [.put(EtcdPutRequest(key: key, value: value))]))
        }
    }

    static func key(_ byte: UInt8) -> WireGuardKey { try! WireGuardKey(bytes: [UInt8](repeating: byte, count: 32)) }

    @Test("add writes the documented keys in one revision, at the lowest free address", arguments: Backend.allCases)
    func add(_ backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        defer { fixture.close() }
        let before = try await fixture.dump()
        let peer = try await fixture.registry.add(key: Self.key(1), alias: "client01", lanEndpoint: Endpoint("192.168.1.50:51820"))
        #expect(peer.wgIP == IPAddress("100.100.0.2"))
        let after = try await fixture.dump()
        #expect(after.revision == before.revision + 1)
        let b64 = Self.key(1).base64
        #expect(after.keys == [
            "/valon/peers/\(b64)/wg_ip": "100.100.0.2", "/valon/peers/\(b64)/alias": "client01",
            "/valon/peers/\(b64)/lan_endpoint": "192.168.1.50:51820",
            "/valon/aliases/client01": b64, "/valon/ips/100.100.0.2": b64,
        ])
        #expect(try await fixture.registry.add(key: Self.key(2), alias: "client02").wgIP == IPAddress("100.100.0.3"))
    }

    @Test("conflicts name the holder and write nothing", arguments: Backend.allCases)
    func conflicts(_ backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        defer { fixture.close() }
        try await fixture.registry.add(key: Self.key(1), alias: "taken", address: IPAddress("100.100.0.5"))
        let before = try await fixture.dump()
        let alias = await #expect(throws: RegistryError.self) { try await fixture.registry.add(key: Self.key(2), alias: "taken") }
        #expect(alias?.code == .aliasTaken && alias?.holder == Self.key(1).base64)
        let address = await #expect(throws: RegistryError.self) {
            try await fixture.registry.add(key: Self.key(2), alias: "other", address: IPAddress("100.100.0.5"))
        }
        #expect(address?.code == .addressTaken)
        let again = await #expect(throws: RegistryError.self) { try await fixture.registry.add(key: Self.key(1), alias: "second") }
        #expect(again?.code == .keyRegistered)
        let after = try await fixture.dump()
        #expect(after.keys == before.keys && after.revision == before.revision)
    }

    @Test("remove deletes every key of the peer in one revision", arguments: Backend.allCases)
    func remove(_ backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        defer { fixture.close() }
        try await fixture.registry.add(key: Self.key(1), alias: "a", natEndpoint: Endpoint("203.0.113.1:1"))
        try await fixture.registry.add(key: Self.key(2), alias: "b")
        let before = try await fixture.dump()
        #expect(try await fixture.registry.remove(alias: "a")?.publicKey == Self.key(1))
        let after = try await fixture.dump()
        #expect(after.revision == before.revision + 1)
        #expect(after.keys.keys.allSatisfy { !$0.contains(Self.key(1).base64) && $0 != "/valon/aliases/a" && $0 != "/valon/ips/100.100.0.2" })
        #expect(after.keys.count == 4, "the other peer is whole: \(after.keys)")
        let gone = await #expect(throws: RegistryError.self) { try await fixture.registry.remove(alias: "a") }
        #expect(gone?.code == .peerNotFound)
    }

    @Test("endpoints change by compare-and-swap, only when they differ", arguments: Backend.allCases)
    func endpoints(_ backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        defer { fixture.close() }
        let key = Self.key(3)
        try await fixture.registry.add(key: key, alias: "roamer")
        #expect(try await fixture.registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:51820"), of: key))
        let revision = try await fixture.dump().revision
        #expect(try await fixture.registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:51820"), of: key) == false)
        #expect(try await fixture.dump().revision == revision)
        #expect(try await fixture.registry.setEndpoint(.lan, to: Endpoint("[fd00::5]:51820"), of: key))
        #expect(try await fixture.registry.setEndpoint(.lan, to: nil, of: key))
        #expect(try await fixture.registry.peer(key: key) == Peer(publicKey: key, alias: "roamer", wgIP: IPAddress("100.100.0.2")!,
                                                                  natEndpoint: Endpoint("203.0.113.10:51820")))
        let missing = await #expect(throws: RegistryError.self) {
            try await fixture.registry.setEndpoint(.lan, to: Endpoint("1.2.3.4:5"), of: Self.key(9))
        }
        #expect(missing?.code == .peerNotFound)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for port in 1...10 {
                group.addTask { try await fixture.registry.setEndpoint(.nat, to: Endpoint("198.51.100.1:\(port)"), of: key) }
            }
            try await group.waitForAll()
        }
        #expect(try await fixture.registry.peer(key: key)?.natEndpoint?.address == IPAddress("198.51.100.1"))
    }

    @Test("the original layout is read, its addresses stay taken, and a write migrates it", arguments: Backend.allCases)
    func originalLayout(_ backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        defer { fixture.close() }
        let old = Self.key(4).base64
        for (key, value) in [("/valon/peers/\(old)/wg_ip", "100.100.0.2"), ("/valon/peers/\(old)/alias", "legacy"),
                             ("/valon/peers/\(old)/endpoints/lan", "192.168.1.50:51820"),
                             ("/valon/peers/\(old)/endpoints/nated", "203.0.113.10:51820"), ("/valon/aliases/legacy", old)] {
            try await fixture.put(key, value)
        }
        let legacy = try #require(try await fixture.registry.peer(alias: "legacy"))
        #expect(legacy.lanEndpoint == Endpoint("192.168.1.50:51820") && legacy.natEndpoint == Endpoint("203.0.113.10:51820"))
        #expect(try await fixture.registry.add(key: Self.key(5), alias: "new").wgIP == IPAddress("100.100.0.3"))
        #expect(try await fixture.registry.setEndpoint(.nat, to: Endpoint("203.0.113.11:4000"), of: Self.key(4)))
        let keys = try await fixture.dump().keys
        #expect(keys["/valon/peers/\(old)/nat_endpoint"] == "203.0.113.11:4000")
        #expect(keys["/valon/peers/\(old)/endpoints/nated"] == nil)
    }

    @Test("20 concurrent adds: 20 distinct addresses and aliases, no orphan key", arguments: Backend.allCases)
    func concurrentAdds(_ backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        defer { fixture.close() }
        let peers = try await withThrowingTaskGroup(of: Peer.self) { group in
            for index in 0..<20 {
                group.addTask { try await fixture.registry.add(key: Self.key(UInt8(10 + index)), alias: "c\(index)") }
            }
            return try await group.reduce(into: [Peer]()) { $0.append($1) }
        }
        #expect(Set(peers.map(\.wgIP)).count == 20)
        let listing = try await fixture.registry.list()
        #expect(listing.peers.count == 20 && listing.problems.isEmpty)
        #expect(try await fixture.dump().keys.count == 20 * 4)
    }
}
