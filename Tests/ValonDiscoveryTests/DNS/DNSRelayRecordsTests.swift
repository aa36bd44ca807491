import Testing
import ValonDiscovery
import ValonKit

/// The relayed pairs in the zone (docs/ARCHITECTURE.md §10): `_relay._udp.<name>.<zone>` SRV
/// `0 0 <port> <other key label>.<zone>.` under both peers' names, in answers and in the
/// transfer, and read back from the transfer by the client's `RegistryZone`.
@Suite("DNS relay records")
struct DNSRelayRecordsTests {
    static let keys = DNSZoneFixture.keys
    /// client01–laptop on 51821, client01–bare on 51822.
    static let snapshot = RegistrySnapshot(peers: DNSZoneFixture.peers, revision: 7, relays: [
        RelayAllocation(between: keys[1], and: keys[0], port: 51821),
        RelayAllocation(between: keys[0], and: keys[2], port: 51822),
    ])

    static func answer(_ question: String, _ type: DNSRecordType) throws -> DNSMessage {
        let query = DNSMessage.query(id: 7, name: try DNSName(DNSZoneFixture.expand(question)), type: type)
        return try DNSZoneResponderTests.answer(query, snapshot: snapshot)
    }

    @Test("each peer's relayed pairs, under its alias and its key label, with the other peer's address")
    func srvAnswers() throws {
        let alias = try Self.answer("_relay._udp.client01.valon.internal.", .srv)
        #expect(alias.answers.map(\.description).sorted() == [
            "_relay._udp.client01.valon.internal. 2 IN SRV 0 0 51821 {k2}.valon.internal.",
            "_relay._udp.client01.valon.internal. 2 IN SRV 0 0 51822 {k3}.valon.internal.",
        ].map(DNSZoneFixture.expand))
        #expect(alias.additionals.filter { $0.type != .opt }.map(\.description).sorted() == [
            "{k2}.valon.internal. 2 IN A 100.100.0.3", "{k3}.valon.internal. 2 IN A 100.100.0.4",
        ].map(DNSZoneFixture.expand))
        let label = try Self.answer("_relay._udp.{k2}.valon.internal.", .srv)
        #expect(label.answers.map(\.description) == ["_relay._udp.{k2}.valon.internal. 2 IN SRV 0 0 51821 {k1}.valon.internal."].map(DNSZoneFixture.expand))
    }

    @Test("a peer without a relay has no _relay name; other types there are NODATA")
    func absentAndOtherTypes() throws {
        let plain = try DNSZoneResponderTests.answer(DNSMessage.query(id: 7, name: try DNSName("_relay._udp.client01.valon.internal."), type: .srv))
        #expect(plain.responseCode == .nxDomain, "no relays in the plain snapshot")
        let txt = try Self.answer("_relay._udp.laptop.valon.internal.", .txt)
        #expect(txt.responseCode == .noError && txt.answers.isEmpty)
        let unknown = try Self.answer("_relay._udp.nobody.valon.internal.", .srv)
        #expect(unknown.responseCode == .nxDomain)
    }

    @Test("the transfer carries every relay record, and RegistryZone reads the pairs back")
    func transferRoundTrip() throws {
        let query = DNSMessage.query(id: 9, name: try DNSName("valon.internal."), type: .axfr)
        let messages = try DNSZoneResponderTests.replies(try query.encoded(), transport: .tcp, snapshot: Self.snapshot)
        let records = try messages.flatMap { try DNSMessage(decoding: $0).answers }
        let relayRecords = records.filter { $0.name.description.hasPrefix("_relay.") }
        #expect(relayRecords.count == 8, "two pairs, two sides, each under its alias and its key label")
        let zone = RegistryZone(records: records, zone: try DNSName("valon.internal."))
        #expect(Set(zone.relays) == Set(Self.snapshot.relays))
        #expect(zone.relayPort(between: Self.keys[0], and: Self.keys[1]) == 51821)
        #expect(zone.relayPort(between: Self.keys[2], and: Self.keys[0]) == 51822)
        #expect(zone.relayPort(between: Self.keys[1], and: Self.keys[2]) == nil)
        #expect(zone.problems.isEmpty, "\(zone.problems)")
        #expect(zone.peers == RegistryZone(records: records.filter { !$0.name.description.hasPrefix("_relay.") },
                                           zone: try DNSName("valon.internal.")).peers, "relay records change no peer")
    }

    @Test("RegistryZone reports a relay record that names no pair of the zone")
    func strayRelayRecord() throws {
        let zoneName = try DNSName("valon.internal.")
        let owner = try DNSName(DNSZoneFixture.expand("_relay._udp.client01.valon.internal."))
        let records = [DNSResourceRecord(name: owner, ttl: 2, data: .srv(DNSSRV(priority: 0, weight: 0, port: 51821,
                                                                                target: try DNSName("stranger.valon.internal."))))]
        let zone = RegistryZone(records: records, zone: zoneName)
        #expect(zone.relays.isEmpty)
        #expect(zone.problems.count == 1)
    }
}
