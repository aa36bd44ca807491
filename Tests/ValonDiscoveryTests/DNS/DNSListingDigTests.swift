import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// `_valon._tcp.<zone> SRV`, the original plugin's DNS-SD listing of every peer (docs/ARCHITECTURE.md §3),
/// on the live server with a real etcd, asked with `dig`; NSD as a secondary that transfers
/// the zone from it answers the same.
@Suite("DNS _valon._tcp listing with dig", .tags(.process), .timeLimit(.minutes(10)))
struct DNSListingDigProcessTests {
    static let soaPrefix = "valon.internal. 2 IN SOA discovery.valon.internal. hostmaster.valon.internal. "

    @Test("one SRV per peer to its key label, the WireGuard IP in the additional section; NODATA for other types")
    func listing() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let first = try await live.addPeer("client01", lan: "192.168.1.50:51820", nat: "203.0.113.10:40000")
        let second = try await live.addPeer("laptop")
        try await live.waitUntilServed(first)
        try await live.waitUntilServed(second)
        let peers = [first, second].sorted { $0.publicKey.base64 < $1.publicKey.base64 }

        for transport in [[], ["+tcp"]] {
            let srv = try await live.dig(transport + ["_valon._tcp.valon.internal", "SRV"])
            #expect(srv.status == "NOERROR")
            #expect(srv.flags.contains("aa") && !srv.flags.contains("tc"))
            #expect(srv.answer == peers.map { "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 \($0.publicKey.dnsLabel).valon.internal." })
            #expect(srv.additional == peers.map { "\($0.publicKey.dnsLabel).valon.internal. 2 IN A \($0.wgIP)" })
        }
        // What a script of the original does with it: each target's A record is the peer.
        let short = try await live.dig(["+short", "_valon._tcp.valon.internal", "SRV"])
        #expect(short.answer == peers.map { "0 0 0 \($0.publicKey.dnsLabel).valon.internal." })
        for (line, peer) in zip(short.answer, peers) {
            let target = String(line.split(separator: " ")[3])
            #expect(try await live.dig(["+short", target, "A"]).answer == [peer.wgIP.description])
        }
        for type in ["A", "TXT", "PTR", "AAAA"] {
            let nodata = try await live.dig(["_valon._tcp.valon.internal", type])
            #expect(nodata.status == "NOERROR", "\(type)")
            #expect(nodata.answer.isEmpty, "\(type)")
            #expect(nodata.authority.first?.hasPrefix(Self.soaPrefix) == true, "\(type)")
        }
        let ent = try await live.dig(["_tcp.valon.internal", "SRV"])
        #expect(ent.status == "NOERROR" && ent.answer.isEmpty)
        #expect(try await live.dig(["_other._tcp.valon.internal", "SRV"]).status == "NXDOMAIN")

        // In the AXFR, next to the rest of the zone.
        let axfr = try await live.dig(["-b", "127.0.0.1", "valon.internal", "AXFR"])
        #expect(axfr.answer.filter { $0.hasPrefix("_valon._tcp.") } == srv(peers))
        for peer in peers {
            #expect(axfr.answer.contains("\(peer.publicKey.dnsLabel).valon.internal. 2 IN A \(peer.wgIP)"))
        }
    }

    func srv(_ peers: [Peer]) -> [String] {
        peers.map { "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 \($0.publicKey.dnsLabel).valon.internal." }
    }

    @Test("752 peers fit over TCP, 753 and 2,000 do not: TC and no answer, exactly like the PTR browse; the AXFR holds all")
    func large() async throws {
        let live = try await DNSLiveServer.start(network: IPNetwork("100.100.0.0/16")!)
        defer { live.stop() }
        var peers = try await live.addPeers(752)

        let fits = try await live.dig(["+tcp", "_valon._tcp.valon.internal", "SRV"])
        #expect(fits.status == "NOERROR")
        #expect(!fits.flags.contains("tc"))
        #expect(Set(fits.answer) == Set(srv(peers)))
        #expect(fits.answer.count == 752)
        let overUDP = try await live.dig(["+ignore", "_valon._tcp.valon.internal", "SRV"])
        #expect(overUDP.flags.contains("tc"))
        #expect(overUDP.answer.isEmpty)

        peers += try await live.addPeers(1, first: 752)
        let over = try await live.dig(["+tcp", "_valon._tcp.valon.internal", "SRV"])
        #expect(over.status == "NOERROR")
        #expect(over.flags.contains("tc") && over.flags.contains("aa"))
        #expect(over.answer.isEmpty && over.additional.isEmpty)

        peers += try await live.addPeers(2000 - 753, first: 753)
        #expect(live.store.current?.peers.count == 2000)
        for (name, type) in [("_valon._tcp.valon.internal", "SRV"), ("_wireguard._udp.valon.internal", "PTR")] {
            let tcp = try await live.dig(["+tcp", name, type])
            #expect(tcp.status == "NOERROR", "\(name)")
            #expect(tcp.flags.contains("tc") && tcp.flags.contains("aa"), "\(name)")
            #expect(tcp.answer.isEmpty && tcp.authority.isEmpty && tcp.additional.isEmpty, "\(name): \(tcp.output.prefix(2000))")
            let udp = try await live.dig(["+ignore", name, type])
            #expect(udp.status == "NOERROR", "\(name)")
            #expect(udp.flags.contains("tc"), "\(name)")
            #expect(udp.answer.isEmpty, "\(name)")
        }

        // The transfer carries every listing record and every target's address.
        let axfr = try await live.dig(["-b", "127.0.0.1", "valon.internal", "AXFR"])
        #expect(axfr.answer.first?.hasPrefix(Self.soaPrefix) == true)
        #expect(axfr.answer.last == axfr.answer.first)
        let listed = axfr.answer.filter { $0.hasPrefix("_valon._tcp.") }
        #expect(listed.count == 2000)
        #expect(Set(listed) == Set(srv(peers)))
        let lines = Set(axfr.answer)
        #expect(peers.allSatisfy { lines.contains("\($0.publicKey.dnsLabel).valon.internal. 2 IN A \($0.wgIP)") })
    }

    @Test("NSD as a secondary transfers the zone and answers the listing, the browse and the peers as we do")
    func nsdSecondary() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        for index in 0..<12 {
            try await live.addPeer("peer\(index)", lan: index % 2 == 0 ? "192.168.1.\(index + 10):51820" : nil,
                                   nat: index % 3 == 0 ? "203.0.113.\(index + 1):4000\(index % 10)" : nil)
        }
        try await eventually("the store to hold 12 peers") { live.store.current?.peers.count == 12 }
        let nsd = try NSDServer(zones: [.secondary(name: "valon.internal", primary: "127.0.0.1@\(live.port)")])
        defer { nsd.stop() }
        let label = try #require(live.store.current).peers[3].publicKey.dnsLabel
        let questions = [
            ["valon.internal", "SOA"], ["_valon._tcp.valon.internal", "SRV"], ["_valon._tcp.valon.internal", "TXT"],
            ["_tcp.valon.internal", "SRV"], ["_other._tcp.valon.internal", "SRV"], ["_wireguard._udp.valon.internal", "PTR"],
            ["\(label).valon.internal", "A"], ["_wireguard._udp.peer0.valon.internal", "SRV"],
            ["\(label)._wireguard._udp.valon.internal", "TXT"], ["lan.peer2.valon.internal", "A"],
        ]
        for question in questions {
            let ours = try await live.dig(["+tcp"] + question)
            let theirs = try DigResult.run(["@127.0.0.1", "-p", String(nsd.port), "+tcp"] + question)
            #expect(ours.status == theirs.status, "\(question)")
            #expect(ours.answer.sorted() == theirs.answer.sorted(), "\(question)")
            // NSD also puts the apex NS (and its address) into positive answers; the zone's
            // content is what is compared.
            let notNS = { (line: String) in !line.contains(" IN NS ") && !line.hasPrefix("discovery.valon.internal. ") }
            #expect(ours.authority.sorted() == theirs.authority.filter(notNS).sorted(), "\(question)")
            #expect(ours.additional.sorted() == theirs.additional.filter(notNS).sorted(), "\(question): \(theirs.output)")
        }
        let listing = try DigResult.run(["@127.0.0.1", "-p", String(nsd.port), "_valon._tcp.valon.internal", "SRV"])
        #expect(listing.answer.count == 12)
    }
}
