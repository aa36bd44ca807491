import Foundation
import Testing
import ValonKit
import ValonTestSupport

/// The real NOTIFY listener of `valon-sync --follow` (docs/ARCHITECTURE.md §12) on a loopback
/// address, with `dig +opcode=notify` as the independent sender: 127.0.0.1 plays the
/// discovery node's WireGuard address, 127.0.0.2 any other peer (every 127/8 address is
/// local on Linux, so `dig -b` can send from either without root).
@Suite(.serialized, .tags(.process), .timeLimit(.minutes(3)))
struct NotifyListenerProcessTests {
    static let zone = "valon.internal"
    static let node = IPAddress("127.0.0.1")!

    /// A started listener on 127.0.0.11 and a free port, the serial hints it handed on, its log.
    final class Running: Sendable {
        let listener: NotifyListener
        let notified: Locked<[UInt32?]>
        let log: Locked<[String]>
        let port: UInt16

        init(port: UInt16? = nil, nodes: Set<IPAddress> = [NotifyListenerProcessTests.node]) throws {
            let port = try port ?? FreePort.loopback()
            self.port = port
            let notified = Locked<[UInt32?]>([])
            let log = Locked<[String]>([])
            (self.notified, self.log) = (notified, log)
            listener = NotifyListener(local: Endpoint(address: IPAddress("127.0.0.11")!, port: port),
                                      zone: try DNSName(NotifyListenerProcessTests.zone), nodes: nodes,
                                      log: { line in log.withLock { $0.append(line) } },
                                      onNotify: { serial in notified.withLock { $0.append(serial) } })
            listener.start()
        }

        /// `dig` sending a NOTIFY from `source`; its whole output (status 9 when unanswered).
        func dig(from source: String, zone: String = NotifyListenerProcessTests.zone, type: String = "SOA",
                 opcode: String = "notify", options: [String] = []) async throws -> Command.Result {
            let port = port
            return try await offPool {
                try Command.run(["dig", "-b", source, "@127.0.0.11", "-p", "\(port)", "+opcode=\(opcode)", "+tries=1",
                                 "+time=1"] + options + [zone, type])
            }
        }
    }

    @Test("a NOTIFY from the node's address is answered NOERROR (opcode NOTIFY) and wakes the sync")
    func fromNode() async throws {
        let running = try Running()
        defer { Task { await running.listener.stop() } }
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        let answer = try await running.dig(from: "127.0.0.1")
        #expect(answer.status == 0, "\(answer.stdout)\(answer.stderr)")
        #expect(answer.stdout.contains("opcode: NOTIFY, status: NOERROR"), "\(answer.stdout)")
        #expect(answer.stdout.contains(";valon.internal."), "the question echoed: \(answer.stdout)")
        try await eventually("the sync to be woken") { running.notified.value.count == 1 }
        // dig sends no SOA in the answer section: no serial hint.
        #expect(running.notified.value == [nil])
        #expect(running.listener.counters == NotifyListener.Counters(accepted: 1))
    }

    @Test("from any other address: no answer at all, counted and logged")
    func fromElsewhere() async throws {
        let running = try Running()
        defer { Task { await running.listener.stop() } }
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        let answer = try await running.dig(from: "127.0.0.2")
        #expect(answer.status == 9, "dig got an answer: \(answer.stdout)")
        #expect(answer.stdout.contains("timed out") || answer.stdout.contains("no servers could be reached"), "\(answer.stdout)")
        try await eventually("the datagram to be counted") { running.listener.counters.foreign == 1 }
        #expect(running.notified.value.isEmpty)
        #expect(running.log.value.contains { $0.contains("127.0.0.2") && $0.contains("not a discovery node") })
    }

    @Test("from the node: another zone REFUSED, a QUERY NOTIMP, a NOTIFY for A FORMERR; nothing wakes")
    func refused() async throws {
        let running = try Running()
        defer { Task { await running.listener.stop() } }
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        let other = try await running.dig(from: "127.0.0.1", zone: "example.com")
        #expect(other.stdout.contains("opcode: NOTIFY, status: REFUSED"), "\(other.stdout)")
        let query = try await running.dig(from: "127.0.0.1", opcode: "query")
        #expect(query.stdout.contains("status: NOTIMP"), "\(query.stdout)")
        // Without EDNS: dig asks again without it after a FORMERR, which would count twice.
        let typeA = try await running.dig(from: "127.0.0.1", type: "A", options: ["+noedns"])
        #expect(typeA.stdout.contains("status: FORMERR"), "\(typeA.stdout)")
        #expect(running.listener.counters == NotifyListener.Counters(refused: 3))
        #expect(running.notified.value.isEmpty)
    }

    @Test("from the node, datagrams that are not DNS requests are dropped unanswered")
    func malformed() async throws {
        let running = try Running()
        defer { Task { await running.listener.stop() } }
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        let sender = try NotifySocket(binding: Endpoint(address: Self.node, port: 0))
        let listener = Endpoint(address: IPAddress("127.0.0.11")!, port: running.port)
        let zone = try DNSName(Self.zone)
        let response = try DNSNotify.response(to: DNSNotify.request(id: 4, zone: zone)).encoded()
        for datagram in [[UInt8](), [1, 2, 3], [UInt8](repeating: 0xFF, count: 40), response,
                         [UInt8](repeating: 0, count: 6000)] {
            try sender.send(datagram, to: listener)
        }
        try await eventually("five drops") { running.listener.counters.malformed == 5 }
        var buffer = [UInt8](repeating: 0, count: 512)
        #expect(try !sender.waitReadable(timeout: .milliseconds(300)))
        #expect(try sender.receive(into: &buffer) == nil)
        #expect(running.notified.value.isEmpty)
    }

    @Test("our own NOTIFY with a serial hint: answered, and the hint reaches the sync")
    func serialHint() async throws {
        let running = try Running()
        defer { Task { await running.listener.stop() } }
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        let sender = try NotifySocket(binding: Endpoint(address: Self.node, port: 0))
        let zone = try DNSName(Self.zone)
        let soa = DNSResourceRecord(name: zone, ttl: 2, data: .soa(DNSSOA(primaryServer: zone, responsibleMailbox: zone,
                                                                            serial: 4242, refresh: 60, retry: 10, expire: 3600, minimum: 2)))
        try sender.send(try DNSNotify.request(id: 99, zone: zone, soa: soa).encoded(),
                        to: Endpoint(address: IPAddress("127.0.0.11")!, port: running.port))
        #expect(try sender.waitReadable(timeout: .seconds(5)))
        var buffer = [UInt8](repeating: 0, count: 512)
        let (count, from) = try #require(try sender.receive(into: &buffer))
        #expect(from == Endpoint(address: IPAddress("127.0.0.11")!, port: running.port))
        let reply = try DNSMessage(decoding: buffer[..<count])
        #expect(reply.header.id == 99 && reply.header.isResponse && reply.header.opcode == .notify && reply.header.responseCode == .noError)
        try await eventually("the hint") { running.notified.value == [4242] }
    }

    @Test("nodes learned later are taken; a node that left the zone is not")
    func updatedNodes() async throws {
        let running = try Running(nodes: [])
        defer { Task { await running.listener.stop() } }
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        #expect(try await running.dig(from: "127.0.0.1").status == 9)
        running.listener.update(nodes: [Self.node])
        #expect(try await running.dig(from: "127.0.0.1").stdout.contains("status: NOERROR"))
        running.listener.update(nodes: [IPAddress("127.0.0.3")!])
        #expect(try await running.dig(from: "127.0.0.1").status == 9)
        #expect(running.listener.counters == NotifyListener.Counters(accepted: 1, foreign: 2))
    }

    @Test("a port held by another socket: the listener logs, retries, and binds once it is free")
    func bindRetry() async throws {
        let port = try FreePort.loopback()
        var holder: NotifySocket? = try NotifySocket(binding: Endpoint(address: IPAddress("127.0.0.11")!, port: port))
        let running = try Running(port: port)
        defer { Task { await running.listener.stop() } }
        try await eventually("the bind failure to be logged") {
            running.log.value.contains { $0.contains("cannot listen for NOTIFY on 127.0.0.11:\(port)") && $0.contains("retrying") }
        }
        #expect(running.listener.boundEndpoint == nil)
        _ = holder
        holder = nil
        try await eventually("the listener to bind", limit: .seconds(10)) { running.listener.boundEndpoint != nil }
        #expect(try await running.dig(from: "127.0.0.1").stdout.contains("status: NOERROR"))
    }

    @Test("stop() closes the socket: the port can be bound again at once")
    func stop() async throws {
        let running = try Running()
        try await eventually("the listener to bind") { running.listener.boundEndpoint != nil }
        await running.listener.stop()
        #expect(running.listener.boundEndpoint == nil)
        _ = try NotifySocket(binding: Endpoint(address: IPAddress("127.0.0.11")!, port: running.port))
    }
}
