import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// Forwarding of names outside the zone (the seed's `.:53 { forward … }`), with a real NSD
/// as the upstream and `dig` as the client.
@Suite("DNS forwarding to an upstream (NSD) with dig", .tags(.process), .timeLimit(.minutes(10)))
struct DNSForwardingProcessTests {
    static let zoneText = """
        $ORIGIN example.test.
        $TTL 300
        @ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 300
        @ IN NS ns.example.test.
        ns IN A 192.0.2.53
        www IN A 192.0.2.80
        """ + "\n" + (0..<40).map { "big IN TXT \"record \($0) of a set too large for one UDP answer\"" }
        .joined(separator: "\n")

    static func upstream(_ nsd: NSDServer, _ address: String = "127.0.0.1") -> Endpoint {
        Endpoint(address: IPAddress(address)!, port: nsd.port)
    }

    /// NSD serving `example.test`, and a live server forwarding to it.
    static func serverForwardingToNSD() async throws -> (NSDServer, DNSLiveServer) {
        let nsd = try NSDServer(zone: "example.test", text: zoneText)
        do {
            return (nsd, try await DNSLiveServer.start(forwarders: [upstream(nsd)]))
        } catch {
            nsd.stop()
            throw error
        }
    }

    @Test("names outside the zone are answered by the upstream, with RA, over UDP and TCP; TC goes on over TCP")
    func forwarding() async throws {
        let (nsd, live) = try await Self.serverForwardingToNSD()
        defer { live.stop(); nsd.stop() }
        let forwarded = try await live.dig(["www.example.test", "A"])
        #expect(forwarded.status == "NOERROR", "\(forwarded.output)")
        #expect(forwarded.flags.contains("ra"))
        #expect(forwarded.answer == ["www.example.test. 300 IN A 192.0.2.80"])
        let overTCP = try await live.dig(["+tcp", "missing.example.test", "A"])
        #expect(overTCP.status == "NXDOMAIN", "\(overTCP.output)")
        #expect(overTCP.flags.contains("ra"))
        let truncated = try await live.dig(["+ignore", "+bufsize=512", "big.example.test", "TXT"])
        #expect(truncated.flags.contains("tc"), "\(truncated.output)")
        let big = try await live.dig(["+tcp", "big.example.test", "TXT"])
        #expect(big.answer.count == 40, "\(big.output)")
        #expect(big.flags.contains("ra") && !big.flags.contains("tc"))
        let own = try await live.dig(["discovery.valon.internal", "A"])
        #expect(own.flags.contains("aa") && own.flags.contains("ra"))
        #expect(live.metrics.dnsQueries(type: .a, rcode: .nxDomain) == 1)
    }

    @Test("the first forwarded query is answered while every cooperative thread of the process is blocked")
    func forwardingWithoutCooperativeThreads() async throws {
        let (nsd, live) = try await Self.serverForwardingToNSD()
        defer { live.stop(); nsd.stop() }
        let port = live.port
        let (udp, tcp) = try await withCooperativePoolBlocked {
            (try DigResult.run(["@127.0.0.1", "-p", String(port), "www.example.test", "A"]),
             try DigResult.run(["@127.0.0.1", "-p", String(port), "+tcp", "big.example.test", "TXT"]))
        }
        #expect(udp.answer == ["www.example.test. 300 IN A 192.0.2.80"], "\(udp.output)")
        #expect(tcp.answer.count == 40, "\(tcp.output)")
    }

    @Test("an upstream that never answers is skipped after the timeout; the next one answers")
    func silentUpstreamFallsThrough() async throws {
        let nsd = try NSDServer(zone: "example.test", text: Self.zoneText)
        defer { nsd.stop() }
        let silent = try LoopbackUDP()
        let live = try await DNSLiveServer.start(
            forwarders: [Endpoint(address: IPAddress("127.0.0.1")!, port: silent.port), Self.upstream(nsd, "::1")],
            forwardTimeout: .milliseconds(500))
        defer { live.stop() }
        let answer = try await live.dig(["www.example.test", "A"])
        #expect(answer.answer == ["www.example.test. 300 IN A 192.0.2.80"], "\(answer.output)")
        let asked = try silent.receive(timeoutMilliseconds: 0)
        #expect(asked != nil, "the silent upstream was asked first")
    }

    @Test("with no upstream answering the client gets SERVFAIL with RA, its own ID and its EDNS")
    func noUpstreamAnswers() async throws {
        let silent = try LoopbackUDP()
        let live = try await DNSLiveServer.start(
            forwarders: [Endpoint(address: IPAddress("127.0.0.1")!, port: silent.port)], forwardTimeout: .milliseconds(300))
        defer { live.stop() }
        let failed = try await live.dig(["www.example.test", "A"])
        #expect(failed.status == "SERVFAIL", "\(failed.output)")
        #expect(failed.flags.contains("ra"))
        #expect(failed.output.contains("; EDNS: version: 0"))
        let overTCP = try await live.dig(["+tcp", "www.example.test", "A"])
        #expect(overTCP.status == "SERVFAIL", "\(overTCP.output)")
    }
}
