#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import ValonKit

/// Forwards queries for names outside the zone to upstream resolvers (the seed's
/// `.:53 { forward … }`), entirely on the event loop of the client's channel.
///
/// Nothing here runs on Swift's cooperative pool: a forwarded answer must not wait for
/// threads that other work of the process (an etcd call, a blocking library) may hold.
/// Upstreams are asked in order, each over a fresh connected UDP socket with a random ID
/// (RFC 5452 §9.2); a reply counts only when its ID and question match the query. A reply
/// with TC set is asked again over TCP when the client came over TCP (RFC 7766 §5). An
/// upstream that is silent for ``timeout`` or refuses (ICMP port unreachable) is skipped;
/// when none answers the client gets SERVFAIL with RA set.
struct DNSForwarder: Sendable {
    /// The upstream resolvers, asked in this order.
    var upstreams: [Endpoint]
    /// How long one upstream may take, per transport attempt.
    var timeout: TimeAmount
    /// The UDP payload size advertised in a SERVFAIL answer to an EDNS client.
    var udpPayloadSize: UInt16

    /// What the client receives: the upstream's reply under the client's ID with RA set, or
    /// SERVFAIL; and the response code, for the metrics.
    struct Answer: Sendable {
        var reply: [UInt8]
        var rcode: DNSResponseCode
    }

    /// Forwards `query`, which came from a client over `transport`, and answers on `eventLoop`.
    func forward(_ query: DNSMessage, transport: DNSTransport, on eventLoop: any EventLoop) -> EventLoopFuture<Answer> {
        var upstreamQuery = query
        upstreamQuery.header.id = UInt16.random(in: 0...UInt16.max)
        guard let bytes = try? upstreamQuery.encoded(), let match = UpstreamReplyMatch(query: upstreamQuery) else {
            return eventLoop.makeSucceededFuture(serverFailure(for: query))
        }
        return ask(upstreams[...], bytes, match: match, transport: transport, on: eventLoop).map { reply in
            guard var reply else { return serverFailure(for: query) }
            reply[0] = UInt8(query.header.id >> 8)
            reply[1] = UInt8(truncatingIfNeeded: query.header.id)
            reply[3] |= 0x80
            return Answer(reply: reply, rcode: DNSResponseCode(rawValue: UInt16(reply[3] & 0x0F)))
        }
    }

    /// The first matching reply of `remaining` upstreams, or `nil`.
    private func ask(_ remaining: ArraySlice<Endpoint>, _ query: [UInt8], match: UpstreamReplyMatch,
                     transport: DNSTransport, on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]?> {
        guard let upstream = remaining.first, let remote = try? SocketAddress(upstream) else {
            return remaining.isEmpty ? eventLoop.makeSucceededFuture(nil)
                : ask(remaining.dropFirst(), query, match: match, transport: transport, on: eventLoop)
        }
        return exchangeOverUDP(query, with: remote, match: match, on: eventLoop).flatMap { reply in
            guard let reply else {
                return ask(remaining.dropFirst(), query, match: match, transport: transport, on: eventLoop)
            }
            guard transport == .tcp, reply[2] & 0x02 != 0 else { return eventLoop.makeSucceededFuture(reply) }
            // The client can take the whole answer: fetch it over TCP; keep the truncated one
            // when the upstream does not speak TCP.
            return exchangeOverTCP(query, with: remote, match: match, on: eventLoop).map { $0 ?? reply }
        }
    }

    /// One query over a fresh UDP socket connected to `remote`.
    private func exchangeOverUDP(_ query: [UInt8], with remote: SocketAddress, match: UpstreamReplyMatch,
                                 on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]?> {
        let exchange = UpstreamExchange(match: match, promise: eventLoop.makePromise(), timeout: timeout)
        DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamDatagramHandler(exchange: exchange))
                }
            }
            .connect(to: remote)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    exchange.start(on: channel)
                    channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: query)),
                                          promise: nil)
                case .failure:
                    exchange.finish(nil)
                }
            }
        return exchange.promise.futureResult
    }

    /// One query over a fresh TCP connection to `remote`, 2-byte length framing (RFC 1035 §4.2.2).
    private func exchangeOverTCP(_ query: [UInt8], with remote: SocketAddress, match: UpstreamReplyMatch,
                                 on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]?> {
        let exchange = UpstreamExchange(match: match, promise: eventLoop.makePromise(), timeout: timeout)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try sync.addHandler(UpstreamStreamHandler(exchange: exchange))
                }
            }
            .connect(to: remote)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    exchange.start(on: channel)
                    channel.writeAndFlush(framedDNSMessage(query, allocator: channel.allocator), promise: nil)
                case .failure:
                    exchange.finish(nil)
                }
            }
        return exchange.promise.futureResult
    }

    /// SERVFAIL for `query`, with RA, and an OPT record when the client sent one.
    func serverFailure(for query: DNSMessage) -> Answer {
        var failure = DNSMessage(header: DNSHeader(id: query.header.id, isResponse: true, opcode: query.header.opcode,
                                                   recursionDesired: query.header.recursionDesired,
                                                   recursionAvailable: true, responseCode: .servFail),
                                 questions: query.questions)
        if query.edns != nil { failure.edns = DNSEDNS(udpPayloadSize: udpPayloadSize) }
        return Answer(reply: (try? failure.encoded()) ?? [], rcode: .servFail)
    }
}

/// Which upstream replies belong to a query: same ID, a response, and the same question
/// section (RFC 5452 §9.1; names compared without regard to ASCII case, RFC 4343).
struct UpstreamReplyMatch: Sendable {
    let id: UInt16
    /// The question section as the query encodes it (no compression: it is the first name).
    let question: [UInt8]

    init?(query: DNSMessage) {
        let bare = DNSMessage(header: DNSHeader(id: query.header.id), questions: query.questions)
        guard let bytes = try? bare.encoded(), bytes.count > 12 else { return nil }
        id = query.header.id
        question = Array(bytes[12...])
    }

    func accepts(_ reply: [UInt8]) -> Bool {
        guard reply.count >= 12 + question.count, UInt16(reply[0]) << 8 | UInt16(reply[1]) == id,
              reply[2] & 0x80 != 0 else { return false }
        // Type and class (the last four bytes of each question) compare exactly, so only
        // the name bytes are folded; a label length (at most 63) is never an ASCII letter.
        let nameEnd = question.count - 4
        for index in 0..<question.count where !Self.same(reply[12 + index], question[index], folding: index < nameEnd) {
            return false
        }
        return true
    }

    private static func same(_ a: UInt8, _ b: UInt8, folding: Bool) -> Bool {
        guard folding else { return a == b }
        let lowerA = (0x41...0x5A).contains(a) ? a | 0x20 : a
        let lowerB = (0x41...0x5A).contains(b) ? b | 0x20 : b
        return lowerA == lowerB
    }
}

/// The state of one exchange with one upstream, confined to its event loop: the promise is
/// completed exactly once (reply, timeout, refusal or closed socket) and the socket closed.
final class UpstreamExchange: @unchecked Sendable {
    let match: UpstreamReplyMatch
    let promise: EventLoopPromise<[UInt8]?>
    private let timeout: TimeAmount
    private var finished = false
    private var channel: (any Channel)?
    private var deadline: Scheduled<Void>?

    init(match: UpstreamReplyMatch, promise: EventLoopPromise<[UInt8]?>, timeout: TimeAmount) {
        self.match = match
        self.promise = promise
        self.timeout = timeout
    }

    /// Called once the socket is ready: arms the timeout.
    func start(on channel: any Channel) {
        channel.eventLoop.preconditionInEventLoop()
        guard !finished else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        deadline = channel.eventLoop.scheduleTask(in: timeout) { [self] in finish(nil) }
    }

    /// Completes the exchange with `reply` (`nil`: this upstream gave none) and closes the socket.
    func finish(_ reply: [UInt8]?) {
        promise.futureResult.eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        channel?.close(promise: nil)
        channel = nil
        promise.succeed(reply)
    }
}

/// Hands the first matching datagram to the exchange; a refusal ends it early.
final class UpstreamDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let exchange: UpstreamExchange

    init(exchange: UpstreamExchange) {
        self.exchange = exchange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
        if exchange.match.accepts(bytes) { exchange.finish(bytes) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.finish(nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // On a connected UDP socket an ICMP port unreachable arrives as ECONNREFUSED.
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { exchange.finish(nil) }
    }
}

/// Hands the first matching framed message of a TCP stream to the exchange.
final class UpstreamStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let exchange: UpstreamExchange

    init(exchange: UpstreamExchange) {
        self.exchange = exchange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        if exchange.match.accepts(bytes) { exchange.finish(bytes) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.finish(nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange.finish(nil)
    }
}

extension SocketAddress {
    /// The socket address of a VALON endpoint.
    init(_ endpoint: Endpoint) throws {
        try self.init(ipAddress: endpoint.address.description, port: Int(endpoint.port))
    }
}

extension TimeAmount {
    /// The same span as `duration`, to the nanosecond.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
