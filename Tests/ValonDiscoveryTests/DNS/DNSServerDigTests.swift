import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The live server with a real etcd behind it and `dig` as the client.
@Suite("DNS server with dig and a real etcd", .tags(.process), .timeLimit(.minutes(10)))
struct DNSServerDigProcessTests {
    static let soaPrefix = "valon.internal. 2 IN SOA discovery.valon.internal. hostmaster.valon.internal. "

    @Test("every name form and record type, case-insensitive, NODATA vs NXDOMAIN, REFUSED outside")
    func names() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let peer = try await live.addPeer("client01", lan: "192.168.1.50:51820", nat: "203.0.113.10:40000")
        let label = peer.publicKey.dnsLabel
        try await live.waitUntilServed(peer)

        let a = try await live.dig(["client01.valon.internal", "A"])
        #expect(a.status == "NOERROR")
        #expect(a.flags.contains("aa") && !a.flags.contains("ra"))
        #expect(a.answer == ["client01.valon.internal. 2 IN A 100.100.0.2"])
        #expect(try await live.dig(["CliEnt01.VALON.internal", "A"]).answer == ["CliEnt01.VALON.internal. 2 IN A 100.100.0.2"])
        #expect(try await live.dig(["\(label.uppercased()).valon.internal", "A"]).answer
            == ["\(label.uppercased()).valon.internal. 2 IN A 100.100.0.2"])
        #expect(try await live.dig(["lan.\(label).valon.internal", "A"]).answer == ["lan.\(label).valon.internal. 2 IN A 192.168.1.50"])
        #expect(try await live.dig(["nated.client01.valon.internal", "A"]).answer == ["nated.client01.valon.internal. 2 IN A 203.0.113.10"])
        let srv = try await live.dig(["_wireguard._udp.client01.valon.internal", "SRV"])
        #expect(srv.answer == ["_wireguard._udp.client01.valon.internal. 2 IN SRV 0 0 51820 lan.client01.valon.internal.",
                               "_wireguard._udp.client01.valon.internal. 2 IN SRV 10 0 40000 nated.client01.valon.internal."])
        #expect(srv.additional == ["lan.client01.valon.internal. 2 IN A 192.168.1.50",
                                   "nated.client01.valon.internal. 2 IN A 203.0.113.10"])
        #expect(try await live.dig(["_wireguard._udp.valon.internal", "PTR"]).answer
            == ["_wireguard._udp.valon.internal. 2 IN PTR \(label)._wireguard._udp.valon.internal."])
        #expect(try await live.dig(["\(label)._wireguard._udp.valon.internal", "TXT"]).answer
            == [#"\#(label)._wireguard._udp.valon.internal. 2 IN TXT "txtvers=1" "pub=\#(peer.publicKey.base64)" "wg_ip=100.100.0.2" "alias=client01""#])
        #expect(try await live.dig(["discovery.valon.internal", "A"]).answer == ["discovery.valon.internal. 2 IN A 100.100.0.1"])
        #expect(try await live.dig(["valon.internal", "NS"]).answer == ["valon.internal. 2 IN NS discovery.valon.internal."])
        let soa = try await live.dig(["valon.internal", "SOA"])
        #expect(soa.answer.count == 1 && soa.answer[0].hasPrefix(Self.soaPrefix))

        let nodata = try await live.dig(["client01.valon.internal", "AAAA"])
        #expect(nodata.status == "NOERROR" && nodata.answer.isEmpty)
        #expect(nodata.authority.first?.hasPrefix(Self.soaPrefix) == true)
        let ent = try await live.dig(["_udp.valon.internal", "A"])
        #expect(ent.status == "NOERROR" && ent.answer.isEmpty)
        let nx = try await live.dig(["nobody.valon.internal", "A"])
        #expect(nx.status == "NXDOMAIN")
        #expect(nx.authority.first?.hasPrefix(Self.soaPrefix) == true)
        let refused = try await live.dig(["example.com", "A"])
        #expect(refused.status == "REFUSED" && !refused.flags.contains("ra"))
        #expect(try await live.dig(["+tcp", "client01.valon.internal", "A"]).answer == ["client01.valon.internal. 2 IN A 100.100.0.2"])

        let metrics = live.metrics.render()
        #expect(metrics.contains(#"valon_dns_queries_total{qtype="A",rcode="NOERROR"}"#))
        #expect(metrics.contains(#"valon_dns_queries_total{qtype="A",rcode="NXDOMAIN"} 1"#))
        #expect(metrics.contains("valon_registry_peers 1"))
    }

    @Test("a browse too large for UDP sets TC; over TCP it is whole")
    func truncation() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        for index in 0..<40 { try await live.addPeer("peer\(index)") }
        try await eventually("the store to hold 40 peers") { live.store.current?.peers.count == 40 }
        let udp = try await live.dig(["+ignore", "+noedns", "_wireguard._udp.valon.internal", "PTR"])
        #expect(udp.flags.contains("tc"))
        #expect(udp.answer.isEmpty)
        let tcp = try await live.dig(["+tcp", "_wireguard._udp.valon.internal", "PTR"])
        #expect(!tcp.flags.contains("tc"))
        #expect(tcp.answer.count == 40)
    }

    @Test("AXFR from an allowed address over TCP; refused elsewhere and over UDP")
    func transfer() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        for index in 0..<12 { try await live.addPeer("peer\(index)", lan: "192.168.1.\(index + 10):51820") }
        try await eventually("the store to hold 12 peers") { live.store.current?.peers.count == 12 }
        let allowed = try await live.dig(["-b", "127.0.0.1", "valon.internal", "AXFR"])
        #expect(allowed.answer.first?.hasPrefix(Self.soaPrefix) == true)
        #expect(allowed.answer.last == allowed.answer.first)
        #expect(allowed.answer.count(where: { $0.contains(" IN PTR ") }) == 12)
        #expect(allowed.answer.contains("peer3.valon.internal. 2 IN A 100.100.0.5"))
        let refused = try await live.dig(["-b", "127.0.0.2", "valon.internal", "AXFR"], at: "127.0.0.2")
        #expect(refused.output.contains("Transfer failed"))
        #expect(!refused.answer.contains { $0.contains(" IN SOA ") })
        let udp = try LoopbackUDP()
        let query = try DNSMessage.query(id: 9, name: DNSName("valon.internal"), type: .axfr).encoded()
        let reply = try DNSMessage(decoding: try #require(try udp.exchange(query, with: live.port)))
        #expect(reply.responseCode == .refused)
        #expect(reply.answers.isEmpty)
    }

    @Test("a registry write changes the SOA serial and the answers")
    func serialFollowsWrites() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let before = try await live.dig(["+short", "valon.internal", "SOA"]).answer
        let peer = try await live.addPeer("fresh", lan: "10.0.0.5:51820")
        try await eventually("the SOA to change") { try await live.dig(["+short", "valon.internal", "SOA"]).answer != before }
        #expect(try await live.dig(["fresh.valon.internal", "A"]).answer == ["fresh.valon.internal. 2 IN A \(peer.wgIP)"])
        let serial = try await live.dig(["+short", "valon.internal", "SOA"]).answer.first?.split(separator: " ")[2]
        #expect(serial.map(String.init) == live.store.current.map { String($0.serial) })
    }

    @Test("with etcd stopped the last snapshot keeps answering; the store says unhealthy")
    func etcdDown() async throws {
        let live = try await DNSLiveServer.start(syncInterval: .milliseconds(200))
        defer { live.stop() }
        let peer = try await live.addPeer("survivor", nat: "198.51.100.7:51820")
        try await live.waitUntilServed(peer)
        #expect(live.store.isEtcdHealthy)
        live.etcd.stop(0)
        try await eventually("the store to say etcd is unhealthy") { !live.store.isEtcdHealthy }
        #expect(live.metrics.etcdErrors > 0)
        #expect(try await live.dig(["survivor.valon.internal", "A"]).answer == ["survivor.valon.internal. 2 IN A 100.100.0.2"])
        #expect(try await live.dig(["nated.survivor.valon.internal", "A"]).answer == ["nated.survivor.valon.internal. 2 IN A 198.51.100.7"])
        try await live.etcd.restart(0)
        try await eventually("the store to say etcd is healthy") { live.store.isEtcdHealthy }
    }
}
