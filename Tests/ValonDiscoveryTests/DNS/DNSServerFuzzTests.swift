import Foundation
import Logging
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// Random and mutated packets against the responder and the live server: nothing crashes,
/// every reply decodes, and after each burst a valid query still gets its answer.
@Suite("DNS server fuzzing")
struct DNSServerFuzzTests {
    typealias Fixture = DNSZoneFixture

    /// Valid queries to start mutations from.
    static let seeds: [[UInt8]] = {
        let names = ["client01.valon.internal", "_wireguard._udp.valon.internal", "{k1}._wireguard._udp.valon.internal",
                     "valon.internal", "example.com", "lan.laptop.valon.internal"]
        let types: [DNSRecordType] = [.a, .aaaa, .ptr, .srv, .txt, .soa, .any, .axfr]
        return names.flatMap { name in
            types.map { type in
                try! DNSMessage.query(id: 1, name: try! DNSName(Fixture.expand(name)), type: type,
                                      edns: type == .a ? nil : DNSEDNS()).encoded()
            }
        }
    }()

    /// A random packet: pure noise, or a seed with bytes flipped, cut, extended, its counts
    /// raised or a compression pointer to itself planted.
    static func mutant<G: RandomNumberGenerator>(_ generator: inout G) -> [UInt8] {
        var packet = seeds.randomElement(using: &generator)!
        switch Int.random(in: 0..<6, using: &generator) {
        case 0:
            return (0..<Int.random(in: 0..<600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case 1:
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                packet[Int.random(in: 0..<packet.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        case 2:
            packet.removeLast(Int.random(in: 0..<packet.count, using: &generator))
        case 3:
            packet += (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case 4:
            let field = 4 + 2 * Int.random(in: 0..<4, using: &generator)
            packet[field] = UInt8.random(in: 0...255, using: &generator)
            packet[field + 1] = UInt8.random(in: 0...255, using: &generator)
        default:
            packet.replaceSubrange(12..<14, with: [0xC0, 12])
        }
        if packet.count > 2 { packet[2] &= 0x7F }
        return packet
    }

    @Test("50,000 mutants through the pure responder: every reply decodes")
    func responder() throws {
        var generator = SystemRandomNumberGenerator()
        var zone = Fixture.zone
        zone.transferRecordsPerMessage = 5
        let responder = DNSZoneResponder(zone: zone)
        for _ in 0..<50_000 {
            let packet = Self.mutant(&generator)
            let transport: DNSTransport = Bool.random(using: &generator) ? .udp : .tcp
            let (outcome, _) = responder.respond(to: packet, client: IPAddress("127.0.0.1"), transport: transport,
                                                 snapshot: Fixture.snapshot)
            if case .reply(let messages) = outcome {
                for message in messages {
                    let decoded = try DNSMessage(decoding: message)
                    #expect(decoded.header.isResponse)
                    if transport == .udp { #expect(message.count <= 1232) }
                }
            }
        }
    }

    @Test("bursts of mutants over UDP and TCP; a valid query is answered after each burst")
    func liveServer() async throws {
        var logger = Logger(label: "valon.dns.fuzz")
        logger.logLevel = .critical
        let metrics = DiscoveryMetrics()
        let server = DNSServer(configuration: .init(zone: Fixture.zone, bindAddresses: [IPAddress("127.0.0.1")!], port: 0),
                               snapshot: { Fixture.snapshot }, metrics: metrics, logger: logger)
        let task = Task { try await server.run() }
        defer { task.cancel() }
        let port = try await server.waitUntilBound()
        let udp = try LoopbackUDP()
        var generator = SystemRandomNumberGenerator()
        let valid = try DNSMessage.query(id: 0xBEEF, name: DNSName("client01.valon.internal"), type: .a).encoded()
        for burst in 0..<20 {
            for _ in 0..<200 { try udp.send(Self.mutant(&generator), to: port) }
            for _ in 0..<5 {
                let tcp = try LoopbackTCP(port: port)
                for _ in 0..<10 {
                    if Bool.random(using: &generator) {
                        try? tcp.send(Self.mutant(&generator))
                    } else {
                        tcp.write(Self.mutant(&generator))
                    }
                }
            }
            // Drain whatever the mutants were answered with, then ask for real.
            while try udp.receive(timeoutMilliseconds: 50) != nil {}
            try udp.send(valid, to: port)
            var reply: [UInt8]?
            for _ in 0..<20 {
                guard let received = try udp.receive(timeoutMilliseconds: 2000)?.bytes else { break }
                if received.count >= 2, received[0] == 0xBE, received[1] == 0xEF {
                    reply = received
                    break
                }
            }
            let answer = try DNSMessage(decoding: try #require(reply, "burst \(burst): no UDP answer"))
            #expect(answer.header.id == 0xBEEF)
            #expect(answer.answers.map(\.description) == ["client01.valon.internal. 2 IN A 100.100.0.2"])
            let tcp = try LoopbackTCP(port: port)
            try tcp.send(valid)
            let framed = try #require(try tcp.receive(), "burst \(burst): no TCP answer")
            #expect(try DNSMessage(decoding: framed).answers.count == 1)
        }
    }
}
