extension DNSResolver {
    /// Runs a pipeline over one TCP connection (RFC 7766 §6.2.1.1: all queries written
    /// at once, replies taken in any order). When the server closes the connection
    /// before every reply came, the unanswered queries go out again on a new one, up
    /// to ``Configuration/attempts`` connections.
    static func exchangeOverTCP(_ pipeline: inout DNSQueryPipeline, _ configuration: Configuration,
                                _ cancellation: DNSCancellation) throws(DNSError) {
        let server = configuration.server
        var connections = 0
        while !pipeline.isComplete {
            connections += 1
            let answeredBefore = pipeline.answeredCount
            do {
                let connection = try DNSTCPConnection(
                    server: server, deadline: .now + configuration.timeout, cancellation: cancellation)
                for index in pipeline.queries.indices where pipeline.queries[index].reply == nil {
                    connection.enqueue(pipeline.queries[index].packet)
                    pipeline.didSend(index, at: .now)
                }
                while !pipeline.isComplete {
                    _ = pipeline.accept(try connection.nextMessage(until: .now + configuration.timeout))
                }
            } catch {
                // A connection that made progress does not use up an attempt.
                if pipeline.answeredCount > answeredBefore { connections -= 1 }
                let waiting = pipeline.queries.first { $0.reply == nil }!
                switch error {
                case .closed where connections < configuration.attempts:
                    continue
                case .closed(let midMessage):
                    throw DNSError(
                        .network,
                        "\(server) closed the TCP connection \(midMessage ? "in the middle of a reply" : "before replying") "
                            + "to \(waiting.question.name) \(waiting.question.type) (\(connections) connections)")
                case .timedOut:
                    throw timeoutError(waiting, server: server, over: "TCP", tries: connections)
                case .cancelled:
                    throw cancelledError(server: server)
                case .system(let cause):
                    throw networkError(cause, server: server, over: "TCP")
                }
            }
        }
    }
}
