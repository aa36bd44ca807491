import Testing
@testable import ValonKit

/// The client's side of IXFR (RFC 1995), without a network: the collector reading answers
/// message by message, and ``AppliedZone`` applying the differences to the zone it holds,
/// keeping it in its file format and refusing a difference that does not fit.
@Suite("IXFR client: collector and applied zone")
struct DNSIncrementalTransferTests {
    static let zone = try! DNSName("valon.internal")

    static func soa(_ serial: UInt32) -> DNSResourceRecord {
        DNSResourceRecord(name: zone, ttl: 2, data: .soa(DNSSOA(
            primaryServer: try! DNSName("discovery.valon.internal"), responsibleMailbox: try! DNSName("hostmaster.valon.internal"),
            serial: serial, refresh: 60, retry: 10, expire: 3600, minimum: 2)))
    }

    static func a(_ name: String, _ address: String) -> DNSResourceRecord {
        DNSResourceRecord(name: try! DNSName(name), ttl: 2, data: .a(IPv4Address(address)!))
    }

    static let one = a("one.valon.internal", "100.100.0.2"), two = a("two.valon.internal", "100.100.0.3")
    static let three = a("three.valon.internal", "100.100.0.4"), twoMoved = a("two.valon.internal", "100.100.0.9")

    /// Feeds `messages` (each a list of records) to a collector asking from serial `from`.
    static func collect(_ messages: [[DNSResourceRecord]], from serial: UInt32 = 7, id: UInt16 = 9) throws(DNSError) -> DNSIncrementalTransfer? {
        var collector = DNSIncrementalTransferCollector(zone: zone, clientSerial: serial, queryID: id,
                                                        limits: DNSZoneTransferLimits(), server: "192.0.2.1:53")
        for (index, records) in messages.enumerated() {
            var message = DNSMessage(header: DNSHeader(id: id, isResponse: true, isAuthoritative: true),
                                     questions: index == 0 ? [DNSQuestion(name: zone, type: .ixfr)] : [], answers: records)
            message.header.responseCode = .noError
            try collector.accept(try message.encoded())
            if collector.isComplete { return collector.result }
        }
        return nil
    }

    @Test("the SOA alone: the server's serial")
    func current() throws {
        #expect(try Self.collect([[Self.soa(7)]]) == .current(serial: 7))
        #expect(try Self.collect([[Self.soa(12)]]) == .current(serial: 12))
    }

    @Test("one condensed difference, and several in order, across messages")
    func differences() throws {
        guard case .differences(let serial, _, let one, _, _) = try Self.collect([
            [Self.soa(9), Self.soa(7), Self.two, Self.soa(9), Self.twoMoved, Self.three, Self.soa(9)],
        ]) else { Issue.record("no differences"); return }
        #expect(serial == 9)
        #expect(one == [.init(from: 7, to: 9, deleted: [Self.two], added: [Self.twoMoved, Self.three])])

        guard case .differences(_, _, let several, let messages, _) = try Self.collect([
            [Self.soa(11), Self.soa(7), Self.two],
            [Self.soa(9), Self.three, Self.soa(9)],
            [Self.soa(11), Self.twoMoved, Self.soa(11)],
        ]) else { Issue.record("no differences"); return }
        #expect(several == [.init(from: 7, to: 9, deleted: [Self.two], added: [Self.three]),
                            .init(from: 9, to: 11, deleted: [], added: [Self.twoMoved])])
        #expect(messages == 3)
    }

    @Test("the whole zone, AXFR-style")
    func full() throws {
        guard case .full(let transfer) = try Self.collect([[Self.soa(9), Self.one], [Self.two, Self.soa(9)]]) else {
            Issue.record("not a full transfer"); return
        }
        #expect(transfer.records == [Self.soa(9), Self.one, Self.two])
    }

    @Test("answers that break RFC 1995 are errors that say how", arguments: [
        ([[one]], "not the SOA of the zone"),
        ([[soa(9), soa(7), two, soa(9), three, soa(8), soa(9)]], "a difference starts at serial 8"),
        ([[soa(9), soa(7), two, soa(8), three, soa(9)]], "the differences end at serial 8, not at the server's 9"),
        ([[soa(9), soa(7), soa(9), soa(9), three]], "records follow the closing SOA"),
        ([[soa(9), one, soa(9), two]], "records follow the closing SOA"),
    ] as [([[DNSResourceRecord]], String)])
    func broken(messages: [[DNSResourceRecord]], words: String) {
        do {
            let result = try Self.collect(messages)
            Issue.record("accepted: \(String(describing: result))")
        } catch {
            #expect(error.code == .transferFailed && error.message.contains(words), "\(error)")
        }
    }

    @Test("a reply to another query is refused")
    func wrongID() {
        var collector = DNSIncrementalTransferCollector(zone: Self.zone, clientSerial: 7, queryID: 1,
                                                        limits: DNSZoneTransferLimits(), server: "192.0.2.1:53")
        let message = DNSMessage(header: DNSHeader(id: 2, isResponse: true), questions: [DNSQuestion(name: Self.zone, type: .ixfr)],
                                 answers: [Self.soa(7)])
        #expect(throws: DNSError.self) { try collector.accept(try message.encoded()) }
    }

    static let base = AppliedZone(zone: zone, records: [soa(7), one, two])

    @Test("differences apply in order; the result is what the server's zone holds")
    func apply() throws {
        let next = try Self.base.applying([([Self.two], [Self.twoMoved, Self.three]), ([Self.three], [])], soa: Self.soa(11))
        #expect(next.records.first == Self.soa(11) && Set(next.records) == [Self.soa(11), Self.one, Self.twoMoved])
        #expect(next.serial == 11)
        #expect(next.unsaved.count == 2, "each difference waits to be appended to the file")
        let same = try Self.base.applying([([], [])], soa: Self.soa(8))
        #expect(same.records.first == Self.soa(8) && Set(same.records) == [Self.soa(8), Self.one, Self.two])
        #expect(Self.base.serial == 7, "applying copies")
    }

    @Test("a difference that does not fit the base is refused, naming the record", arguments: [
        ([three], [DNSResourceRecord](), "deletes three.valon.internal."),
        ([], [one], "adds one.valon.internal."),
    ] as [([DNSResourceRecord], [DNSResourceRecord], String)])
    func mismatch(deleted: [DNSResourceRecord], added: [DNSResourceRecord], words: String) {
        do {
            _ = try Self.base.applying([(deleted, added)], soa: Self.soa(9))
            Issue.record("applied")
        } catch {
            #expect(error.description.contains(words), "\(error)")
        }
    }

    static func bigZone() -> AppliedZone {
        var big = [Self.soa(7)]
        for index in 0..<450 { big.append(Self.a("peer\(index).valon.internal", "100.100.\(index / 250).\(index % 250 + 2)")) }
        return AppliedZone(zone: Self.zone, records: big)
    }

    @Test("the file format reads back; damaged bytes are errors, not a zone")
    func fileFormat() throws {
        for zone in [Self.base, Self.bigZone()] {
            let (bytes, written) = try zone.encoded()
            let digest = try #require(written.file?.digest)
            #expect(digest == AppliedZone.digest(of: bytes))
            let read = try AppliedZone(decoding: bytes, digest: digest)
            #expect(read == zone)
            #expect(read.file?.length == bytes.count && read.unsaved.isEmpty)
            #expect(throws: DNSError.self) { try AppliedZone(decoding: Array(bytes.dropLast(3)), digest: digest) }
            #expect(throws: DNSError.self) { try AppliedZone(decoding: bytes, digest: String(repeating: "0", count: 64)) }
        }
        #expect(throws: DNSError.self) { try AppliedZone(decoding: Array("VALON applied zone 2\n".utf8), digest: "") }
        #expect(throws: DNSError.self) { try AppliedZone(decoding: [], digest: "") }
        // Version 1 files (the whole zone rewritten on every sync) are not read: one whole read replaces them.
        #expect(throws: DNSError.self) { try AppliedZone(decoding: Array("VALON applied zone 1\n".utf8), digest: "") }
        let (noSOA, written) = try AppliedZone(zone: Self.zone, records: [Self.one]).encoded()
        #expect(throws: DNSError.self) { try AppliedZone(decoding: noSOA, digest: written.file!.digest) }
    }

    @Test("differences are appended to the file; it reads back at each digest the state could name")
    func journal() throws {
        var (file, zone) = try Self.bigZone().encoded()
        var digests = [(digest: zone.file!.digest, zone: zone)]
        let moves: [(DNSResourceRecord, DNSResourceRecord)] = (0..<5).map { step in
            (Self.a("peer\(step).valon.internal", "100.100.0.\(step + 2)"), Self.a("peer\(step).valon.internal", "100.101.0.\(step + 2)"))
        }
        for (step, move) in moves.enumerated() {
            try zone.apply([([move.0], [move.1])], soa: Self.soa(UInt32(8 + step)))
            let (bytes, appended) = try #require(try zone.appending())
            #expect(bytes.count < 200, "a difference costs its own bytes, not the zone's")
            #expect(appended.file!.length == file.count + bytes.count)
            file += bytes
            zone = appended
            #expect(zone.file!.digest == AppliedZone.digest(of: file), "the running digest is the digest of the file")
            digests.append((zone.file!.digest, zone))
        }
        for (digest, expected) in digests {
            let read = try AppliedZone(decoding: file, digest: digest)
            #expect(read == expected)
            #expect(read.serial == expected.serial)
            #expect(read.registry == expected.registry)
        }
        // A crash in the middle of an append: the digest the state names is still reached.
        #expect(try AppliedZone(decoding: file + [0, 40, 1, 2], digest: digests[3].digest) == digests[3].zone)
        // Differences that outgrow the base are not appended: the whole file is written again.
        var grown = zone
        for step in 0..<300 {
            try grown.apply([([], [Self.a("extra\(step).valon.internal", "100.102.\(step / 250).\(step % 250 + 2)")])], soa: Self.soa(UInt32(100 + step)))
        }
        #expect(try grown.appending() == nil)
    }
}
