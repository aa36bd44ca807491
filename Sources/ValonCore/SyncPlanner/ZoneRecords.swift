/// A zone's records by owner name, the zone's SOA apart: what a zone transfer gave a client,
/// held so that an IXFR difference (RFC 1995 §4: the records deleted, then the records added)
/// applies in time proportional to the difference, and so that the registry read from it
/// (``RegistryIndex``) can look up one owner's records. Pure.
///
/// A record is a set member: the same record twice at one owner is one (RFC 2181 §5: an RRset
/// holds no duplicates), and deleting or adding one costs a hash lookup, also among the one
/// record per peer that some owners hold. The order of the records is not kept; ``records``
/// lists them in an order that is fixed for a value but not specified.
public struct ZoneRecords: Sendable {
    public let zone: DNSName
    /// The zone's SOA: the first SOA record at the apex. Any later SOA at the apex (the closing
    /// SOA of a transfer) is not a record of the zone.
    public private(set) var soa: DNSResourceRecord?
    /// A set per owner: the `_wireguard._udp` browse PTRs and the `_valon._tcp` listing SRVs
    /// are one record per peer at one owner, and a difference adds or deletes among them.
    private var owners: [DNSName: Set<DNSResourceRecord>]
    /// The records besides the SOA.
    public private(set) var count: Int

    /// Why a difference does not apply: it deletes a record the zone does not hold, or adds
    /// one it already holds. The base is not the zone the server's difference starts from.
    public struct Mismatch: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(zone: DNSName, records: [DNSResourceRecord]) {
        self.zone = zone
        owners = [:]
        owners.reserveCapacity(records.count / 2)
        count = 0
        for record in records {
            if record.name == zone, case .soa = record.data {
                if soa == nil { soa = record }
                continue
            }
            if owners[record.name, default: []].insert(record).inserted { count += 1 }
        }
    }

    /// The SOA serial, when the zone has its SOA.
    public var serial: UInt32? {
        guard let soa, case .soa(let data) = soa.data else { return nil }
        return data.serial
    }

    /// The records of one owner name (case-insensitive, RFC 4343), none when it has none.
    public subscript(owner: DNSName) -> Set<DNSResourceRecord> {
        owners[owner] ?? []
    }

    /// Every owner name that has records (the SOA's apart).
    public var ownerNames: Dictionary<DNSName, Set<DNSResourceRecord>>.Keys { owners.keys }

    /// Every record, the SOA first when there is one.
    public var records: [DNSResourceRecord] {
        var all = [DNSResourceRecord]()
        all.reserveCapacity(count + 1)
        if let soa { all.append(soa) }
        for records in owners.values { all += records }
        return all
    }

    /// Applies one difference: `deleted` go, then `added` come, and `soa` becomes the zone's
    /// SOA. Returns the owner names whose records changed. On a ``Mismatch`` the records are
    /// left partly changed: the caller reads the whole zone instead.
    public mutating func apply(deleted: [DNSResourceRecord], added: [DNSResourceRecord],
                               soa newSOA: DNSResourceRecord) throws(Mismatch) -> Set<DNSName> {
        var touched = Set<DNSName>()
        for record in deleted {
            guard owners[record.name]?.remove(record) != nil else {
                throw Mismatch(description: "the difference deletes \(record), which the applied zone does not hold")
            }
            if owners[record.name]!.isEmpty { owners[record.name] = nil }
            count -= 1
            touched.insert(record.name)
        }
        for record in added {
            guard owners[record.name, default: []].insert(record).inserted else {
                throw Mismatch(description: "the difference adds \(record), which the applied zone already holds")
            }
            count += 1
            touched.insert(record.name)
        }
        soa = newSOA
        return touched
    }
}

extension ZoneRecords: Equatable {
    /// The same zone, SOA and records, in any order.
    public static func == (lhs: ZoneRecords, rhs: ZoneRecords) -> Bool {
        guard lhs.zone == rhs.zone, lhs.soa == rhs.soa, lhs.count == rhs.count, lhs.owners.count == rhs.owners.count else { return false }
        for (owner, records) in lhs.owners {
            guard rhs.owners[owner] == records else { return false }
        }
        return true
    }
}
