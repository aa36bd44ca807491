import Foundation
import Testing
@testable import ValonKit

/// The stub resolver against a real NSD serving ``DNSTestZones/resolver`` on a free
/// loopback port (UDP and TCP, IPv4 and IPv6), and against test-owned sockets that
/// stay silent or answer with decoys.
@Suite(.tags(.process), .timeLimit(.minutes(10))) struct DNSResolverProcessTests {
    let nsd: NSDServer
    let zone = try! DNSName(DNSTestZones.resolverZone)

    init() throws {
        nsd = try NSDServer(zones: [.init(name: DNSTestZones.resolverZone, text: DNSTestZones.resolver)])
    }

    func resolver(ipv6: Bool = false, _ adjust: (inout DNSResolver.Configuration) -> Void = { _ in }) -> DNSResolver {
        var configuration = DNSResolver.Configuration(
            server: Endpoint(address: ipv6 ? IPAddress("::1")! : IPAddress("127.0.0.1")!, port: nsd.port))
        adjust(&configuration)
        return DNSResolver(configuration: configuration)
    }

    func name(_ relative: String) throws -> DNSName { try DNSName(relative + "." + DNSTestZones.resolverZone) }

    func answers(_ reply: DNSMessage) -> [String] { reply.answers.map(DNSTestZones.presentation).sorted() }

    @Test(arguments: [
        ("www", DNSRecordType.a, ["www.resolver.test. 300 in a 192.0.2.10"]),
        ("www", .aaaa, ["www.resolver.test. 300 in aaaa 2001:db8::10"]),
        ("_wireguard._udp", .ptr, ["_wireguard._udp.resolver.test. 300 in ptr peer1._wireguard._udp.resolver.test.",
                                   "_wireguard._udp.resolver.test. 300 in ptr peer2._wireguard._udp.resolver.test."]),
        ("peer1._wireguard._udp", .srv, ["peer1._wireguard._udp.resolver.test. 300 in srv 0 0 51820 lan.peer1.resolver.test.",
                                         "peer1._wireguard._udp.resolver.test. 300 in srv 10 0 51821 nated.peer1.resolver.test."]),
        ("peer1._wireguard._udp", .txt, ["peer1._wireguard._udp.resolver.test. 300 in txt \"txtvers=1\" \"alias=peer1\""]),
        ("mIxEdCaSe", .a, ["mixedcase.resolver.test. 300 in a 192.0.2.11"]),
    ])
    func answersMatchTheZone(owner: String, type: DNSRecordType, expected: [String]) async throws {
        for ipv6 in [false, true] {
            let reply = try await resolver(ipv6: ipv6).query(try name(owner), type)
            #expect(reply.header.responseCode == .noError)
            #expect(reply.header.isAuthoritative)
            #expect(answers(reply) == expected)
            // The question comes back as asked, case included (RFC 4343 §4.1).
            #expect(reply.questions[0].name.description == "\(owner).resolver.test.")
        }
        // dig agrees with what the resolver returned.
        let dig = try Command.check(["dig", "+noall", "+answer", "-p", "\(nsd.port)", "@127.0.0.1", "\(owner).resolver.test.", "\(type)"])
        #expect(DNSTestZones.normalizeDigLines(dig).sorted() == expected)
    }

    @Test func theZoneSerialComesFromItsSOA() async throws {
        let soa = try await resolver().startOfAuthority(of: try DNSName("RESOLVER.test."))
        #expect(soa.serial == 2026112601)
        #expect(soa.primaryServer == (try name("ns1")))
        let error = await #expect(throws: DNSError.self) {
            try await resolver().startOfAuthority(of: try name("www"))
        }
        #expect(error?.code == .noAnswer)
        #expect(error?.message.contains("no SOA for www.resolver.test.") == true)
    }

    @Test func nxdomainCarriesTheSOA() async throws {
        let reply = try await resolver().query(try name("nope"), .a)
        #expect(reply.header.responseCode == .nxDomain)
        #expect(reply.answers.isEmpty)
        #expect(reply.authorities.map(\.type) == [.soa])
    }

    @Test func nodataIsNoErrorWithoutAnswers() async throws {
        let reply = try await resolver().query(try name("www"), .txt)
        #expect(reply.header.responseCode == .noError)
        #expect(reply.answers.isEmpty)
        #expect(reply.authorities.map(\.type) == [.soa])
    }

    @Test func aNameOutsideTheZoneIsRefused() async throws {
        let error = await #expect(throws: DNSError.self) {
            try await resolver().query(try DNSName("example.com."), .a)
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("127.0.0.1:\(nsd.port)") == true)
    }

    @Test(arguments: ["bigtxt", "many"])
    func aTruncatedUDPAnswerIsAskedAgainOverTCP(owner: String) async throws {
        let type: DNSRecordType = owner == "bigtxt" ? .txt : .a
        // The oracle: without EDNS, NSD truncates this answer over UDP.
        let udp = try Command.check(["dig", "+noedns", "+ignore", "+notcp", "-p", "\(nsd.port)", "@127.0.0.1", "\(owner).resolver.test.", "\(type)"])
        #expect(udp.contains(" tc"))
        let reply = try await resolver { $0.ednsPayloadSize = nil }.query(try name(owner), type)
        #expect(!reply.header.isTruncated)
        if owner == "bigtxt" {
            #expect(reply.answers.map(\.data) == [.txt(DNSTestZones.bigText.map { Array($0.utf8) })])
        } else {
            #expect(Set(reply.answers.map { "\($0.data)" }) == Set(DNSTestZones.manyAddresses.map { "\(DNSRecordData.a(IPv4Address($0)!))" }))
        }
    }

    @Test(arguments: [DNSResolver.Configuration.Transport.udp, .tcp])
    func fiveHundredPipelinedQueries(transport: DNSResolver.Configuration.Transport) async throws {
        let hosts = Array(0..<500).shuffled()
        let questions = try hosts.map { DNSQuestion(name: try name("host\($0)"), type: .a, dnsClass: .in) }
        let replies = try await resolver { $0.transport = transport }.resolve(questions)
        #expect(replies.count == 500)
        for (host, reply) in zip(hosts, replies) {
            #expect(reply.answers.map(\.data) == [.a(IPv4Address(DNSTestZones.hostAddress(host))!)])
        }
    }

    @Test func pipelinedQueriesOverIPv6WithASmallWindow() async throws {
        let questions = try (0..<200).map { DNSQuestion(name: try name("host\($0)"), type: .a, dnsClass: .in) }
            + [DNSQuestion(name: try name("nope"), type: .a, dnsClass: .in)]
        let replies = try await resolver(ipv6: true) { $0.maxOutstandingQueries = 8 }.resolve(questions)
        #expect(replies.prefix(200).map { $0.answers.map(\.data) } == (0..<200).map { [.a(IPv4Address(DNSTestZones.hostAddress($0))!)] })
        #expect(replies[200].header.responseCode == .nxDomain)
    }

    @Test func pipelinedTCPQueriesGoOutAgainWhenTheServerCloses() async throws {
        // NSD closes a TCP connection after 40 queries: the rest go out on new connections.
        let limited = try NSDServer(zones: [.init(name: DNSTestZones.resolverZone, text: DNSTestZones.resolver)],
                                        extraServerOptions: ["tcp-query-count: 40"])
        defer { limited.stop() }
        var configuration = DNSResolver.Configuration(server: Endpoint(limited.endpointText)!)
        configuration.transport = .tcp
        let questions = try (0..<300).map { DNSQuestion(name: try name("host\($0)"), type: .a, dnsClass: .in) }
        let replies = try await DNSResolver(configuration: configuration).resolve(questions)
        #expect(replies.map { $0.answers.map(\.data) } == (0..<300).map { [.a(IPv4Address(DNSTestZones.hostAddress($0))!)] })
    }

    @Test func aZoneNSDCouldNotLoadIsAServerFailure() async throws {
        // NSD answers SERVFAIL for a configured zone whose file does not parse.
        let broken = try NSDServer(zones: [
            .init(name: DNSTestZones.resolverZone, text: DNSTestZones.resolver),
            .init(name: "broken.test.", text: "this is not a zone file\n", checked: false),
        ])
        defer { broken.stop() }
        let resolver = DNSResolver(server: Endpoint(broken.endpointText)!)
        let error = await #expect(throws: DNSError.self) {
            try await resolver.query(try DNSName("www.broken.test."), .a)
        }
        #expect(error?.code == .serverFailure)
        #expect(error?.message.contains("SERVFAIL") == true)
        #expect(error?.message.contains(broken.endpointText) == true)
    }

    @Test func tcpTransportAnswersAsUDPDoes() async throws {
        let reply = try await resolver { $0.transport = .tcp }.query(try name("www"), .aaaa)
        #expect(answers(reply) == ["www.resolver.test. 300 in aaaa 2001:db8::10"])
    }
}

/// The resolver against sockets the test owns: a silent one, and a responder that
/// sends decoys before (or instead of) the real reply.
@Suite struct DNSResolverFilteringTests {
    @Test func silenceTimesOutNamingTheServerAndTries() async throws {
        let silent = FakeDNSPeers.boundUDPSocket()
        defer { close(silent.descriptor) }
        var configuration = DNSResolver.Configuration(server: Endpoint("127.0.0.1:\(silent.port)")!)
        configuration.timeout = .milliseconds(200)
        configuration.attempts = 2
        let error = await #expect(throws: DNSError.self) {
            try await DNSResolver(configuration: configuration).query(try DNSName("quiet.test."), .a)
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("127.0.0.1:\(silent.port)") == true)
        #expect(error?.message.contains("2 tries") == true)
        // The same query (same ID) was sent twice from one socket.
        let first = FakeDNSPeers.drain(silent.descriptor)
        let queries = try first.map { try DNSMessage(decoding: $0.bytes) }
        #expect(queries.count == 2)
        #expect(Set(queries.map(\.header.id)).count == 1)
        #expect(Set(first.map(\.port)).count == 1)
        // Further queries come from fresh sockets: other source ports (RFC 5452 §9.2).
        var ports: Set<UInt16> = Set(first.map(\.port))
        configuration.attempts = 1
        for _ in 0..<3 {
            _ = try? await DNSResolver(configuration: configuration).query(try DNSName("quiet.test."), .a)
            ports.formUnion(FakeDNSPeers.drain(silent.descriptor).map(\.port))
        }
        #expect(ports.count > 1)
    }

    @Test func decoysAreIgnoredUntilTheRealReply() async throws {
        let responder = SpoofingUDPResponder(answer: IPv4Address("192.0.2.1")!, decoy: IPv4Address("203.0.113.66")!)
        defer { responder.stop() }
        let resolver = DNSResolver(server: Endpoint("127.0.0.1:\(responder.port)")!)
        let reply = try await resolver.query(try DNSName("Spoof.Test."), .a)
        #expect(reply.answers.map(\.data) == [.a(responder.answer)])
        let replies = try await resolver.resolve((0..<20).map { DNSQuestion(name: try DNSName("h\($0).spoof.test."), type: .a, dnsClass: .in) })
        #expect(replies.allSatisfy { $0.answers.map(\.data) == [.a(responder.answer)] })
    }

    @Test func onlyDecoysEndInAnErrorThatSaysWhy() async throws {
        let responder = SpoofingUDPResponder(answer: IPv4Address("192.0.2.1")!, decoy: IPv4Address("203.0.113.66")!, honest: false)
        defer { responder.stop() }
        var configuration = DNSResolver.Configuration(server: Endpoint("127.0.0.1:\(responder.port)")!)
        configuration.timeout = .milliseconds(200)
        configuration.attempts = 2
        let error = await #expect(throws: DNSError.self) {
            try await DNSResolver(configuration: configuration).query(try DNSName("spoof.test."), .a)
        }
        // Replies with the query's ID came but did not answer it.
        #expect(error?.code == .malformedReply)
        #expect(error?.message.contains("127.0.0.1:\(responder.port)") == true)
    }

    @Test(arguments: [DNSResolver.Configuration.Transport.udp, .tcp])
    func aClosedPortIsANetworkErrorWithItsCause(transport: DNSResolver.Configuration.Transport) async throws {
        // A port that was free a moment ago: the kernel answers with ICMP port unreachable
        // (UDP, seen by the connected socket) or a RST (TCP).
        let (descriptor, port) = FakeDNSPeers.boundUDPSocket()
        close(descriptor)
        var configuration = DNSResolver.Configuration(server: Endpoint("127.0.0.1:\(port)")!)
        configuration.transport = transport
        configuration.timeout = .seconds(5)
        let error = await #expect(throws: DNSError.self) {
            try await DNSResolver(configuration: configuration).query(try DNSName("closed.test."), .a)
        }
        #expect(error?.code == .network)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(error?.cause.map { "\($0)" }?.contains("Connection refused") == true, "\(String(describing: error))")
    }

    @Test func cancellationStopsAWait() async throws {
        let silent = FakeDNSPeers.boundUDPSocket()
        defer { close(silent.descriptor) }
        var configuration = DNSResolver.Configuration(server: Endpoint("127.0.0.1:\(silent.port)")!)
        configuration.timeout = .seconds(30)
        let task = Task { try await DNSResolver(configuration: configuration).query(try DNSName("quiet.test."), .a) }
        // Wait (without holding a thread of the cooperative pool) until the query is out.
        var sent = false
        for _ in 0..<600 where !sent {
            try await Task.sleep(for: .milliseconds(50))
            sent = FakeDNSPeers.waitReadable(silent.descriptor, milliseconds: 0)
        }
        #expect(sent)
        task.cancel()
        let result = await task.result
        guard case .failure(let error as DNSError) = result else {
            Issue.record("a cancelled query ended with \(result)")
            return
        }
        #expect(error.code == .cancelled)
    }
}
