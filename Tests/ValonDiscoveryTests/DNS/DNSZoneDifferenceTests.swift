import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// ``DNSZoneDifference`` against the plain difference of the two whole zones (every record
/// of each AXFR, SOAs left out): for registries changed at random, in every way a registry
/// changes (peers added and removed, endpoints and aliases changed, an alias taken over,
/// relays allocated and reclaimed, discovery nodes coming and going), the condensed
/// difference deletes exactly what only the old zone has and adds exactly what only the
/// new one has.
@Suite("DNS zone difference (IXFR)")
struct DNSZoneDifferenceTests {
    static let zone = DNSZoneFixture.zone
    static let responder = DNSZoneResponder(zone: zone)

    /// Every record of the zone's AXFR except the SOAs.
    static func records(_ snapshot: RegistrySnapshot) throws -> [DNSResourceRecord] {
        let query = DNSMessage.query(id: 1, name: zone.name, type: .axfr)
        let messages = try DNSZoneResponderTests.replies(try query.encoded(), transport: .tcp, snapshot: snapshot)
        return try messages.flatMap { try DNSMessage(decoding: $0).answers }.filter { $0.type != .soa }
    }

    typealias Generator = SplitMix64

    static let keys = (1...12).map { WireGuardKey.repeating(UInt8($0)) }
    static let aliases = ["alpha", "beta", "gamma", "delta"]

    static func peer(_ index: Int, _ random: inout Generator) -> Peer {
        // Aliases repeat across peers on purpose: the one that owns a name can change.
        let alias = Bool.random(using: &random) ? aliases.randomElement(using: &random)! : "peer\(index)"
        return Peer(publicKey: keys[index], alias: alias, wgIP: IPAddress("100.100.0.\(index + 2)")!,
                    lanEndpoint: Bool.random(using: &random) ? Endpoint("192.168.1.\(Int.random(in: 2...9, using: &random)):51820") : nil,
                    natEndpoint: Bool.random(using: &random) ? Endpoint("203.0.113.\(Int.random(in: 2...9, using: &random)):\(Int.random(in: 40000...40003, using: &random))") : nil,
                    natKind: Int.random(in: 0..<4, using: &random) == 0 ? .symmetric : nil)
    }

    static func snapshot(revision: Int64, _ random: inout Generator, from base: RegistrySnapshot? = nil) -> RegistrySnapshot {
        var peers = [Int: Peer]()
        for (index, peer) in (base?.peers ?? []).enumerated() {
            peers[keys.firstIndex(of: peer.publicKey)!] = peer
            _ = index
        }
        // Change a few peers: add, remove, or replace with a changed copy.
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let index = Int.random(in: 0..<keys.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: peers[index] = nil
            default: peers[index] = peer(index, &random)
            }
        }
        if base == nil { for index in 0..<6 { peers[index] = peer(index, &random) } }
        let present = peers.keys.sorted()
        var relays = base?.relays ?? []
        if Bool.random(using: &random), present.count >= 2 {
            let pair = present.shuffled(using: &random).prefix(2)
            relays.append(RelayAllocation(between: keys[pair.first!], and: keys[pair.last!], port: UInt16(51821 + relays.count)))
        }
        if Bool.random(using: &random), !relays.isEmpty { relays.remove(at: Int.random(in: 0..<relays.count, using: &random)) }
        var nodes = base?.discoveryNodes ?? []
        if Int.random(in: 0..<4, using: &random) == 0 {
            nodes = nodes.isEmpty ? [DiscoveryNode(publicKey: WireGuardKey.repeating(0xD1), wgIP: IPAddress("100.100.0.1")!,
                                                   endpoint: "198.51.100.1:51820", relay: "198.51.100.1")] : []
        }
        return RegistrySnapshot(peers: present.map { peers[$0]! }.sorted { $0.publicKey.base64 < $1.publicKey.base64 },
                                revision: revision, relays: relays, discoveryNodes: nodes)
    }

    @Test("the condensed difference is the plain difference of the whole zones", arguments: 0..<60)
    func matchesWholeZones(seed: UInt64) throws {
        var random = Generator(seed: seed)
        var old = Self.snapshot(revision: 10, &random)
        for step in 1...4 {
            let new = Self.snapshot(revision: 10 + Int64(step), &random, from: old)
            let difference = Self.responder.difference(from: old, to: new)
            let before = try Self.records(old), after = try Self.records(new)
            let expectedDeleted = Set(before).subtracting(after), expectedAdded = Set(after).subtracting(before)
            #expect(Set(difference.deleted) == expectedDeleted,
                    "seed \(seed) step \(step): deleted wrongly \(Set(difference.deleted).subtracting(expectedDeleted)), not deleted \(expectedDeleted.subtracting(difference.deleted))")
            #expect(Set(difference.added) == expectedAdded,
                    "seed \(seed) step \(step): added wrongly \(Set(difference.added).subtracting(expectedAdded)), not added \(expectedAdded.subtracting(difference.added))")
            #expect(difference.deleted.count == expectedDeleted.count && difference.added.count == expectedAdded.count,
                    "seed \(seed) step \(step): no record twice")
            #expect((difference.fromSerial, difference.toSerial) == (old.serial, new.serial))
            old = new
        }
    }

    /// Every record of the zone's AXFR, its SOAs included.
    static func transfer(_ snapshot: RegistrySnapshot) throws -> [DNSResourceRecord] {
        let query = DNSMessage.query(id: 1, name: zone.name, type: .axfr)
        let messages = try DNSZoneResponderTests.replies(try query.encoded(), transport: .tcp, snapshot: snapshot)
        return try messages.flatMap { try DNSMessage(decoding: $0).answers }
    }

    /// valon-sync's side (docs/ARCHITECTURE.md §12.2): the zone it keeps, with the node's
    /// difference applied in place, reads as the whole new zone does, peers, relays, nodes and
    /// all; and what the update says changed covers every peer that did.
    @Test("a zone kept in place and changed by the difference reads as the whole new zone", arguments: 0..<60)
    func appliedInPlace(seed: UInt64) throws {
        var random = Generator(seed: seed &+ 1000)
        var old = Self.snapshot(revision: 10, &random)
        var applied = AppliedZone(zone: Self.zone.name, records: try Self.transfer(old))
        for step in 1...4 {
            let new = Self.snapshot(revision: 10 + Int64(step), &random, from: old)
            let difference = Self.responder.difference(from: old, to: new)
            let before = applied.registry
            let change = try applied.apply([(difference.deleted, difference.added)], soa: Self.zone.soa(serial: new.serial))
            let whole = RegistryZone(records: try Self.transfer(new), zone: Self.zone.name)
            #expect(applied.registry == whole, "seed \(seed) step \(step)")
            var changed = Set<WireGuardKey>()
            for peer in before.peers where whole.peers.first(where: { $0.publicKey == peer.publicKey }) != peer { changed.insert(peer.publicKey) }
            for peer in whole.peers where before.peers.first(where: { $0.publicKey == peer.publicKey }) != peer { changed.insert(peer.publicKey) }
            #expect(change.peers == changed, "seed \(seed) step \(step): the peers the update names")
            #expect(change.relaysChanged == (before.relays != whole.relays), "seed \(seed) step \(step)")
            #expect(change.discoveryNodesChanged == (before.discoveryNodes != whole.discoveryNodes), "seed \(seed) step \(step)")
            old = new
        }
    }

    @Test("an unchanged registry at a new revision has an empty difference")
    func unchanged() {
        let old = DNSZoneFixture.snapshot
        let new = RegistrySnapshot(peers: old.peers, revision: old.revision + 5)
        let difference = Self.responder.difference(from: old, to: new)
        #expect(difference.deleted.isEmpty && difference.added.isEmpty)
    }
}
