extension DNSResolver {
    /// Transfers the whole zone `zone` from the server over TCP (AXFR, RFC 5936) and
    /// returns its records. The transfer may span many messages; it fails with
    /// ``DNSError/Code/refused`` when the server will not give it, with
    /// ``DNSError/Code/transferFailed`` when the server breaks off or breaks RFC 5936 §2.2,
    /// or the ``Configuration/zoneTransferLimits`` are exceeded, and with
    /// ``DNSError/Code/malformedReply`` when a message does not decode.
    public func transferZone(_ zone: DNSName) async throws(DNSError) -> DNSZoneTransfer {
        let configuration = self.configuration
        return try await runBlockingDNSWork { cancellation in
            Result { () throws(DNSError) -> DNSZoneTransfer in
                try Self.transferZone(zone, configuration, cancellation)
            }
        }
    }

    static func transferZone(_ zone: DNSName, _ configuration: Configuration,
                             _ cancellation: DNSCancellation) throws(DNSError) -> DNSZoneTransfer {
        let id = UInt16.random(in: .min ... .max)
        let query = try DNSMessage.query(id: id, name: zone, type: .axfr, edns: nil).encoded()
        var collector = DNSZoneTransferCollector(
            zone: zone, queryID: id, limits: configuration.zoneTransferLimits, server: configuration.server.description)
        try runTransfer(query, kind: "AXFR", zone: zone, collector: &collector, configuration, cancellation)
        return DNSZoneTransfer(zone: zone, records: collector.records,
                               messageCount: collector.messageCount, byteCount: collector.byteCount)
    }

    /// Sends `query` over one TCP connection and feeds every message of the answer to
    /// `collector` until it is complete; a connection that closes, goes silent or breaks
    /// the time limit first is an error that says how far the transfer got.
    static func runTransfer<Collector: DNSTransferCollecting>(
        _ query: [UInt8], kind: String, zone: DNSName, collector: inout Collector,
        _ configuration: Configuration, _ cancellation: DNSCancellation
    ) throws(DNSError) {
        let server = configuration.server
        let overall = ContinuousClock.now + configuration.zoneTransferLimits.timeLimit
        do {
            let connection = try DNSTCPConnection(
                server: server, deadline: min(.now + configuration.timeout, overall), cancellation: cancellation)
            connection.enqueue(query)
            while !collector.isComplete {
                try collector.accept(try connection.nextMessage(until: min(.now + configuration.timeout, overall)))
            }
        } catch let error as DNSError {
            throw error
        } catch let error as DNSTransportFailure {
            let progress = "after \(collector.messageCount) messages and \(collector.recordCount) records"
            switch error {
            case .closed(let midMessage):
                throw DNSError(.transferFailed,
                               "\(kind) of \(zone) from \(server): the server closed the connection "
                                   + "\(midMessage ? "in the middle of a message " : "")\(progress), before the closing SOA")
            case .timedOut:
                let limit = ContinuousClock.now >= overall ? "the transfer's time limit" : "\(configuration.timeout) of silence"
                throw DNSError(.timeout, "\(kind) of \(zone) from \(server): \(limit) \(progress)")
            case .cancelled:
                throw cancelledError(server: server)
            case .system(let cause):
                var failure = networkError(cause, server: server, over: "TCP")
                failure.message = "\(kind) of \(zone): " + failure.message + " \(progress)"
                throw failure
            }
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }
}
