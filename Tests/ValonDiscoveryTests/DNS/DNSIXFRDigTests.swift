import Foundation
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// IXFR (RFC 1995) from the live server with a real etcd behind it, `dig IXFR=<serial>` as
/// the client and `dig AXFR` before and after as the oracle: what the IXFR deletes is what
/// only the old AXFR had, what it adds is what only the new one has. Then an NSD secondary
/// that asks IXFR applies our stream and serves the same zone.
@Suite("DNS IXFR with dig, NSD and a real etcd", .tags(.process), .timeLimit(.minutes(10)))
struct DNSIXFRDigProcessTests {
    /// The zone's records as `dig AXFR` prints them, without the SOAs.
    static func axfr(_ live: DNSLiveServer) async throws -> Set<String> {
        let result = try await live.dig(["valon.internal", "AXFR"])
        return Set(result.answer.filter { !$0.contains(" IN SOA ") })
    }

    /// An IXFR answer split at its SOAs: the serials of the SOAs in order, and the records
    /// between them.
    struct Sequences {
        var soaSerials: [UInt32] = []
        var parts: [[String]] = [[]]

        init(_ records: [String]) {
            for record in records {
                if record.contains(" IN SOA "), let serial = record.split(separator: " ").dropFirst(6).first.flatMap({ UInt32($0) }) {
                    soaSerials.append(serial)
                    parts.append([])
                } else {
                    parts[parts.count - 1].append(record)
                }
            }
        }

        /// For one condensed difference `SOA(new) SOA(old) deleted SOA(new) added SOA(new)`.
        var deleted: Set<String> { parts.count > 2 ? Set(parts[2]) : [] }
        var added: Set<String> { parts.count > 3 ? Set(parts[3]) : [] }
    }

    static func serial(_ live: DNSLiveServer) throws -> UInt32 {
        try #require(live.store.current?.serial)
    }

    /// Waits until the store serves a serial other than `serial`, and returns it.
    static func nextSerial(_ live: DNSLiveServer, after serial: UInt32) async throws -> UInt32 {
        let store = live.store
        try await eventually("a new serial after \(serial)") { store.current.map { $0.serial != serial } ?? false }
        return try Self.serial(live)
    }

    /// Changes the registry with `change`, waits until the store serves what `served` looks
    /// for (a change may be several writes), then checks `dig IXFR=<before>` against the AXFRs.
    static func checkDifference(_ live: DNSLiveServer, _ what: String, transport: [String] = [],
                                served: @escaping @Sendable (RegistrySnapshot) -> Bool,
                                change: () async throws -> Void) async throws {
        let before = try Self.serial(live)
        let oldZone = try await axfr(live)
        try await change()
        let store = live.store
        try await eventually("the store to serve the change (\(what))") { store.current.map(served) ?? false }
        let after = try Self.serial(live)
        let newZone = try await axfr(live)
        let ixfr = try await live.dig(transport + ["valon.internal", "IXFR=\(before)"])
        let sequences = Sequences(ixfr.answer)
        #expect(sequences.soaSerials == [after, before, after, after], "\(what): one condensed difference\n\(ixfr.output)")
        #expect(sequences.deleted == oldZone.subtracting(newZone), "\(what): deleted\n\(ixfr.output)")
        #expect(sequences.added == newZone.subtracting(oldZone), "\(what): added\n\(ixfr.output)")
        #expect(!sequences.deleted.isEmpty || !sequences.added.isEmpty, "\(what): the change shows")
    }

    @Test("an add, an endpoint change, a remove and several changes condensed, each against dig AXFR; over UDP too")
    func differences() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let first = try await live.addPeer("client01", lan: "192.168.1.50:51820")
        try await live.waitUntilServed(first)
        var second: Peer?
        try await Self.checkDifference(live, "add", served: { $0.peer(named: "laptop")?.natEndpoint != nil }) {
            second = try await live.addPeer("laptop", nat: "203.0.113.20:40000")
        }
        let key = first.publicKey
        try await Self.checkDifference(live, "endpoint change", served: { $0.peer(key: key)?.natEndpoint == Endpoint("203.0.113.10:40001") }) {
            _ = try await live.registry.setEndpoint(.nat, to: Endpoint("203.0.113.10:40001"), of: key)
        }
        try await Self.checkDifference(live, "endpoint change over UDP", transport: ["+notcp"],
                                       served: { $0.peer(key: key)?.lanEndpoint == Endpoint("192.168.1.51:51820") }) {
            _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.51:51820"), of: key)
        }
        try await Self.checkDifference(live, "remove", served: { $0.peer(named: "laptop") == nil }) {
            _ = try await live.registry.remove(key: try #require(second).publicKey)
        }
        try await Self.checkDifference(live, "several changes condensed", served: {
            $0.peer(key: key)?.lanEndpoint == nil && $0.peer(named: "printer")?.lanEndpoint == Endpoint("192.168.1.61:51820")
        }) {
            let third = try await live.addPeer("printer")
            _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.60:51820"), of: third.publicKey)
            _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.61:51820"), of: third.publicKey)
            _ = try await live.registry.setEndpoint(.lan, to: nil, of: key)
        }
        let metrics = live.metrics.render()
        #expect(metrics.contains(#"valon_dns_ixfr_total{answer="difference"} 5"#), "\(metrics)")
    }

    @Test("the current or a future serial gets the SOA alone; a client outside axfr_allow is refused")
    func currentFutureAndRefused() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        try await live.waitUntilServed(try await live.addPeer("client01"))
        let serial = try Self.serial(live)
        for asked in [serial, serial &+ 1000] {
            let answer = try await live.dig(["valon.internal", "IXFR=\(asked)"])
            #expect(Sequences(answer.answer).soaSerials == [serial], "IXFR=\(asked)\n\(answer.output)")
            #expect(answer.answer.count == 1)
        }
        // (Over UDP the refusal is in the pure responder's tests: dig prints nothing for it.)
        let refused = try await live.dig(["-b", "127.0.0.2", "valon.internal", "IXFR=\(serial &- 1)"], at: "127.0.0.2")
        #expect(refused.output.contains("REFUSED") || refused.output.contains("Transfer failed"), "\(refused.output)")
        #expect(refused.answer.isEmpty)
        #expect(live.metrics.render().contains(#"valon_dns_queries_total{qtype="IXFR",rcode="REFUSED"} 1"#))
    }

    @Test("a serial the history dropped is read from etcd at its revision; once etcd compacted it, the whole zone")
    func etcdHistoryAndCompaction() async throws {
        // A history of one snapshot: every earlier serial must come from etcd.
        let live = try await DNSLiveServer.start(history: RegistryHistory(maximumCount: 1, maximumBytes: 64 << 20))
        defer { live.stop() }
        let peer = try await live.addPeer("client01", lan: "192.168.1.50:51820")
        try await live.waitUntilServed(peer)
        let old = try Self.serial(live)
        let oldZone = try await Self.axfr(live)
        _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.99:51820"), of: peer.publicKey)
        let new = try await Self.nextSerial(live, after: old)
        #expect(!live.store.history.serials.contains(old), "the history dropped the old serial")
        // This answer waits for an etcd read: a longer timeout than dig's 3 s on a loaded machine.
        let fromEtcd = Sequences(try await live.dig(["+time=20", "valon.internal", "IXFR=\(old)"]).answer)
        let newZone = try await Self.axfr(live)
        #expect(fromEtcd.soaSerials == [new, old, new, new])
        #expect(fromEtcd.deleted == oldZone.subtracting(newZone) && fromEtcd.added == newZone.subtracting(oldZone))

        // Compact etcd past the old revision; a fresh node (empty history) must then answer whole.
        _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.98:51820"), of: peer.publicKey)
        let newest = try await Self.nextSerial(live, after: new)
        try live.etcd.etcdctl(["compact", String(newest)])
        let whole = try await live.dig(["+time=20", "valon.internal", "IXFR=\(new)"])
        let records = whole.answer
        #expect(records.first?.contains(" IN SOA ") == true && records.last?.contains(" IN SOA ") == true)
        #expect(records.count > 4 && !records[1].contains(" IN SOA "), "AXFR-style: the second record is not an SOA\n\(whole.output)")
        #expect(Set(records.filter { !$0.contains(" IN SOA ") }) == (try await Self.axfr(live)))
        #expect(live.metrics.render().contains(#"valon_dns_ixfr_total{answer="full"} 1"#))
    }

    @Test("an NSD secondary asking IXFR applies our stream and serves the same zone")
    func nsdSecondary() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let peer = try await live.addPeer("client01", lan: "192.168.1.50:51820", nat: "203.0.113.10:40000")
        try await live.waitUntilServed(peer)
        let nsd = try NSDServer(zones: [.secondary(name: "valon.internal", primary: "127.0.0.1@\(live.port)", incremental: true)])
        defer { nsd.stop() }
        func nsdZone() throws -> Set<String> {
            Set(try DigResult.run(["@127.0.0.1", "-p", String(nsd.port), "valon.internal", "AXFR"]).answer.filter { !$0.contains(" IN SOA ") })
        }
        func nsdSerial() throws -> UInt32? {
            try DigResult.run(["@127.0.0.1", "-p", String(nsd.port), "valon.internal", "SOA"]).answer.first
                .flatMap { Sequences([$0]).soaSerials.first }
        }
        let before = try Self.serial(live)
        try await eventually("NSD to load the zone") { (try? nsdSerial()) == before }
        #expect(try nsdZone() == (try await Self.axfr(live)))

        _ = try await live.addPeer("laptop", nat: "203.0.113.20:40000")
        _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.51:51820"), of: peer.publicKey)
        let store = live.store
        try await eventually("the store to serve both changes") { store.current?.peer(key: peer.publicKey)?.lanEndpoint == Endpoint("192.168.1.51:51820") && store.current?.peers.count == 2 }
        let after = try Self.serial(live)
        // NOTIFY NSD (RFC 1996) so that it asks now rather than after the SOA refresh.
        _ = try Command.run(["dig", "@127.0.0.1", "-p", String(nsd.port), "+opcode=notify", "+norec", "valon.internal", "SOA"])
        try await eventually("NSD to apply serial \(after)") { (try? nsdSerial()) == after }
        #expect(try nsdZone() == (try await Self.axfr(live)), "NSD's zone after the IXFR is ours\n\(nsd.log)")
        #expect(live.metrics.render().contains(#"valon_dns_ixfr_total{answer="difference"} 1"#), "NSD got a difference\n\(live.metrics.render())\n\(nsd.log)")
    }

    /// A relay for UDP only, between a loopback port and the live server's: nothing listens
    /// for TCP on its port, so whatever comes through it came over UDP.
    final class UDPOnlyRelay: @unchecked Sendable {
        let front: LoopbackUDP
        private let back: LoopbackUDP
        private let running = Locked(true)
        let relayed = Locked(0)
        private var thread: Thread?

        init(to port: UInt16) throws {
            front = try LoopbackUDP()
            back = try LoopbackUDP()
            nonisolated(unsafe) let (front, back) = (front, back)
            let (running, relayed) = (running, relayed)
            thread = Thread {
                while running.value {
                    guard let (query, client) = try? front.receive(timeoutMilliseconds: 100) else { continue }
                    guard let reply = try? back.exchange(query, with: port) else { continue }
                    try? front.send(reply, to: client)
                    relayed.withLock { $0 += 1 }
                }
            }
            thread?.start()
        }

        func stop() { running.withLock { $0 = false } }
    }

    @Test("IXFR over UDP: a small difference comes in one datagram, as dig +notcp reads it; one that does not fit is asked again over TCP")
    func overUDP() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let peer = try await live.addPeer("client01", lan: "192.168.1.50:51820")
        try await live.waitUntilServed(peer)
        let zone = try DNSName("valon.internal")
        let relay = try UDPOnlyRelay(to: live.port)
        defer { relay.stop() }
        let throughRelay = DNSResolver(server: Endpoint("127.0.0.1:\(relay.front.port)")!)
        var tcpOnly = DNSResolver.Configuration(server: Endpoint("127.0.0.1:\(live.port)")!)
        tcpOnly.transport = .tcp
        let direct = DNSResolver(server: Endpoint("127.0.0.1:\(live.port)")!)
        let base = try await direct.startOfAuthority(of: zone)

        _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.51:51820"), of: peer.publicKey)
        try await eventually("the store to serve the move") { live.store.current?.peer(key: peer.publicKey)?.lanEndpoint == Endpoint("192.168.1.51:51820") }
        let overUDP = try await throughRelay.incrementalTransfer(zone, from: base.serial, soa: base)
        let overTCP = try await DNSResolver(configuration: tcpOnly).incrementalTransfer(zone, from: base.serial, soa: base)
        guard case .differences(_, _, let udpDifferences, let messages, _) = overUDP,
              case .differences(_, _, let tcpDifferences, _, _) = overTCP else {
            Issue.record("not differences: \(overUDP) / \(overTCP)")
            return
        }
        #expect(messages == 1 && relay.relayed.value >= 1, "one datagram, through the UDP-only relay")
        #expect(udpDifferences.map { Set($0.deleted) } == tcpDifferences.map { Set($0.deleted) })
        #expect(udpDifferences.map { Set($0.added) } == tcpDifferences.map { Set($0.added) })
        // dig over UDP reads the same records.
        let dig = try await live.dig(["+notcp", "valon.internal", "IXFR=\(base.serial)"])
        #expect(dig.answer.count == udpDifferences.reduce(0) { $0 + $1.deleted.count + $1.added.count } + 4, "\(dig.answer)")

        // Thirty new peers do not fit a datagram: the SOA alone over UDP, then TCP.
        let now = try await direct.startOfAuthority(of: zone)
        try await live.addPeers(30, first: 100)
        do {
            _ = try await throughRelay.incrementalTransfer(zone, from: now.serial, soa: now)
            Issue.record("read through a relay that carries no TCP")
        } catch {
            #expect(error.description.contains("TCP"), "the resolver went on over TCP: \(error)")
        }
        guard case .differences(_, _, let big, let bigMessages, _) = try await direct.incrementalTransfer(zone, from: now.serial, soa: now) else {
            Issue.record("the difference over TCP")
            return
        }
        #expect(big.reduce(0) { $0 + $1.added.count } >= 30 && bigMessages >= 1)
    }

    @Test("valon-sync's reader: the differences applied to its base give what an AXFR gives; a base that does not fit is read whole")
    func readerAppliesDifferences() async throws {
        let live = try await DNSLiveServer.start()
        defer { live.stop() }
        let peer = try await live.addPeer("client01", lan: "192.168.1.50:51820")
        try await live.waitUntilServed(peer)
        let zone = try DNSName("valon.internal")
        let reader = RegistryReader(server: Endpoint("127.0.0.1:\(live.port)")!, zone: zone)
        let first = try await reader.fetch(since: nil)
        #expect(first.method == .axfr)
        var base = try #require(first.applied)

        let store = live.store, key = peer.publicKey
        for step in 0..<3 {
            switch step {
            case 0: _ = try await live.addPeer("laptop", nat: "203.0.113.20:40000")
            case 1: _ = try await live.registry.setEndpoint(.lan, to: Endpoint("192.168.1.51:51820"), of: key)
            default: _ = try await live.registry.remove(key: key)
            }
            try await eventually("the store to serve step \(step)") {
                guard let current = store.current else { return false }
                switch step {
                case 0: return current.peer(named: "laptop")?.natEndpoint != nil
                case 1: return current.peer(key: key)?.lanEndpoint == Endpoint("192.168.1.51:51820")
                default: return current.peer(key: key) == nil
                }
            }
            let incremental = try await reader.fetch(since: base)
            let whole = try await reader.fetch(since: nil)
            #expect(incremental.method == .ixfr, "step \(step)")
            #expect(incremental.zone == whole.zone, "step \(step): the same peers, relays, nodes and serial")
            let applied = try #require(incremental.applied), transferred = try #require(whole.applied)
            #expect(applied.records.first == transferred.records.first && Set(applied.records) == Set(transferred.records), "step \(step)")
            #expect(applied.registry == whole.zone, "step \(step): the zone kept in place reads as the whole zone")
            base = applied
        }
        // A base missing a record the next difference deletes: the reader reads the whole zone.
        let laptop = try #require(live.store.current?.peer(named: "laptop"))
        _ = try await live.registry.setEndpoint(.nat, to: Endpoint("203.0.113.21:40000"), of: laptop.publicKey)
        try await eventually("the store to serve the move") { store.current?.peer(named: "laptop")?.natEndpoint == Endpoint("203.0.113.21:40000") }
        let damaged = AppliedZone(zone: zone, records: base.records.filter { !$0.description.hasPrefix("nated.") })
        let recovered = try await reader.fetch(since: damaged)
        #expect(recovered.method == .axfr)
        #expect(recovered.zone == (try await reader.fetch(since: nil)).zone)
    }
}
