/// The zone a client last applied, kept so that the next read can be an IXFR (RFC 1995;
/// docs/ARCHITECTURE.md §12): the records as the transfer gave them, the zone's SOA first,
/// and the serial. ``applying(_:soa:)`` turns it into the next zone from an IXFR's
/// differences; a difference that does not fit this base (a record to delete that is not
/// here, one to add that already is) says so, and the caller reads the whole zone instead.
///
/// On disk it is ``encoded()``: a header line, then the records in DNS messages behind a
/// 2-byte length (RFC 1035 §4.2.2 framing), so that the codec that reads transfers reads
/// it back. ``digest(of:)`` of those bytes goes in the client's state file, which catches a
/// zone file that was damaged or belongs to another state.
public struct AppliedZone: Hashable, Sendable {
    public var zone: DNSName
    /// The zone's SOA first, then every other record.
    public var records: [DNSResourceRecord]

    public init(zone: DNSName, records: [DNSResourceRecord]) {
        self.zone = zone
        self.records = records
    }

    /// The SOA serial of the first record, if it is the zone's SOA.
    public var serial: UInt32? {
        guard let first = records.first, first.name == zone, case .soa(let soa) = first.data else { return nil }
        return soa.serial
    }

    /// The client's SOA, as an IXFR query carries it.
    public var soa: DNSSOA? {
        guard let first = records.first, case .soa(let soa) = first.data else { return nil }
        return soa
    }

    /// Why a difference does not apply.
    public struct Mismatch: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The zone after `differences` (each deletes, then adds), with `soa` as its new SOA.
    public func applying(_ differences: [(deleted: [DNSResourceRecord], added: [DNSResourceRecord])],
                         soa: DNSResourceRecord) throws(Mismatch) -> AppliedZone {
        var present = [DNSResourceRecord: Int](minimumCapacity: records.count)
        var ordered = Array(records.dropFirst())
        for (index, record) in ordered.enumerated() { present[record] = index }
        var removed = Set<Int>()
        for difference in differences {
            for record in difference.deleted {
                guard let index = present.removeValue(forKey: record) else {
                    throw Mismatch(description: "the difference deletes \(record), which the applied zone does not hold")
                }
                removed.insert(index)
            }
            for record in difference.added {
                guard present[record] == nil else {
                    throw Mismatch(description: "the difference adds \(record), which the applied zone already holds")
                }
                present[record] = ordered.count
                ordered.append(record)
            }
        }
        let kept = ordered.enumerated().compactMap { removed.contains($0.offset) ? nil : $0.element }
        return AppliedZone(zone: zone, records: [soa] + kept)
    }

    static let header = Array("VALON applied zone 1\n".utf8)
    static let recordsPerMessage = 200

    /// The bytes of the file: the header, then length-prefixed messages of records.
    public func encoded() throws(DNSError) -> [UInt8] {
        var bytes = Self.header
        var start = 0
        repeat {
            let end = min(start + Self.recordsPerMessage, records.count)
            let message = DNSMessage(header: DNSHeader(id: 0, isResponse: true), questions: [DNSQuestion(name: zone, type: .axfr)],
                                     answers: Array(records[start..<end]))
            let encoded = try message.encoded()
            bytes += [UInt8(encoded.count >> 8), UInt8(encoded.count & 0xFF)] + encoded
            start = end
        } while start < records.count
        return bytes
    }

    /// Reads what ``encoded()`` wrote; anything else is an error that says where it broke.
    public init(decoding bytes: [UInt8]) throws(DNSError) {
        guard bytes.starts(with: Self.header) else {
            throw DNSError(.notAppliedZone, "not a VALON applied zone (the header line is missing)")
        }
        var offset = Self.header.count
        var records = [DNSResourceRecord]()
        var zone: DNSName?
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { throw DNSError(.truncated, "a message length is cut off", offset: offset) }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard offset + 2 + length <= bytes.count else { throw DNSError(.truncated, "a message is cut off", offset: offset) }
            let message = try DNSMessage(decoding: Array(bytes[(offset + 2)..<(offset + 2 + length)]))
            guard let question = message.questions.first else { throw DNSError(.notAppliedZone, "a message names no zone", offset: offset) }
            if let zone, zone != question.name { throw DNSError(.notAppliedZone, "messages name two zones", offset: offset) }
            zone = question.name
            records += message.answers
            offset += 2 + length
        }
        guard let zone else { throw DNSError(.notAppliedZone, "no records") }
        self.init(zone: zone, records: records)
        guard serial != nil else { throw DNSError(.notAppliedZone, "the first record is not the SOA of \(zone)") }
    }

    /// The SHA-256 (FIPS 180-4) of `bytes`, in hex.
    public static func digest(of bytes: [UInt8]) -> String {
        SyncFingerprint.sha256Hex(bytes)
    }
}

extension DNSError.Code {
    /// Bytes that are not an applied zone as ``AppliedZone/encoded()`` writes it.
    public static let notAppliedZone = Self(rawValue: "notAppliedZone")
}
