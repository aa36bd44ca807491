#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import ValonKit

extension DNSServer {
    /// One UDP socket on `address`; several share a port through SO_REUSEPORT, so the
    /// kernel spreads queries over the event loop threads.
    func bindUDP(_ address: IPAddress, port: UInt16) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
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

    init(server: DNSServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let packet = Array(envelope.data.readableBytesView)
        let client = envelope.remoteAddress.ipAddress.flatMap { IPAddress($0) }
        let (outcome, summary) = server.responder.respond(to: packet, client: client, transport: .udp,
                                                          snapshot: server.snapshot())
        switch outcome {
        case .reply(let messages):
            server.record(summary)
            for message in messages {
                context.write(wrapOutboundOut(AddressedEnvelope(
                    remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: message))),
                    promise: nil)
            }
            pendingFlush = true
        case .forward(let query):
            let channel = context.channel
            let remote = envelope.remoteAddress
            let server = server
            Task {
                let forwarded = await server.forward(query, transport: .udp)
                server.metrics.recordDNSQuery(type: query.questions.first?.type ?? .a, rcode: forwarded.rcode)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: forwarded.reply)), promise: nil)
            }
        case .drop:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket reports ICMP errors of earlier sends here; they concern one client only.
    }
}
