import NIOCore
import NIOPosix
import ValonKit

extension DNSServer {
    /// Asks the upstreams in order (UDP, a fresh socket and a random ID per query) and
    /// returns the first matching reply with the client's ID and RA set, or SERVFAIL when
    /// none answers in time. Runs on the event loops, never blocking them. A truncated reply
    /// for a client on TCP is asked again over TCP with ValonKit's stub resolver.
    func forward(_ query: DNSMessage, transport: DNSTransport) async -> (reply: [UInt8], rcode: DNSResponseCode) {
        var upstreamQuery = query
        upstreamQuery.header.id = UInt16.random(in: 0...UInt16.max)
        upstreamQuery.header.recursionDesired = query.header.recursionDesired
        if let bytes = try? upstreamQuery.encoded() {
            for upstream in configuration.forwarders {
                guard var reply = try? await exchange(bytes, with: upstream, id: upstreamQuery.header.id),
                      reply.count >= 12 else { continue }
                if transport == .tcp, reply[2] & 0x02 != 0, let whole = await askOverTCP(query, upstream) {
                    reply = whole
                }
                reply[0] = UInt8(query.header.id >> 8)
                reply[1] = UInt8(truncatingIfNeeded: query.header.id)
                reply[3] |= 0x80
                return (reply, DNSResponseCode(rawValue: UInt16(reply[3] & 0x0F)))
            }
        }
        var failure = DNSMessage(header: DNSHeader(id: query.header.id, isResponse: true, opcode: query.header.opcode,
                                                   recursionDesired: query.header.recursionDesired,
                                                   recursionAvailable: true, responseCode: .servFail),
                                 questions: query.questions)
        if query.edns != nil { failure.edns = DNSEDNS(udpPayloadSize: configuration.zone.udpPayloadSize) }
        return ((try? failure.encoded()) ?? [], .servFail)
    }

    /// The whole answer over TCP (RFC 7766 §5), re-encoded for the client; `nil` when the
    /// upstream fails or refuses.
    private func askOverTCP(_ query: DNSMessage, _ upstream: Endpoint) async -> [UInt8]? {
        var configuration = DNSResolver.Configuration(server: upstream)
        configuration.transport = .tcp
        configuration.timeout = self.configuration.forwardTimeout
        configuration.attempts = 1
        guard let question = query.questions.first,
              var reply = try? await DNSResolver(configuration: configuration).query(question) else { return nil }
        reply.header.id = query.header.id
        reply.header.recursionDesired = query.header.recursionDesired
        reply.edns = query.edns.map { _ in DNSEDNS(udpPayloadSize: self.configuration.zone.udpPayloadSize) }
        return try? reply.encoded()
    }

    /// One UDP exchange with `upstream`: the reply whose ID is `id`, or `nil` after the timeout.
    private func exchange(_ query: [UInt8], with upstream: Endpoint, id: UInt16) async throws -> [UInt8]? {
        let remote = try SocketAddress(ipAddress: upstream.address.description, port: Int(upstream.port))
        let local = upstream.address.isIPv4 ? "0.0.0.0" : "::"
        let channel = try await DatagramBootstrap(group: group)
            .bind(host: local, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let timeout = configuration.forwardTimeout
        // The timeout closes the socket: that ends the inbound stream, so a reply that never
        // comes cannot keep the task group (and the client's answer) waiting forever.
        let underlying = channel.channel
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: query)))
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    for try await envelope in inbound where envelope.remoteAddress == remote {
                        let bytes = Array(envelope.data.readableBytesView)
                        if bytes.count >= 12, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id { return bytes }
                    }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    underlying.close(promise: nil)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
    }
}
