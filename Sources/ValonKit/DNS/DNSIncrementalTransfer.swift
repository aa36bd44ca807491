/// What an IXFR (RFC 1995) answered.
public enum DNSIncrementalTransfer: Hashable, Sendable {
    /// The SOA alone (§2): the server's serial is this one. Equal to the client's: nothing
    /// changed; anything else: the server cannot say what changed, read the whole zone.
    case current(serial: UInt32)
    /// The whole zone, AXFR-style (§4).
    case full(DNSZoneTransfer)
    /// Differences from the client's serial to ``serial``, in order (§4); each deletes its
    /// records from the zone, then adds its records.
    case differences(serial: UInt32, soa: DNSResourceRecord, [Difference], messageCount: Int, byteCount: Int)

    /// One difference sequence: from serial `from` to serial `to`.
    public struct Difference: Hashable, Sendable {
        public var from: UInt32
        public var to: UInt32
        public var deleted: [DNSResourceRecord]
        public var added: [DNSResourceRecord]

        public init(from: UInt32, to: UInt32, deleted: [DNSResourceRecord], added: [DNSResourceRecord]) {
            self.from = from
            self.to = to
            self.deleted = deleted
            self.added = added
        }
    }
}

/// Reads one IXFR answer (RFC 1995 §4) message by message. The first record is the zone's
/// SOA with the server's serial N. Then:
/// - nothing more (the message ends): ``DNSIncrementalTransfer/current(serial:)``;
/// - an SOA with the client's serial: differences, each `SOA(from) deleted… SOA(to)
///   added…`, the whole ending with SOA(N) where the next difference would start;
/// - anything else: the zone's records, AXFR-style, up to SOA(N).
///
/// The limits and every message's header are checked as for AXFR (``DNSTransferMessageReader``).
struct DNSIncrementalTransferCollector: DNSTransferCollecting {
    private var reader: DNSTransferMessageReader
    let clientSerial: UInt32
    private(set) var isComplete = false
    private(set) var recordCount = 0

    private enum Stage {
        case start
        /// The first SOA came; the second record decides.
        case afterFirst
        case full
        case deleting
        case adding
    }

    private var stage = Stage.start
    private var soa: DNSResourceRecord?
    private var serverSerial: UInt32 = 0
    private var records: [DNSResourceRecord] = []
    private var differences: [DNSIncrementalTransfer.Difference] = []

    init(zone: DNSName, clientSerial: UInt32, queryID: UInt16, limits: DNSZoneTransferLimits, server: String) {
        reader = DNSTransferMessageReader(question: DNSQuestion(name: zone, type: .ixfr, dnsClass: .in),
                                          queryID: queryID, limits: limits, server: server)
        self.clientSerial = clientSerial
    }

    var messageCount: Int { reader.messageCount }

    /// The answer, once ``isComplete``.
    var result: DNSIncrementalTransfer? {
        guard isComplete, let soa else { return nil }
        switch stage {
        case .afterFirst: return .current(serial: serverSerial)
        case .full:
            return .full(DNSZoneTransfer(zone: reader.question.name, records: [soa] + records,
                                         messageCount: reader.messageCount, byteCount: reader.byteCount))
        default:
            return .differences(serial: serverSerial, soa: soa, differences,
                                messageCount: reader.messageCount, byteCount: reader.byteCount)
        }
    }

    mutating func accept(_ bytes: [UInt8]) throws(DNSError) {
        precondition(!isComplete, "the transfer is complete")
        let message = try reader.read(bytes)
        let zone = reader.question.name
        for (position, record) in message.answers.enumerated() {
            let last = position == message.answers.count - 1
            let zoneSerial: UInt32? = if record.type == .soa, record.name == zone, case .soa(let data) = record.data { data.serial } else { nil }
            recordCount += 1
            if recordCount > reader.limits.maxRecords { throw reader.failure("more than \(reader.limits.maxRecords) records") }
            switch stage {
            case .start:
                guard let zoneSerial else { throw reader.failure("the first record is \(record.name) \(record.type), not the SOA of the zone") }
                soa = record
                serverSerial = zoneSerial
                stage = .afterFirst
                if last && message.answers.count == 1 && reader.messageCount == 1 {
                    // RFC 1995 §2: the SOA alone, in a message of its own.
                    isComplete = true
                    return
                }
            case .afterFirst:
                if zoneSerial == clientSerial && zoneSerial != serverSerial {
                    differences.append(.init(from: clientSerial, to: clientSerial, deleted: [], added: []))
                    stage = .deleting
                } else {
                    stage = .full
                    try acceptFull(record, zoneSerial: zoneSerial, last: last)
                }
            case .full:
                try acceptFull(record, zoneSerial: zoneSerial, last: last)
            case .deleting:
                if let zoneSerial {
                    differences[differences.count - 1].to = zoneSerial
                    stage = .adding
                } else {
                    differences[differences.count - 1].deleted.append(record)
                }
            case .adding:
                guard let zoneSerial else {
                    differences[differences.count - 1].added.append(record)
                    continue
                }
                if zoneSerial == serverSerial {
                    guard last else { throw reader.failure("records follow the closing SOA in message \(messageCount)") }
                    guard differences.last?.to == serverSerial else {
                        throw reader.failure("the differences end at serial \(differences.last?.to ?? 0), not at the server's \(serverSerial)")
                    }
                    isComplete = true
                    return
                }
                guard zoneSerial == differences.last?.to else {
                    throw reader.failure("a difference starts at serial \(zoneSerial), the one before ended at \(differences.last?.to ?? 0)")
                }
                differences.append(.init(from: zoneSerial, to: zoneSerial, deleted: [], added: []))
                stage = .deleting
            }
        }
    }

    private mutating func acceptFull(_ record: DNSResourceRecord, zoneSerial: UInt32?, last: Bool) throws(DNSError) {
        guard zoneSerial != nil else {
            records.append(record)
            return
        }
        guard last else { throw reader.failure("records follow the closing SOA in message \(messageCount)") }
        isComplete = true
    }
}

extension DNSResolver {
    /// Asks the server for the changes to `zone` since `serial` (IXFR, RFC 1995) and returns
    /// what it answered: the serial alone, the whole zone, or the differences.
    ///
    /// Over UDP first, unless TCP is configured (§2: "If an IXFR query is via UDP, the IXFR
    /// server may attempt to reply using UDP if the entire response can be contained in a
    /// single DNS packet"): a change or two fits one datagram, and a follower costs the node
    /// no TCP connection. A truncated answer, or the SOA alone with a serial other than the
    /// client's (§2: the answer did not fit, "a TCP query should be initiated"), asks again
    /// over TCP.
    public func incrementalTransfer(_ zone: DNSName, from serial: UInt32, soa: DNSSOA) async throws(DNSError) -> DNSIncrementalTransfer {
        let configuration = self.configuration
        return try await runBlockingDNSWork { cancellation in
            Result { () throws(DNSError) -> DNSIncrementalTransfer in
                var clientSOA = soa
                clientSOA.serial = serial
                let authority = DNSResourceRecord(name: zone, ttl: 0, data: .soa(clientSOA))
                if configuration.transport == .udp,
                   let answer = try Self.incrementalTransferOverUDP(zone, from: serial, authority: authority, configuration, cancellation) {
                    return answer
                }
                let id = UInt16.random(in: .min ... .max)
                var query = DNSMessage.query(id: id, name: zone, type: .ixfr, edns: nil)
                query.authorities = [authority]
                var collector = DNSIncrementalTransferCollector(zone: zone, clientSerial: serial, queryID: id,
                                                                limits: configuration.zoneTransferLimits,
                                                                server: configuration.server.description)
                try Self.runTransfer(try query.encoded(), kind: "IXFR", zone: zone, collector: &collector, configuration, cancellation)
                return collector.result!
            }
        }
    }

    /// The IXFR over UDP: the answer, or `nil` when it must be asked over TCP.
    static func incrementalTransferOverUDP(_ zone: DNSName, from serial: UInt32, authority: DNSResourceRecord,
                                           _ configuration: Configuration, _ cancellation: DNSCancellation) throws(DNSError) -> DNSIncrementalTransfer? {
        var generator = SystemRandomNumberGenerator()
        var pipeline = try DNSQueryPipeline(
            questions: [DNSQuestion(name: zone, type: .ixfr)], edns: configuration.ednsPayloadSize.map { DNSEDNS(udpPayloadSize: $0) },
            authorities: [authority], window: 1, attempts: configuration.attempts, timeout: configuration.timeout, using: &generator)
        try exchangeOverUDP(&pipeline, configuration, cancellation)
        let query = pipeline.queries[0]
        guard var reply = query.reply, !reply.header.isTruncated else { return nil }
        reply.additionals.removeAll { $0.type == .opt }
        var collector = DNSIncrementalTransferCollector(zone: zone, clientSerial: serial, queryID: query.id,
                                                        limits: configuration.zoneTransferLimits,
                                                        server: configuration.server.description)
        try collector.accept(try reply.encoded())
        guard collector.isComplete, let result = collector.result else { return nil }
        if case .current(let current) = result, current != serial { return nil }
        return result
    }
}
