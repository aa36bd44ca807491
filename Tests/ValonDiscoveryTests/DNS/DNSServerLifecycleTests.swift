import Foundation
import Logging
import ServiceLifecycle
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The server's TCP behaviour and its life as a service, from a fixed snapshot.
@Suite("DNS server: TCP and service lifecycle")
struct DNSServerLifecycleTests {
    typealias Fixture = DNSZoneFixture

    static func server(_ adjust: (inout DNSServer.Configuration) -> Void = { _ in }) -> DNSServer {
        var logger = Logger(label: "valon.dns.test")
        logger.logLevel = .critical
        var configuration = DNSServer.Configuration(zone: Fixture.zone, bindAddresses: [IPAddress("127.0.0.1")!], port: 0)
        adjust(&configuration)
        return DNSServer(configuration: configuration, snapshot: { Fixture.snapshot }, metrics: DiscoveryMetrics(), logger: logger)
    }

    static func query(_ id: UInt16, _ name: String) throws -> [UInt8] {
        try DNSMessage.query(id: id, name: DNSName(Fixture.expand(name)), type: .a).encoded()
    }

    @Test("several queries in one TCP write are answered in order on the same connection")
    func pipelined() async throws {
        let server = Self.server()
        let task = Task { try await server.run() }
        defer { task.cancel() }
        let connection = try LoopbackTCP(port: try await server.waitUntilBound())
        let names = ["client01.valon.internal", "laptop.valon.internal", "{k3}.valon.internal"]
        let framed = try names.enumerated().flatMap { index, name in
            let query = try Self.query(UInt16(index + 1), name)
            return [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        }
        #expect(connection.write(framed))
        var answers = [String]()
        for index in names.indices {
            let reply = try DNSMessage(decoding: try #require(try connection.receive()))
            #expect(reply.header.id == UInt16(index + 1))
            answers += reply.answers.map { "\($0.data)" }
        }
        #expect(answers == ["100.100.0.2", "100.100.0.3", "100.100.0.4"])
    }

    @Test("an idle TCP connection is closed; connections past the cap are refused at once")
    func idleAndCap() async throws {
        let server = Self.server {
            $0.tcpIdleTimeout = .milliseconds(300)
            $0.maxTCPConnections = 2
        }
        let task = Task { try await server.run() }
        defer { task.cancel() }
        let port = try await server.waitUntilBound()
        let first = try LoopbackTCP(port: port), second = try LoopbackTCP(port: port)
        for connection in [first, second] {
            try connection.send(try Self.query(1, "client01.valon.internal"))
            #expect(try connection.receive() != nil)
        }
        let third = try LoopbackTCP(port: port)
        try? third.send(try Self.query(2, "client01.valon.internal"))
        // Closed unanswered: the end of the stream, or a reset because the query was unread.
        #expect((try? third.receive(timeoutMilliseconds: 10_000)) == nil)
        // Idle: the server closes; a read sees the end of the stream, not a time-out.
        #expect(try first.read(1, timeoutMilliseconds: 10_000) == nil)
        var pollfd = pollfd(fd: first.descriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pollfd, 1, 0) == 1)
    }

    @Test("graceful shutdown of a ServiceGroup stops the server and frees its port")
    func gracefulShutdown() async throws {
        let server = Self.server()
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: Logger(label: "valon.test"))
        let task = Task { try await group.run() }
        let port = try await server.waitUntilBound()
        let udp = try LoopbackUDP()
        #expect(try udp.exchange(try Self.query(5, "client01.valon.internal"), with: port) != nil)
        await group.triggerGracefulShutdown()
        try await task.value
        #expect(throws: Never.self) { _ = try LoopbackUDP(port: port) }
    }
}
