/// A whole zone as an AXFR returned it (RFC 5936).
public struct DNSZoneTransfer: Hashable, Sendable {
    /// The zone's apex.
    public var zone: DNSName
    /// Every record in the order the server sent it, starting with the zone's SOA; the
    /// closing copy of the SOA that ends the transfer is not repeated.
    public var records: [DNSResourceRecord]
    /// How many messages carried the transfer.
    public var messageCount: Int
    /// The bytes of those messages, without the TCP length prefixes.
    public var byteCount: Int

    public init(zone: DNSName, records: [DNSResourceRecord], messageCount: Int, byteCount: Int) {
        self.zone = zone
        self.records = records
        self.messageCount = messageCount
        self.byteCount = byteCount
    }

    /// The zone's SOA record, the first of ``records``.
    public var soa: DNSResourceRecord { records[0] }
}

/// Takes the messages of one AXFR response in turn and checks them against RFC 5936
/// §2.2: every message answers the query (same ID, QR set, NOERROR, the question echoed
/// or absent after the first), the first record is the zone's SOA, and the transfer ends
/// with the next SOA of the zone as the last record of its message. Pure logic; the TCP
/// loop in `DNSResolver+ZoneTransfer` feeds it.
/// What the transfer loop (``DNSResolver/runTransfer(_:kind:zone:collector:_:_:)``) feeds:
/// the messages of one AXFR or IXFR answer, in turn.
protocol DNSTransferCollecting {
    mutating func accept(_ bytes: [UInt8]) throws(DNSError)
    var isComplete: Bool { get }
    var messageCount: Int { get }
    var recordCount: Int { get }
}

struct DNSZoneTransferCollector: DNSTransferCollecting {
    private var reader: DNSTransferMessageReader
    private(set) var records: [DNSResourceRecord] = []
    private(set) var isComplete = false
    var recordCount: Int { records.count }
    var messageCount: Int { reader.messageCount }
    var byteCount: Int { reader.byteCount }

    init(zone: DNSName, queryID: UInt16, limits: DNSZoneTransferLimits, server: String) {
        reader = DNSTransferMessageReader(question: DNSQuestion(name: zone, type: .axfr, dnsClass: .in),
                                          queryID: queryID, limits: limits, server: server)
    }

    /// Takes the next message; after it, ``isComplete`` says whether the closing SOA came.
    mutating func accept(_ bytes: [UInt8]) throws(DNSError) {
        precondition(!isComplete, "the transfer is complete")
        let message = try reader.read(bytes)
        let zone = reader.question.name
        for (position, record) in message.answers.enumerated() {
            let isZoneSOA = record.type == .soa && record.name == zone
            if records.isEmpty {
                guard isZoneSOA else { throw reader.failure("the first record is \(record.name) \(record.type), not the SOA of the zone") }
            } else if isZoneSOA {
                guard position == message.answers.count - 1 else {
                    throw reader.failure("\(message.answers.count - 1 - position) records follow the closing SOA in message \(messageCount)")
                }
                isComplete = true
                return
            }
            if records.count == reader.limits.maxRecords { throw reader.failure("more than \(reader.limits.maxRecords) records") }
            records.append(record)
        }
    }
}

/// The checks every message of a transfer's answer passes (RFC 5936 §2.2, RFC 1995 §4):
/// the limits, that it decodes, that it answers the query (same ID, QR set, NOERROR, the
/// question echoed or absent after the first) and that the first one holds records.
struct DNSTransferMessageReader {
    let question: DNSQuestion
    let queryID: UInt16
    let limits: DNSZoneTransferLimits
    let server: String
    private(set) var messageCount = 0
    private(set) var byteCount = 0

    init(question: DNSQuestion, queryID: UInt16, limits: DNSZoneTransferLimits, server: String) {
        self.question = question
        self.queryID = queryID
        self.limits = limits
        self.server = server
    }

    /// The next message, decoded and checked.
    mutating func read(_ bytes: [UInt8]) throws(DNSError) -> DNSMessage {
        messageCount += 1
        byteCount += bytes.count
        if messageCount > limits.maxMessages { throw failure("more than \(limits.maxMessages) messages") }
        if byteCount > limits.maxBytes { throw failure("more than \(limits.maxBytes) bytes") }
        let message: DNSMessage
        do {
            message = try DNSMessage(decoding: bytes)
        } catch {
            throw DNSError(.malformedReply, "\(question.type) of \(question.name) from \(server): message \(messageCount) does not decode: \(error.message)",
                           offset: error.offset)
        }
        let header = message.header
        guard header.id == queryID else { throw failure("message \(messageCount) has ID \(header.id), the query had \(queryID)") }
        guard header.isResponse, header.opcode == .query else { throw failure("message \(messageCount) is not a query response") }
        switch message.responseCode {
        case .noError: break
        case .refused, .notAuth:
            throw DNSError(.refused, "\(server) refused the \(question.type) of \(question.name) (\(message.responseCode))")
        default:
            throw DNSError(.serverFailure, "\(server) answered \(message.responseCode) to the \(question.type) of \(question.name)")
        }
        let echoes = message.questions.count == 1 && message.questions[0] == question
        guard echoes || (message.questions.isEmpty && messageCount > 1) else {
            throw failure("message \(messageCount) does not carry the question \(question.name) \(question.type)")
        }
        if messageCount == 1 && message.answers.isEmpty { throw failure("the first message has no records") }
        return message
    }

    func failure(_ what: String) -> DNSError {
        DNSError(.transferFailed, "\(question.type) of \(question.name) from \(server): \(what)")
    }
}
