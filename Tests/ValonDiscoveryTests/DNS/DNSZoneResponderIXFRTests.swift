import Testing
import ValonDiscovery
import ValonKit

/// IXFR answers (RFC 1995) from the pure responder with a ``RegistryHistory``: the framing
/// of a difference, the SOA alone for a current or future serial, the whole zone for a
/// serial the history does not have, UDP answers that fit or fall back to the SOA, and
/// the refusals.
@Suite("DNS IXFR responder")
struct DNSZoneResponderIXFRTests {
    static let zone = DNSZoneFixture.zone
    static let old = DNSZoneFixture.snapshot
    /// `bare` gets a LAN endpoint at revision 9.
    static let new: RegistrySnapshot = {
        var peers = DNSZoneFixture.peers
        peers[2].lanEndpoint = Endpoint("192.168.1.77:51820")
        return RegistrySnapshot(peers: peers, revision: 9)
    }()

    static func responder(_ history: [RegistrySnapshot], loads: Bool = false) -> DNSZoneResponder {
        let kept = RegistryHistory(maximumCount: 8, maximumBytes: 1 << 20)
        for snapshot in history { kept.record(snapshot) }
        return DNSZoneResponder(zone: zone, history: kept, loadsHistory: loads)
    }

    static func query(from serial: UInt32?, edns: DNSEDNS? = DNSEDNS(), name: String = "valon.internal.") throws -> DNSMessage {
        var query = DNSMessage.query(id: 11, name: try DNSName(name), type: .ixfr, edns: edns)
        if let serial { query.authorities = [zone.soa(serial: serial)] }
        return query
    }

    /// The answers of every message, and the messages' response codes.
    static func answer(_ responder: DNSZoneResponder, _ query: DNSMessage, transport: DNSTransport = .tcp,
                       client: String = "127.0.0.1", snapshot: RegistrySnapshot = new) throws -> (records: [String], rcodes: [DNSResponseCode]) {
        let (outcome, _) = responder.respond(to: try query.encoded(), client: IPAddress(client), transport: transport, snapshot: snapshot)
        let messages: [[UInt8]]
        switch outcome {
        case .reply(let replies): messages = replies
        case .transfer(let transfer): messages = Array(transfer)
        default:
            Issue.record("expected messages, got \(outcome)")
            return ([], [])
        }
        let decoded = try messages.map { try DNSMessage(decoding: $0) }
        return (decoded.flatMap(\.answers).map { DNSZoneFixture.expand($0.description) }, decoded.map(\.responseCode))
    }

    static func soa(_ serial: UInt32) -> String {
        "valon.internal. 2 IN SOA discovery.valon.internal. hostmaster.valon.internal. \(serial) 60 10 3600 2"
    }

    @Test("from a serial in the history: SOA(new) SOA(old) deleted SOA(new) added SOA(new), over TCP and UDP")
    func difference() throws {
        let responder = Self.responder([Self.old, Self.new])
        // The oracle: the two whole zones. A LAN endpoint adds its A, the service SRV and the
        // instance SRV, under the key label and the alias.
        let before = Set(try DNSZoneDifferenceTests.records(Self.old).map { DNSZoneFixture.expand($0.description) })
        let after = Set(try DNSZoneDifferenceTests.records(Self.new).map { DNSZoneFixture.expand($0.description) })
        #expect(before.subtracting(after).isEmpty && after.subtracting(before).count == 6)
        for transport in [DNSTransport.tcp, .udp] {
            let (records, rcodes) = try Self.answer(responder, try Self.query(from: 7), transport: transport)
            #expect(Array(records.prefix(3)) == [Self.soa(9), Self.soa(7), Self.soa(9)], "\(transport): no deletion\n\(records)")
            #expect(records.last == Self.soa(9) && records.count == 3 + 6 + 1, "\(transport)")
            #expect(Set(records.dropFirst(3).dropLast()) == after.subtracting(before), "\(transport)")
            #expect(rcodes.allSatisfy { $0 == .noError })
        }
    }

    @Test("a current or future serial gets the SOA alone (RFC 1995 §2)", arguments: [9, 10, 9 &+ (1 << 31) - 1] as [UInt32])
    func currentOrNewer(serial: UInt32) throws {
        let (records, rcodes) = try Self.answer(Self.responder([Self.old, Self.new]), try Self.query(from: serial))
        #expect(records == [Self.soa(9)])
        #expect(rcodes == [.noError])
    }

    @Test("a serial the history does not hold gets the whole zone, AXFR-style (RFC 1995 §4)", arguments: [3, 9 &- (1 << 31) + 1] as [UInt32])
    func unknownSerial(serial: UInt32) throws {
        let (records, _) = try Self.answer(Self.responder([Self.new]), try Self.query(from: serial))
        let axfr = try DNSZoneResponderTests.replies(try DNSMessage.query(id: 11, name: Self.zone.name, type: .axfr).encoded(),
                                                     transport: .tcp, snapshot: Self.new)
            .flatMap { try DNSMessage(decoding: $0).answers }.map { DNSZoneFixture.expand($0.description) }
        #expect(records == axfr)
        #expect(records.first == Self.soa(9) && records.last == Self.soa(9) && records.count > 10)
    }

    @Test("over UDP the whole zone does not fit one message: the SOA alone, and the client asks again over TCP")
    func udpFallsBackToSOA() throws {
        let (records, _) = try Self.answer(Self.responder([Self.new]), try Self.query(from: 3), transport: .udp)
        #expect(records == [Self.soa(9)])
        // A difference too big for 512 bytes without EDNS: the SOA alone too.
        var many = DNSZoneFixture.peers
        for index in many.indices { many[index].natEndpoint = Endpoint("198.51.100.\(index + 1):4000\(index)") }
        let changed = RegistrySnapshot(peers: many, revision: 9)
        let (small, _) = try Self.answer(Self.responder([Self.old, changed]), try Self.query(from: 7, edns: nil), transport: .udp,
                                          snapshot: changed)
        #expect(small == [Self.soa(9)])
    }

    @Test("a serial not tried yet asks the server to read it, when the server can")
    func asksForHistory() throws {
        let responder = Self.responder([Self.new], loads: true)
        let (outcome, summary) = responder.respond(to: try Self.query(from: 5).encoded(), client: IPAddress("127.0.0.1"),
                                                   transport: .tcp, snapshot: Self.new)
        #expect(outcome == .loadHistory(serial: 5))
        #expect(summary == nil)
        // Once marked unavailable the whole zone comes without asking again.
        responder.history!.markUnavailable(5)
        let (again, _) = responder.respond(to: try Self.query(from: 5).encoded(), client: IPAddress("127.0.0.1"),
                                           transport: .tcp, snapshot: Self.new)
        guard case .transfer(let transfer) = again else { Issue.record("expected a transfer, got \(again)"); return }
        #expect(transfer.difference == nil)
    }

    @Test("refused: a client outside axfr_allow (TCP and UDP), another zone; FORMERR without the client's SOA")
    func refusals() throws {
        let responder = Self.responder([Self.old, Self.new])
        for transport in [DNSTransport.tcp, .udp] {
            let (_, outside) = try Self.answer(responder, try Self.query(from: 7), transport: transport, client: "198.51.100.9")
            #expect(outside == [.refused], "\(transport)")
        }
        let (_, other) = try Self.answer(responder, try Self.query(from: 7, name: "other.internal."))
        #expect(other == [.refused])
        let (_, below) = try Self.answer(responder, try Self.query(from: 7, name: "client01.valon.internal."))
        #expect(below == [.refused])
        let (_, missing) = try Self.answer(responder, try Self.query(from: nil))
        #expect(missing == [.formErr])
        // AXFR over UDP stays refused.
        let (_, axfr) = try Self.answer(responder, DNSMessage.query(id: 3, name: Self.zone.name, type: .axfr), transport: .udp)
        #expect(axfr == [.refused])
    }

    @Test("the history keeps at most its count and its bytes, the newest always")
    func historyBounds() {
        let history = RegistryHistory(maximumCount: 3, maximumBytes: 1 << 20)
        for revision in Int64(1)...5 { history.record(RegistrySnapshot(peers: DNSZoneFixture.peers, revision: revision)) }
        #expect(history.serials == [3, 4, 5])
        let tight = RegistryHistory(maximumCount: 10, maximumBytes: 10)
        for revision in Int64(1)...3 { tight.record(RegistrySnapshot(peers: DNSZoneFixture.peers, revision: revision)) }
        #expect(tight.serials == [3])
        let none = RegistryHistory(maximumCount: 0, maximumBytes: 1 << 20)
        none.record(DNSZoneFixture.snapshot)
        #expect(none.serials.isEmpty)
        guard case .unknown = none.lookup(7) else { Issue.record("a history that keeps nothing knows nothing"); return }
    }
}
