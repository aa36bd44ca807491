import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ValonKit

/// A request is sent from the calling thread and its answer awaited on a Dispatch thread,
/// against a real member: many hand-offs in a row, and a member that does not answer.
@Suite("etcd requests: sent on the calling thread, answered on a thread of their own", .tags(.process),
       .timeLimit(.minutes(10)))
struct EtcdHandOffProcessTests {
    @Test("500 requests in a row, each awaited on a Dispatch thread, none loses its body or headers")
    func sequentialHandOffs() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
        // A request sent without its body would wait for etcd until this timeout and then
        // fail (no retries): the first transfer's clean-up once ran on the Dispatch thread
        // after the next transfer had set up the handle, and took its body away.
        configuration.requestTimeout = .seconds(3)
        configuration.retryWindow = .zero
        let client = try EtcdClient(configuration)
        for index in 0..<500 {
            try await client.put(EtcdPutRequest(key: "/seq/\(index % 10)", value: "\(index)"))
        }
        #expect(try etcd.etcdctl(["get", "/seq/9", "--print-value-only"]) == "499\n")
    }

    @Test("requests to a member that does not answer hold no cooperative thread while they wait")
    func frozenMemberHoldsNoThread() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        // One client per request, more than there are cooperative threads, so that each
        // request has a connection (and gate) of its own and all wait at once.
        let count = ProcessInfo.processInfo.activeProcessorCount + 1
        var clients: [EtcdClient] = []
        for _ in 0..<count {
            var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
            // Long enough that no request gives up before the probe has run, however busy the
            // test run; etcd is let go right after it.
            configuration.requestTimeout = .seconds(15)
            configuration.retryWindow = .zero
            let client = try EtcdClient(configuration)
            try await client.put(EtcdPutRequest(key: "/t", value: "1"))   // connected
            clients.append(client)
        }
        etcd.signal(0, SIGSTOP)
        defer { etcd.signal(0, SIGCONT) }
        let order = Locked<[String]>([])
        let requests = clients.map { client in
            Task.detached {
                let outcome = (try? await client.get("/t")) == nil ? "request failed" : "request answered"
                order.withLock { $0.append(outcome) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        await Task.detached { order.withLock { $0.append("probe") } }.value
        etcd.signal(0, SIGCONT)
        for request in requests { await request.value }
        let seen = order.withLock { $0 }
        #expect(seen.first == "probe", "a task ran only after a request ended: \(seen)")
        #expect(seen.count == count + 1)
    }
}
