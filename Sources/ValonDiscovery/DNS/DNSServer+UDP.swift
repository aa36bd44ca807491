#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import ValonKit

extension DNSServer {
    /// One UDP socket on `address`; with `sharedPort` several share a port through
    /// SO_REUSEPORT, so the kernel spreads queries over the event loop threads.
    ///
    /// Sharing is only for a configured port: the kernel may hand a port-0 bind a port that
    /// other SO_REUSEPORT (or, for UDP, SO_REUSEADDR) sockets of the same user already hold,
    /// and two servers would then split each other's queries.
    func bindUDP(_ address: IPAddress, port: UInt16, sharedPort: Bool) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: sharedPort ? 1 : 0)
            // Up to 16 datagrams per read (recvmmsg), 4 KiB each; a 4 MiB receive buffer rides
            // out a busy moment of the event loop without dropping queries.
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096 * 16))
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSUDPHandler(server: self))
                }
            }
            .bind(host: address.description, port: Int(port))
            .get()
    }
}

/// Answers each datagram on the event loop; forwarded queries are answered when the
/// upstream replies.
final class DNSUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let server: DNSServer
    private var pendingFlush = false
    /// Between a read and its read-complete, when writes are flushed together.
    private var inRead = false

    init(server: DNSServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inRead = true
        let envelope = unwrapInboundIn(data)
        let packet = Array(envelope.data.readableBytesView)
        let client = envelope.remoteAddress.ipAddress.flatMap { IPAddress($0) }
        let remote = envelope.remoteAddress
        let loop = context.eventLoop
        server.answer(packet, client: client, transport: .udp, on: loop) { outcome, summary in
            self.send(outcome, summary: summary, to: remote, context: context)
        }
    }

    private func send(_ outcome: DNSResponderOutcome, summary: DNSZoneResponder.Summary?, to remote: SocketAddress,
                      context: ChannelHandlerContext) {
        switch outcome {
        case .reply(let messages):
            server.record(summary)
            for message in messages {
                context.write(wrapOutboundOut(AddressedEnvelope(
                    remoteAddress: remote, data: context.channel.allocator.buffer(bytes: message))),
                    promise: nil)
            }
            pendingFlush = true
            // An answer sent after an etcd read comes outside channelRead: flush it now.
            if !inRead { flushPending(context: context) }
        case .forward(let query):
            let channel = context.channel
            let metrics = server.metrics
            server.forwarder.forward(query, transport: .udp, on: context.eventLoop).whenSuccess { answer in
                metrics.recordDNSQuery(type: query.questions.first?.type ?? .a, rcode: answer.rcode)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: answer.reply)),
                                      promise: nil)
            }
        case .transfer, .loadHistory:
            // The responder answers transfers over UDP with messages; nothing to send.
            break
        case .drop:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        flushPending(context: context)
    }

    private func flushPending(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket reports ICMP errors of earlier sends here; they concern one client only.
    }
}
