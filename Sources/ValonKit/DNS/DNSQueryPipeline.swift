/// Many queries in flight toward one server, and the bookkeeping that matches replies
/// to them (pure logic: the socket loops in `DNSResolver+UDP` and `+TCP` drive it).
///
/// A reply belongs to a query only when its ID, its single question (names compared
/// case-insensitively, RFC 4343) and the QR bit and opcode agree (RFC 5452 §9.1);
/// anything else is ignored and the query keeps waiting. IDs are random and distinct
/// within the pipeline. At most `window` queries are outstanding at once; one whose
/// reply has not come `timeout` after it was sent is sent again, up to `attempts` times.
struct DNSQueryPipeline {
    struct Query {
        var question: DNSQuestion
        var id: UInt16
        var packet: [UInt8]
        var sends = 0
        var lastSent: ContinuousClock.Instant?
        var reply: DNSMessage?
        /// Why the last reply carrying this query's ID was not taken.
        var problem: DNSError?
    }

    /// What ``accept(_:)`` did with a reply.
    enum Outcome: Equatable {
        case matched(Int)
        case ignored(String)
    }

    private(set) var queries: [Query]
    private var indexByID: [UInt16: Int] = [:]
    private var unsent: [Int]
    private var unsentHead = 0
    /// Sends in the order they happened, as (query, its send count then); the oldest
    /// live one is the next to time out, since every query waits the same `timeout`.
    private var inFlight: [(index: Int, sends: Int)] = []
    private var inFlightHead = 0
    private(set) var outstandingCount = 0
    private(set) var answeredCount = 0
    let window: Int
    let attempts: Int
    let timeout: Duration

    /// The largest number of queries one pipeline holds: IDs must stay distinct.
    static let maximumCount = 32_768

    init<Generator: RandomNumberGenerator>(
        questions: [DNSQuestion], edns: DNSEDNS?, authorities: [DNSResourceRecord] = [], window: Int, attempts: Int,
        timeout: Duration, using generator: inout Generator
    ) throws(DNSError) {
        precondition(questions.count <= Self.maximumCount, "at most \(Self.maximumCount) queries per pipeline")
        precondition(window > 0 && attempts > 0, "window and attempts must be positive")
        self.window = window
        self.attempts = attempts
        self.timeout = timeout
        queries = []
        queries.reserveCapacity(questions.count)
        for question in questions {
            var id = UInt16.random(in: .min ... .max, using: &generator)
            while indexByID[id] != nil { id = UInt16.random(in: .min ... .max, using: &generator) }
            var message = DNSMessage.query(id: id, name: question.name, type: question.type, edns: edns)
            message.questions[0].dnsClass = question.dnsClass
            message.authorities = authorities
            indexByID[id] = queries.count
            queries.append(Query(question: question, id: id, packet: try message.encoded()))
        }
        unsent = Array(queries.indices)
    }

    var isComplete: Bool { answeredCount == queries.count }

    /// The next query to send now, a retransmission first; `nil` when the window is
    /// full or nothing is due. Call ``didSend(_:at:)`` once the socket took it.
    func nextToSend(now: ContinuousClock.Instant) -> Int? {
        if let oldest, queries[oldest].sends < attempts, queries[oldest].lastSent! + timeout <= now { return oldest }
        if outstandingCount < window && unsentHead < unsent.count { return unsent[unsentHead] }
        return nil
    }

    mutating func didSend(_ index: Int, at now: ContinuousClock.Instant) {
        if queries[index].sends == 0 {
            precondition(unsent[unsentHead] == index, "first sends go in order")
            unsentHead += 1
            outstandingCount += 1
        }
        queries[index].sends += 1
        queries[index].lastSent = now
        inFlight.append((index, queries[index].sends))
        pruneInFlight()
    }

    /// When the next retransmission or give-up is due; `nil` when nothing is in flight.
    var nextDeadline: ContinuousClock.Instant? {
        oldest.map { queries[$0].lastSent! + timeout }
    }

    /// A query sent `attempts` times whose last wait is over: the pipeline has failed.
    func exhausted(now: ContinuousClock.Instant) -> Int? {
        guard let oldest, queries[oldest].sends >= attempts, queries[oldest].lastSent! + timeout <= now else { return nil }
        return oldest
    }

    /// The unanswered query sent longest ago.
    private var oldest: Int? {
        inFlightHead < inFlight.count ? inFlight[inFlightHead].index : nil
    }

    private mutating func pruneInFlight() {
        while inFlightHead < inFlight.count {
            let entry = inFlight[inFlightHead]
            if queries[entry.index].reply == nil && queries[entry.index].sends == entry.sends { break }
            inFlightHead += 1
        }
        if inFlightHead > 1024 && inFlightHead * 2 > inFlight.count {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
    }

    /// Makes every query that is sent but unanswered ready to be sent again at once
    /// (a new TCP connection after the server closed the old one).
    mutating func resendOutstanding() {
        let past = ContinuousClock.now - timeout
        for index in queries.indices where queries[index].reply == nil && queries[index].lastSent != nil {
            queries[index].lastSent = past
        }
    }

    /// Matches a received message to its query and keeps it; anything that matches no
    /// waiting query is ignored, with the reason.
    mutating func accept(_ bytes: [UInt8]) -> Outcome {
        guard bytes.count >= 12 else { return .ignored("a \(bytes.count)-byte message is shorter than a DNS header") }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard let index = indexByID[id], queries[index].sends > 0 else { return .ignored("no query with ID \(id)") }
        guard queries[index].reply == nil else { return .ignored("query with ID \(id) already answered") }
        let message: DNSMessage
        do {
            message = try DNSMessage(decoding: bytes)
        } catch {
            queries[index].problem = error
            return .ignored("reply with ID \(id) does not decode: \(error)")
        }
        let question = queries[index].question
        let reason: String? =
            if !message.header.isResponse { "QR bit clear" }
            else if message.header.opcode != .query { "opcode \(message.header.opcode.rawValue)" }
            else if message.questions.count != 1 { "\(message.questions.count) questions" }
            else if message.questions[0] != question { "question \(message.questions[0].name) for \(question.name)" }
            else { nil }
        if let reason {
            queries[index].problem = DNSError(.malformedReply, "reply with ID \(id) does not answer \(question.name) \(question.type): \(reason)")
            return .ignored("reply with ID \(id): \(reason)")
        }
        queries[index].reply = message
        outstandingCount -= 1
        answeredCount += 1
        pruneInFlight()
        return .matched(index)
    }
}
