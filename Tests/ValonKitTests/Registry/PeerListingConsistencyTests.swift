import Foundation
import Synchronization
import Testing
import ValonKit
import ValonTestSupport

/// `PeerRegistry.list()` reads the whole prefix at one revision (docs/ARCHITECTURE.md §9):
/// while other clients add peers 20 at a time in transactions, every listing holds a
/// whole number of those transactions and exactly the peers `etcdctl` finds at the
/// listing's revision. A listing never mixes two states, so the zone built from it never
/// lacks a peer the registry held at its serial.
@Suite("Registry listing under concurrent writes", .timeLimit(.minutes(3)), .tags(.process))
struct PeerListingConsistencyProcessTests {
    @Test func everyListingIsOneRevision() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        try await RegistrySeed.add(2_000, to: client)
        let registry = PeerRegistry(etcd: client, configuration: .init(network: IPNetwork("10.0.0.0/8")!))

        let writing = Mutex(true)
        let writer = Task {
            var round = 0
            while writing.withLock({ $0 }) && round < 400 {
                // 20 peers in one transaction (RegistrySeed's batch), at fresh addresses.
                try await RegistrySeed.add(20, to: client, aliasPrefix: "w\(round)-", addressBase: 100 + UInt8(round / 100))
                round += 1
            }
            return round
        }
        var listings = [PeerListing]()
        for _ in 0..<15 {
            listings.append(try await registry.list())
            try await Task.sleep(for: .milliseconds(30))
        }
        writing.withLock { $0 = false }
        let rounds = try await writer.value
        #expect(rounds > 0)
        #expect(Set(listings.map(\.revision)).count > 1, "the writes ran during the listings")
        for listing in listings {
            #expect(listing.problems.isEmpty, "\(listing.problems.prefix(3))")
            #expect(listing.peers.count % 20 == 0, "a listing holds whole transactions: \(listing.peers.count)")
            let atRevision = try etcd.etcdctl(["get", "--prefix", "/valon/aliases/", "--rev=\(listing.revision)", "--keys-only"])
            let aliases = Set(atRevision.split(separator: "\n").map { String($0.dropFirst("/valon/aliases/".count)) })
            #expect(aliases == Set(listing.peers.map(\.alias)), "revision \(listing.revision)")
        }
    }
}
