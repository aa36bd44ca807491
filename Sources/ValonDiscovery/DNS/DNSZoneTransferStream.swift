import ValonKit

/// A zone transfer's messages, made lazily: a 100,000-peer zone (1.7 million records) is
/// never held in memory at once; the server writes each message as the connection takes it.
/// With a ``DNSZoneDifference`` it is an incremental transfer (RFC 1995 §4) instead.
public struct DNSZoneTransferStream: Sequence, Sendable, Equatable {
    let responder: DNSZoneResponder
    /// The first message's header and question; later messages carry no question.
    let response: DNSMessage
    let snapshot: RegistrySnapshot
    /// The difference an IXFR answers with; `nil` for the whole zone.
    public let difference: DNSZoneDifference?

    init(responder: DNSZoneResponder, response: DNSMessage, snapshot: RegistrySnapshot, difference: DNSZoneDifference? = nil) {
        self.responder = responder
        self.response = response
        self.snapshot = snapshot
        self.difference = difference
    }

    /// Two transfers are equal when they answer the same query from the same revision with
    /// the same difference.
    public static func == (lhs: DNSZoneTransferStream, rhs: DNSZoneTransferStream) -> Bool {
        lhs.response == rhs.response && lhs.snapshot.revision == rhs.snapshot.revision && lhs.difference == rhs.difference
    }

    public func makeIterator() -> Iterator {
        Iterator(transfer: self, records: Records(responder: responder, snapshot: snapshot, difference: difference))
    }

    /// The messages, each with up to ``DNSZone/transferRecordsPerMessage`` records.
    public struct Iterator: IteratorProtocol {
        let transfer: DNSZoneTransferStream
        var records: Records
        var first = true

        public mutating func next() -> [UInt8]? {
            var answers = [DNSResourceRecord]()
            while answers.count < Swift.max(1, transfer.responder.zone.transferRecordsPerMessage), let record = records.next() {
                answers.append(record)
            }
            guard !answers.isEmpty else { return nil }
            var message = transfer.response
            if !first { message.questions = [] }
            first = false
            message.answers = answers
            return transfer.responder.encode(message)
        }
    }

    /// The zone's records in transfer order: the apex, one browse PTR per peer, one
    /// `_valon._tcp` SRV per peer, each peer's names, and the SOA again. With a difference:
    /// `SOA(new) SOA(old) deleted… SOA(new) added… SOA(new)` (RFC 1995 §4).
    struct Records: Sequence, IteratorProtocol {
        let responder: DNSZoneResponder
        let snapshot: RegistrySnapshot
        private var pending: [DNSResourceRecord]
        private var stage = 0
        private var index = 0

        init(responder: DNSZoneResponder, snapshot: RegistrySnapshot, difference: DNSZoneDifference? = nil) {
            self.responder = responder
            self.snapshot = snapshot
            guard let difference else {
                pending = responder.apexRecords(snapshot: snapshot).reversed()
                return
            }
            let new = responder.zone.soa(serial: difference.toSerial)
            var records = [new, responder.zone.soa(serial: difference.fromSerial)]
            records += difference.deleted
            records.append(new)
            records += difference.added
            records.append(new)
            pending = records.reversed()
            stage = 4
        }

        mutating func next() -> DNSResourceRecord? {
            while pending.isEmpty {
                let peers = snapshot.peers
                switch stage {
                case 0 where index < peers.count:
                    if let record = responder.browseRecord(peers[index]) { pending = [record] }
                    index += 1
                case 1 where index < peers.count:
                    pending = [responder.listingRecord(peers[index])]
                    index += 1
                case 2 where index < peers.count:
                    pending = responder.peerRecords(peers[index], snapshot: snapshot).reversed()
                    index += 1
                case 0, 1, 2:
                    stage += 1
                    index = 0
                case 3:
                    pending = [responder.zone.soa(serial: snapshot.serial)]
                    stage = 4
                default:
                    return nil
                }
            }
            return pending.removeLast()
        }
    }
}
