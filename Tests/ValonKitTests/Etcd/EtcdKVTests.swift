import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ValonKit

/// The KV calls against a real etcd member, checked with `etcdctl`.
@Suite("etcd KV against a real member", .tags(.process), .timeLimit(.minutes(10)))
struct EtcdKVProcessTests {
    @Test("put, get, prev_kv and delete, as etcdctl sees them")
    func putGetDelete() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))

        let first = try await client.put(EtcdPutRequest(key: "/t/a", value: "one"))
        #expect(first.header.revision == 2)
        var again = EtcdPutRequest(key: "/t/a", value: "two")
        again.prevKV = true
        let second = try await client.put(again)
        #expect(second.prevKV?.valueString == "one")
        #expect(try etcd.etcdctl(["get", "/t/a", "--print-value-only"]) == "two\n")

        let kv = try #require(try await client.get("/t/a"))
        #expect(kv.valueString == "two")
        #expect(kv.version == 2)
        #expect(kv.createRevision == 2)
        #expect(kv.modRevision == 3)
        #expect(try await client.get("/t/missing") == nil)

        var delete = EtcdDeleteRequest(key: "/t/a")
        delete.prevKV = true
        let deleted = try await client.delete(delete)
        #expect(deleted.deleted == 1)
        #expect(deleted.prevKVs.map(\.valueString) == ["two"])
        #expect(try etcd.etcdctl(["get", "/t/a"]) == "")
    }

    @Test("ranges: prefix, limit, count-only, keys-only, at a past revision (gRPC and gateway)", arguments: [true, false])
    func ranges(overGRPC: Bool) async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
        configuration.rangesOverGRPC = overGRPC
        let client = try EtcdClient(configuration)
        for index in 0..<5 { try etcd.etcdctl(["put", "/r/k\(index)", "v\(index)"]) }
        try etcd.etcdctl(["put", "/rz", "outside"])
        try etcd.etcdctl(["put", "/r/k0", "changed"])

        let all = try await client.range(.prefix("/r/"))
        #expect(all.kvs.map(\.keyString) == (0..<5).map { "/r/k\($0)" })
        #expect(all.kvs.first?.valueString == "changed")
        #expect(all.count == 5)
        #expect(all.header.revision == 8)

        var limited = EtcdRangeRequest.prefix("/r/")
        limited.limit = 2
        let two = try await client.range(limited)
        #expect(two.kvs.count == 2)
        #expect(two.more)
        #expect(two.count == 5)

        var counting = EtcdRangeRequest.prefix("/r/")
        counting.countOnly = true
        let counted = try await client.range(counting)
        #expect(counted.kvs.isEmpty)
        #expect(counted.count == 5)

        var keysOnly = EtcdRangeRequest.prefix("/r/")
        keysOnly.keysOnly = true
        let keys = try await client.range(keysOnly)
        #expect(keys.kvs.count == 5)
        #expect(keys.kvs.allSatisfy { $0.value.isEmpty })

        var past = EtcdRangeRequest(key: "/r/k0")
        past.revision = 2
        #expect(try await client.range(past).kvs.first?.valueString == "v0")
        var pastPrefix = EtcdRangeRequest.prefix("/r/")
        pastPrefix.revision = 3
        #expect(try await client.range(pastPrefix).kvs.map(\.valueString) == ["v0", "v1"])

        // Binary keys and values, and a compacted revision as an error with etcd's code.
        var binary = EtcdPutRequest(key: [0x2f, 0x62, 0x00, 0xff], value: [0, 1, 2, 0xfe])
        binary.prevKV = false
        try await client.put(binary)
        let read = try await client.range(.prefix("/b"))
        #expect(read.kvs.map(\.key) == [[0x2f, 0x62, 0x00, 0xff]])
        #expect(read.kvs.map(\.value) == [[0, 1, 2, 0xfe]])
        try etcd.etcdctl(["compaction", "5"])
        let error = await #expect(throws: EtcdError.self) { try await client.range(pastPrefix) }
        #expect(error?.grpcCode == EtcdError.GRPCCode.outOfRange)
        #expect(error?.serverMessage == "etcdserver: mvcc: required revision has been compacted")
    }

    @Test("txn compares on value, version, create and mod revision")
    func transactions() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        try etcd.etcdctl(["put", "/x", "1"])
        let kv = try #require(try await client.get("/x"))

        let cases: [(EtcdCompare, Bool)] = [
            (.value("/x", equals: "1"), true),
            (.value("/x", equals: "2"), false),
            (EtcdCompare(key: "/x", .version(1)), true),
            (EtcdCompare(key: "/x", .version(0), .greater), true),
            (EtcdCompare(key: "/x", .createRevision(kv.createRevision)), true),
            (EtcdCompare(key: "/x", .modRevision(kv.modRevision), .less), false),
            (EtcdCompare(key: "/x", .modRevision(kv.modRevision), .notEqual), false),
            (.absent("/x"), false),
            (.absent("/y"), true),
            (.absent(prefix: "/nothing/"), true),
            (.absent(prefix: "/"), false),
        ]
        for (compare, expected) in cases {
            let txn = EtcdTxnRequest(compare: [compare], success: [.range(EtcdRangeRequest(key: "/x"))],
                                     failure: [.range(EtcdRangeRequest(key: "/y"))])
            let response = try await client.txn(txn)
            #expect(response.succeeded == expected, "\(compare)")
            #expect(response.responses.count == 1)
        }

        let write = EtcdTxnRequest(compare: [.value("/x", equals: "1")],
                                   success: [.put(EtcdPutRequest(key: "/x", value: "2")),
                                             .put(EtcdPutRequest(key: "/z", value: "new")),
                                             .delete(EtcdDeleteRequest(key: "/nope"))])
        let written = try await client.txn(write)
        #expect(written.succeeded)
        #expect(try etcd.dump(prefix: "/") == ["/x": "2", "/z": "new"])
    }

    @Test("leases: grant, attach, keep alive, revoke")
    func leases() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        let lease = try await client.grantLease(ttl: 60)
        #expect(lease.ttl == 60)
        var put = EtcdPutRequest(key: "/leased", value: "v")
        put.lease = lease.id
        try await client.put(put)
        #expect(try await client.get("/leased")?.lease == lease.id)
        let renewed = try await client.keepAlive(lease: lease.id)
        #expect(renewed.id == lease.id)
        #expect(renewed.ttl > 0)
        #expect(try etcd.etcdctl(["lease", "list"]).contains(String(lease.id, radix: 16)))
        try await client.revokeLease(lease.id)
        #expect(try etcd.etcdctl(["get", "/leased"]) == "")
        #expect(try await client.keepAlive(lease: lease.id).ttl == 0)
        await #expect(throws: EtcdError.self) { try await client.revokeLease(lease.id) }
    }

    @Test("status and member list")
    func statusAndMembers() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        let status = try await client.status()
        #expect(status.version.hasPrefix("3."))
        #expect(status.isLeader)
        let members = try await client.memberList()
        #expect(members.count == 1)
        #expect(members.first?.clientURLs == etcd.clientURLs)
        #expect(members.first?.id == status.header.memberID)
    }

    @Test("etcd's error is reported with its gRPC code, message and endpoint")
    func serverErrors() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        for index in 0..<3 { try etcd.etcdctl(["put", "/c", "\(index)"]) }
        try etcd.etcdctl(["compaction", "4"])
        var old = EtcdRangeRequest(key: "/c")
        old.revision = 2
        let error = await #expect(throws: EtcdError.self) { try await client.range(old) }
        #expect(error?.code == .server)
        #expect(error?.grpcCode == EtcdError.GRPCCode.outOfRange)
        #expect(error?.serverMessage?.contains("compacted") == true)
        #expect(error?.endpoint == etcd.clientURLs[0])
        #expect(error?.description.contains("range /c on \(etcd.clientURLs[0])") == true)
    }

    @Test("unreachable endpoints: the error names every endpoint tried")
    func unreachable() async throws {
        let reservation = try PortReservation(2)
        defer { reservation.release() }
        let endpoints = reservation.urls
        let client = try EtcdClient(EtcdConfiguration(endpoints: endpoints))
        let error = await #expect(throws: EtcdError.self) { try await client.get("/k") }
        #expect(error?.code == .unavailable)
        for endpoint in endpoints { #expect(error?.description.contains(endpoint) == true) }
        if case .attempts(let attempts) = error?.cause {
            #expect(attempts.map(\.endpoint) == endpoints)
            #expect(attempts.allSatisfy { $0.code == .connection })
        } else {
            Issue.record("expected one error per endpoint, got \(String(describing: error?.cause))")
        }
    }

    @Test("a dead first endpoint fails over to the next one")
    func failover() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let reservation = try PortReservation(1)
        defer { reservation.release() }
        let dead = reservation.urls[0]
        let client = try EtcdClient(EtcdConfiguration(endpoints: [dead] + etcd.clientURLs))
        try await client.put(EtcdPutRequest(key: "/f", value: "ok"))
        #expect(client.transport.preferred == 1)
        #expect(try etcd.etcdctl(["get", "/f", "--print-value-only"]) == "ok\n")
    }

    @Test("a member that does not answer: the request times out, named as such")
    func timeout() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let patient = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        try await patient.put(EtcdPutRequest(key: "/t", value: "1"))
        var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
        configuration.requestTimeout = .milliseconds(300)
        configuration.retryWindow = .milliseconds(500)
        let client = try EtcdClient(configuration)
        etcd.signal(0, SIGSTOP)
        defer { etcd.signal(0, SIGCONT) }
        let error = await #expect(throws: EtcdError.self) { try await client.get("/t") }
        #expect(error?.code == .unavailable)
        if case .attempts(let attempts) = error?.cause {
            #expect(attempts.first?.code == .timeout)
            #expect(attempts.first?.endpoint == etcd.clientURLs[0])
        } else {
            Issue.record("expected the attempts, got \(String(describing: error))")
        }
        etcd.signal(0, SIGCONT)
        #expect(try await patient.get("/t")?.valueString == "1")
    }

    @Test("a URL that is not etcd's gateway gives an HTTP error with the status")
    func wrongPath() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: [etcd.clientURLs[0] + "/not-etcd"]))
        let error = await #expect(throws: EtcdError.self) { try await client.put(EtcdPutRequest(key: "/k", value: "v")) }
        #expect(error?.code == .http)
        if case .http(let status, _) = error?.cause { #expect(status == 404) } else { Issue.record("no HTTP status") }
        #expect(error?.description.contains("/not-etcd") == true)
    }

    @Test("bad configuration is refused up front")
    func badConfiguration() {
        #expect(throws: EtcdError.self) { try EtcdClient(EtcdConfiguration(endpoints: [])) }
        #expect(throws: EtcdError.self) { try EtcdClient(EtcdConfiguration(endpoints: ["127.0.0.1:2379"])) }
    }
}
