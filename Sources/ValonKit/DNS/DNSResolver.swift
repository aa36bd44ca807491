/// A stub resolver that asks one DNS server directly (RFC 1035 §7, RFC 7766), over
/// POSIX sockets: UDP with retries and a fallback to TCP when a reply is truncated,
/// many queries pipelined at once, and zone transfers (``transferZone(_:)``, RFC 5936).
///
/// Every blocking socket call runs on a thread of its own, never on Swift's
/// cooperative pool. Replies count only when they come from the server's address and
/// port and carry the query's ID and question; anything else is ignored until the
/// deadline (RFC 5452 §9.1).
///
/// ```swift
/// let resolver = DNSResolver(server: Endpoint("127.0.0.1:53")!)
/// let reply = try await resolver.query(DNSName("_wireguard._udp.valon.internal"), .ptr)
/// ```
public struct DNSResolver: Sendable {
    public var configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public init(server: Endpoint) {
        self.init(configuration: Configuration(server: server))
    }

    /// Asks one question and returns the server's reply: NOERROR (with or without
    /// answers: NODATA) or NXDOMAIN. Other response codes throw (``DNSError/Code/refused``,
    /// ``DNSError/Code/serverFailure``).
    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSMessage {
        try await resolve([question])[0]
    }

    /// Asks for `type` records of `name` in class IN.
    public func query(_ name: DNSName, _ type: DNSRecordType) async throws(DNSError) -> DNSMessage {
        try await query(DNSQuestion(name: name, type: type, dnsClass: .in))
    }

    /// Asks many questions at once and returns the replies in the same order.
    ///
    /// Over UDP, all queries share one socket with at most
    /// ``Configuration/maxOutstandingQueries`` in flight; truncated replies are asked
    /// again over one TCP connection, pipelined (RFC 7766 §6.2.1.1). Throws for the first
    /// question the server refuses or fails.
    public func resolve(_ questions: [DNSQuestion]) async throws(DNSError) -> [DNSMessage] {
        guard !questions.isEmpty else { return [] }
        let configuration = self.configuration
        return try await runBlockingDNSWork { cancellation in
            Result { () throws(DNSError) -> [DNSMessage] in
                var replies: [DNSMessage] = []
                replies.reserveCapacity(questions.count)
                var start = 0
                while start < questions.count {
                    let end = min(start + DNSQueryPipeline.maximumCount, questions.count)
                    replies += try Self.exchange(Array(questions[start..<end]), configuration, cancellation)
                    start = end
                }
                for (question, reply) in zip(questions, replies) {
                    try reply.checkResponseCode(for: question, from: configuration.server)
                }
                return replies
            }
        }
    }

    /// One pipeline's worth of questions: UDP first (unless TCP is configured), then
    /// TCP for whatever came back truncated.
    static func exchange(_ questions: [DNSQuestion], _ configuration: Configuration,
                         _ cancellation: DNSCancellation) throws(DNSError) -> [DNSMessage] {
        var generator = SystemRandomNumberGenerator()
        let edns = configuration.ednsPayloadSize.map { DNSEDNS(udpPayloadSize: $0) }
        var replies: [DNSMessage?] = Array(repeating: nil, count: questions.count)
        var overTCP = Array(questions.indices)
        if configuration.transport == .udp {
            var pipeline = try DNSQueryPipeline(
                questions: questions, edns: edns, window: configuration.maxOutstandingQueries,
                attempts: configuration.attempts, timeout: configuration.timeout, using: &generator)
            try exchangeOverUDP(&pipeline, configuration, cancellation)
            overTCP = []
            for (index, query) in pipeline.queries.enumerated() {
                if query.reply!.header.isTruncated { overTCP.append(index) } else { replies[index] = query.reply }
            }
        }
        if !overTCP.isEmpty {
            var pipeline = try DNSQueryPipeline(
                questions: overTCP.map { questions[$0] }, edns: edns, window: overTCP.count,
                attempts: configuration.attempts, timeout: configuration.timeout, using: &generator)
            try exchangeOverTCP(&pipeline, configuration, cancellation)
            for (index, query) in zip(overTCP, pipeline.queries) { replies[index] = query.reply }
        }
        return replies.map { $0! }
    }
}
