import Foundation
import Testing
@testable import ValonKit

@Suite("etcd watch against a real member", .tags(.process), .timeLimit(.minutes(10)))
struct EtcdWatchProcessTests {
    @Test("a prefix watch delivers puts and deletes in order, with prev_kv")
    func events() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        var request = EtcdWatchRequest.prefix("/w/", startRevision: 2)
        request.prevKV = true
        let writer = Task {
            try etcd.etcdctl(["put", "/w/a", "1"])
            try etcd.etcdctl(["put", "/other", "x"])
            try etcd.etcdctl(["put", "/w/a", "2"])
            try etcd.etcdctl(["del", "/w/a"])
        }
        var seen: [String] = []
        for try await batch in client.watch(request) {
            for event in batch.events {
                seen.append("\(event.kind.rawValue) \(event.kv.keyString)=\(event.kv.valueString) prev=\(event.prevKV?.valueString ?? "-") @\(event.kv.modRevision)")
            }
            if seen.count == 3 { break }
        }
        try await writer.value
        #expect(seen == ["PUT /w/a=1 prev=- @2", "PUT /w/a=2 prev=1 @4", "DELETE /w/a= prev=2 @5"])
    }

    @Test("a watch from a compacted revision ends with a .compacted error")
    func compaction() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        for index in 0..<4 { try etcd.etcdctl(["put", "/k", "\(index)"]) }
        try etcd.etcdctl(["compaction", "4"])
        let error = await #expect(throws: EtcdError.self) {
            for try await _ in client.watch(.prefix("/k", startRevision: 2)) {}
        }
        #expect(error?.code == .compacted)
        if case .compacted(let revision) = error?.cause { #expect(revision == 4) } else { Issue.record("no compact revision") }
    }

    @Test("a watch without a start revision reports only later changes")
    func fromNow() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        try etcd.etcdctl(["put", "/n/old", "x"])
        let stream = client.watch(.prefix("/n/"))
        let writer = Task {
            // The watch is created asynchronously: keep writing until it has seen a change.
            for index in 0..<50 {
                try etcd.etcdctl(["put", "/n/new", "\(index)"])
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { writer.cancel() }
        for try await batch in stream {
            #expect(batch.events.allSatisfy { $0.kv.keyString == "/n/new" })
            break
        }
    }
}

extension EtcdWatchProcessTests {
    /// etcd's own count of open watchers (`/metrics`, read with curl).
    static func watchers(_ etcd: EtcdCluster) throws -> Int? {
        let metrics = try Command.check(["curl", "-s", "\(etcd.clientURLs[0])/metrics"])
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("etcd_debugging_mvcc_watcher_total ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") }
    }

    @Test("leaving the loop cancels the watch: etcd sees its watcher go")
    func cancellation() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        try etcd.etcdctl(["put", "/cancel", "x"])
        for try await _ in client.watch(.prefix("/cancel", startRevision: 1)) { break }
        var open = try Self.watchers(etcd)
        for _ in 0..<50 where open != 0 {
            try await Task.sleep(for: .milliseconds(100))
            open = try Self.watchers(etcd)
        }
        #expect(open == 0)
    }
}

@Suite("JSONLineBuffer splits a stream into lines")
struct JSONLineBufferTests {
    @Test("chunks split anywhere give the same lines", arguments: [1, 2, 3, 7, 100])
    func chunking(size: Int) {
        let text = Array("{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}\n{\"partial\"".utf8)
        var buffer = JSONLineBuffer()
        var lines: [String] = []
        var start = 0
        while start < text.count {
            let end = min(text.count, start + size)
            lines += buffer.append(text[start..<end])!.map { String(decoding: $0, as: UTF8.self) }
            start = end
        }
        #expect(lines == ["{\"a\":1}", "{\"b\":2}\r", "{\"c\":3}"])
        #expect(String(decoding: buffer.remainder, as: UTF8.self) == "{\"partial\"")
    }

    @Test("a line longer than the limit is refused")
    func limit() {
        var buffer = JSONLineBuffer(maximumLineLength: 4)
        #expect(buffer.append(Array("abc".utf8)) != nil)
        #expect(buffer.append(Array("de".utf8)) == nil)
    }
}
