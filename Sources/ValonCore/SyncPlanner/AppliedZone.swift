import Crypto

/// The zone a client last applied, kept so that the next read can be an IXFR (RFC 1995;
/// docs/ARCHITECTURE.md §12): the records (``ZoneRecords``) and the registry they describe
/// (``RegistryIndex``), both updated by ``apply(_:soa:)`` in time proportional to the
/// difference. A difference that does not fit this base (a record to delete that is not here,
/// one to add that already is) says so, and the caller reads the whole zone instead.
///
/// On disk it is a journal (``encoded()``, ``appending(_:)``, ``init(decoding:digest:)``): a
/// header line, then DNS messages behind a 2-byte length (RFC 1035 §4.2.2 framing), so that
/// the codec that reads transfers reads it back:
/// - the base, in messages whose question is AXFR: the records of the zone, its SOA first;
/// - then one message per difference applied since, whose question is IXFR: the records
///   deleted in the answer section, the records added in the authority section, the new SOA
///   in the additional section.
///
/// A difference is appended, so that keeping the zone costs what the difference costs; the
/// whole file is written again only when the differences outgrow the base. The client's
/// state file holds the SHA-256 of the file up to the zone it applied (``digest``); a file
/// that does not reach that digest at a message boundary was damaged or belongs to another
/// state. A file that goes on past it (a process that appended, then stopped before it saved
/// its state) is read up to it.
public struct AppliedZone: Sendable {
    /// The records and the SOA.
    public private(set) var zoneRecords: ZoneRecords
    /// The registry the records describe.
    public private(set) var index: RegistryIndex
    /// The differences applied since the file was last written or read, not yet in it.
    public private(set) var unsaved: [Journal.Entry] = []
    /// Where the file of this zone, less ``unsaved``, ends; `nil` when there is none.
    public var file: Journal.Position?

    public init(zone: DNSName, records: [DNSResourceRecord]) {
        self.init(ZoneRecords(zone: zone, records: records))
    }

    public init(_ records: ZoneRecords) {
        zoneRecords = records
        index = RegistryIndex(records)
    }

    public var zone: DNSName { zoneRecords.zone }

    /// The zone's SOA first, then every other record.
    public var records: [DNSResourceRecord] { zoneRecords.records }

    /// The SOA serial, if the zone has its SOA.
    public var serial: UInt32? { zoneRecords.serial }

    /// The client's SOA, as an IXFR query carries it.
    public var soa: DNSSOA? {
        guard let record = zoneRecords.soa, case .soa(let soa) = record.data else { return nil }
        return soa
    }

    /// The registry, peers in key order (``RegistryIndex/registryZone(serial:)``).
    public var registry: RegistryZone { index.registryZone(serial: serial) }

    public typealias Mismatch = ZoneRecords.Mismatch

    /// Applies `differences` in order (each deletes, then adds) with `soa` as the new SOA;
    /// returns what changed in the registry. On a ``Mismatch`` the zone is left partly
    /// changed: discard it and read the whole zone.
    @discardableResult
    public mutating func apply(_ differences: [(deleted: [DNSResourceRecord], added: [DNSResourceRecord])],
                               soa: DNSResourceRecord) throws(Mismatch) -> RegistryIndex.Change {
        var touched = Set<DNSName>()
        for difference in differences {
            touched.formUnion(try zoneRecords.apply(deleted: difference.deleted, added: difference.added, soa: soa))
            unsaved.append(Journal.Entry(deleted: difference.deleted, added: difference.added, soa: soa))
        }
        if differences.isEmpty, let current = zoneRecords.soa, current != soa {
            _ = try zoneRecords.apply(deleted: [], added: [], soa: soa)
            unsaved.append(Journal.Entry(deleted: [], added: [], soa: soa))
        }
        return index.update(owners: touched, in: zoneRecords)
    }

    /// The zone after `differences`, with `soa` as its new SOA (a copy: ``apply(_:soa:)``
    /// changes a zone in place).
    public func applying(_ differences: [(deleted: [DNSResourceRecord], added: [DNSResourceRecord])],
                         soa: DNSResourceRecord) throws(Mismatch) -> AppliedZone {
        var copy = self
        try copy.apply(differences, soa: soa)
        return copy
    }

    /// The SHA-256 (FIPS 180-4) of `bytes`, in hex.
    public static func digest(of bytes: [UInt8]) -> String {
        SyncFingerprint.sha256Hex(bytes)
    }
}

extension AppliedZone: Equatable {
    /// The same records; where the files stand does not count.
    public static func == (lhs: AppliedZone, rhs: AppliedZone) -> Bool {
        lhs.zoneRecords == rhs.zoneRecords
    }
}

extension AppliedZone {
    /// The file's framing and its running digest.
    public enum Journal {
        /// One applied difference, as appended.
        public struct Entry: Hashable, Sendable {
            public var deleted: [DNSResourceRecord]
            public var added: [DNSResourceRecord]
            public var soa: DNSResourceRecord
        }

        /// Where a file ends: its length, the length of its base, and the SHA-256 state of
        /// every byte so far (so that appending updates the digest without reading the file).
        ///
        /// `@unchecked Sendable`: swift-crypto's `SHA256` is not marked `Sendable`, but it is a
        /// value whose context is copied before a shared one is changed
        /// (`isKnownUniquelyReferenced` in its BoringSSL digest), so a copy sent elsewhere is
        /// never changed from here.
        public struct Position: @unchecked Sendable {
            public var length: Int
            public var baseLength: Int
            var hash: SHA256

            /// The digest of the file up to ``length``, in hex.
            public var digest: String { Self.hex(hash.finalize()) }

            static func hex(_ digest: SHA256.Digest) -> String {
                digest.map { byte in
                    let hex = String(byte, radix: 16)
                    return byte < 16 ? "0" + hex : hex
                }.joined()
            }
        }

        static let header = Array("VALON applied zone 2\n".utf8)
        static let recordsPerMessage = 200

        /// `message` behind its 2-byte length.
        static func frame(_ message: DNSMessage) throws(DNSError) -> [UInt8] {
            let encoded = try message.encoded()
            guard encoded.count <= 0xFFFF else { throw DNSError(.truncated, "a journal message of \(encoded.count) bytes does not fit a 2-byte length") }
            return [UInt8(encoded.count >> 8), UInt8(encoded.count & 0xFF)] + encoded
        }
    }

    /// The bytes of the whole file (the base is this zone; nothing unsaved), and the zone
    /// with its position set.
    public func encoded() throws(DNSError) -> (bytes: [UInt8], zone: AppliedZone) {
        var bytes = Journal.header
        let all = records
        var start = 0
        repeat {
            let end = min(start + Journal.recordsPerMessage, all.count)
            bytes += try Journal.frame(DNSMessage(header: DNSHeader(id: 0, isResponse: true),
                                                  questions: [DNSQuestion(name: zone, type: .axfr)],
                                                  answers: Array(all[start..<end])))
            start = end
        } while start < all.count
        var hash = SHA256()
        bytes.withUnsafeBytes { hash.update(bufferPointer: $0) }
        var written = self
        written.unsaved = []
        written.file = Journal.Position(length: bytes.count, baseLength: bytes.count, hash: hash)
        return (bytes, written)
    }

    /// The bytes to append to the file at ``file`` for the ``unsaved`` differences, and the
    /// zone with its position moved past them; `nil` when there is no file to append to or
    /// the differences have outgrown the base (write the whole file instead).
    public func appending() throws(DNSError) -> (bytes: [UInt8], zone: AppliedZone)? {
        guard var position = file else { return nil }
        var bytes = [UInt8]()
        for entry in unsaved {
            bytes += try Journal.frame(DNSMessage(header: DNSHeader(id: 0, isResponse: true),
                                                  questions: [DNSQuestion(name: zone, type: .ixfr)],
                                                  answers: entry.deleted, authorities: entry.added, additionals: [entry.soa]))
        }
        guard position.length - position.baseLength + bytes.count <= position.baseLength else { return nil }
        bytes.withUnsafeBytes { position.hash.update(bufferPointer: $0) }
        position.length += bytes.count
        var written = self
        written.unsaved = []
        written.file = position
        return (bytes, written)
    }

    /// Reads a file that ``encoded()`` wrote and ``appending()`` extended, up to the
    /// message boundary where the SHA-256 of the bytes read is `digest`. Anything else is an
    /// error that says where it broke.
    public init(decoding bytes: [UInt8], digest: String) throws(DNSError) {
        guard bytes.starts(with: Journal.header) else {
            throw DNSError(.notAppliedZone, "not a VALON applied zone (the header line is missing)")
        }
        var hash = SHA256()
        Journal.header.withUnsafeBytes { hash.update(bufferPointer: $0) }
        var offset = Journal.header.count
        var base = [DNSResourceRecord]()
        var zone: AppliedZone?
        var zoneName: DNSName?
        var baseLength = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { throw DNSError(.truncated, "a message length is cut off", offset: offset) }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard offset + 2 + length <= bytes.count else { throw DNSError(.truncated, "a message is cut off", offset: offset) }
            let message = try DNSMessage(decoding: Array(bytes[(offset + 2)..<(offset + 2 + length)]))
            guard let question = message.questions.first else { throw DNSError(.notAppliedZone, "a message names no zone", offset: offset) }
            if let zoneName, zoneName != question.name { throw DNSError(.notAppliedZone, "messages name two zones", offset: offset) }
            zoneName = question.name
            switch question.type {
            case .axfr where zone == nil:
                base += message.answers
            case .ixfr:
                if zone == nil {
                    zone = try Self.base(base, zone: question.name, offset: offset)
                    baseLength = offset
                }
                guard let soa = message.additionals.first, case .soa = soa.data else {
                    throw DNSError(.notAppliedZone, "a difference has no SOA", offset: offset)
                }
                do {
                    try zone!.apply([(message.answers, message.authorities)], soa: soa)
                } catch {
                    throw DNSError(.notAppliedZone, "a difference does not apply: \(error)", offset: offset)
                }
            default:
                throw DNSError(.notAppliedZone, "a message of type \(question.type) where the journal has none", offset: offset)
            }
            bytes[offset..<(offset + 2 + length)].withUnsafeBytes { hash.update(bufferPointer: $0) }
            offset += 2 + length
            // Only a whole zone is a state: the base once every AXFR message is read.
            let next = offset + 2 < bytes.count ? Self.questionType(bytes, at: offset) : nil
            if zone == nil, next == .axfr { continue }
            if Journal.Position.hex(hash.finalize()) == digest {
                if zone == nil {
                    zone = try Self.base(base, zone: question.name, offset: offset)
                    baseLength = offset
                }
                zone!.unsaved = []
                zone!.file = Journal.Position(length: offset, baseLength: baseLength, hash: hash)
                self = zone!
                return
            }
        }
        throw DNSError(.notAppliedZone, "the file does not reach the zone the state names (digest \(digest.prefix(12))…)")
    }

    /// The base records as a zone, which must start with its SOA.
    private static func base(_ records: [DNSResourceRecord], zone: DNSName, offset: Int) throws(DNSError) -> AppliedZone {
        guard let first = records.first, first.name == zone, case .soa = first.data else {
            throw DNSError(.notAppliedZone, "the first record is not the SOA of \(zone)", offset: offset)
        }
        return AppliedZone(zone: zone, records: records)
    }

    /// The question type of the framed message at `offset`, read from its first question
    /// (12 header bytes, an uncompressed name, the type) without decoding the message.
    private static func questionType(_ bytes: [UInt8], at offset: Int) -> DNSRecordType? {
        var index = offset + 2 + 12
        while index < bytes.count, bytes[index] != 0 {
            guard bytes[index] < 64 else { return nil }
            index += 1 + Int(bytes[index])
        }
        guard index + 2 < bytes.count else { return nil }
        return DNSRecordType(rawValue: UInt16(bytes[index + 1]) << 8 | UInt16(bytes[index + 2]))
    }
}

extension DNSError.Code {
    /// Bytes that are not an applied zone as ``AppliedZone/encoded()`` writes it.
    public static let notAppliedZone = Self(rawValue: "notAppliedZone")
}
