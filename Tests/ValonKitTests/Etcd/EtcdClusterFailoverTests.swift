import Foundation
import Testing
@testable import ValonKit

/// A three-member cluster on loopback: the client keeps working when a member, or the
/// leader, goes away, and a watch resumes on another member without losing an event.
@Suite("etcd client against a three-member cluster", .serialized, .tags(.process), .timeLimit(.minutes(10)))
struct EtcdClusterFailoverProcessTests {
    @Test("every operation succeeds with one member stopped", arguments: ["follower", "leader"])
    func memberStopped(which: String) async throws {
        let etcd = try await EtcdCluster.start(size: 3)
        defer { etcd.shutdown() }
        let leader = try #require(try etcd.leader())
        let victim = which == "leader" ? leader : (leader + 1) % 3
        let urls = etcd.clientURLs
        // The stopped member comes first, so every call must fail over.
        let ordered = [urls[victim]] + urls.enumerated().filter { $0.offset != victim }.map(\.element)
        let client = try EtcdClient(EtcdConfiguration(endpoints: ordered))
        try await client.put(EtcdPutRequest(key: "/c/before", value: "1"))
        #expect(client.transport.preferred == 0)

        etcd.stop(victim)

        try await client.put(EtcdPutRequest(key: "/c/after", value: "2"))
        #expect(try await client.get("/c/before")?.valueString == "1")
        #expect(try await client.range(.prefix("/c/")).kvs.map(\.keyString) == ["/c/after", "/c/before"])
        let txn = try await client.txn(EtcdTxnRequest(compare: [.value("/c/after", equals: "2")],
                                                      success: [.put(EtcdPutRequest(key: "/c/txn", value: "3"))]))
        #expect(txn.succeeded)
        #expect(try await client.delete(EtcdDeleteRequest(key: "/c/before")).deleted == 1)
        let lease = try await client.grantLease(ttl: 30)
        #expect(try await client.keepAlive(lease: lease.id).ttl > 0)
        try await client.revokeLease(lease.id)
        #expect(try await client.status().leader != 0)
        #expect(try await client.memberList().count == 3)
        #expect(client.transport.preferred != 0)
        let each = await client.statusOfEachEndpoint()
        #expect(each.map(\.endpoint) == ordered)
        #expect(each.map { (try? $0.status.get()) == nil } == [true, false, false])
        if case .failure(let error) = each[0].status { #expect(error.code == .connection) }
        #expect(try etcd.dump(prefix: "/c/") == ["/c/after": "2", "/c/txn": "3"])

        // The registry's operations too.
        let registry = PeerRegistry(etcd: client, configuration: .init(network: IPNetwork("100.100.0.0/24")!))
        let key = WireGuardKey.generatePreshared()
        let peer = try await registry.add(key: key, alias: "survivor")
        #expect(try await registry.setEndpoint(.nat, to: Endpoint("203.0.113.1:51820"), of: key))
        #expect(try await registry.list().peers.map(\.alias) == ["survivor"])
        #expect(try await registry.peer(alias: "survivor")?.wgIP == peer.wgIP)
        try await registry.remove(alias: "survivor")
        #expect(try etcd.dump(prefix: "/valon/").isEmpty)
    }

    @Test("a watch survives the loss of its endpoint and sees every event exactly once, in order")
    func watchResumes() async throws {
        let etcd = try await EtcdCluster.start(size: 3)
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        let start = try await client.status().header.revision + 1
        let total = 60
        let stream = client.watch(.prefix("/wr/", startRevision: start))
        let writer = Task {
            for index in 0..<total {
                if index == 20 { etcd.stop(0) }  // the member the watch is connected to
                try etcd.etcdctl(["put", "/wr/k", "\(index)"])
                if index == 40 { try await etcd.restart(0) }
            }
        }
        let batches = try await collect(stream, within: .seconds(90)) { batches in
            batches.reduce(0) { $0 + $1.events.count } >= total
        }
        try await writer.value
        let values = batches.flatMap(\.events).map(\.kv.valueString)
        #expect(values == (0..<total).map(String.init))
        let revisions = batches.flatMap(\.events).map(\.kv.modRevision)
        #expect(revisions == Array(start..<(start + Int64(total))))
        #expect(client.watchReconnects >= 1)
    }
}
