import NIOCore
import NIOPosix
import ValonKit

extension DNSServer {
    /// The TCP listener on `address`: 2-byte length framing (RFC 1035 §4.2.2), any number of
    /// queries per connection answered in order (RFC 7766 §6.2.1), an idle timeout and a cap
    /// on connections.
    func bindTCP(_ address: IPAddress, port: UInt16) async throws -> any Channel {
        let idle = TimeAmount(configuration.tcpIdleTimeout)
        let connections = connections
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard connections.admit(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: idle))
                    try sync.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try sync.addHandler(DNSTCPHandler(server: self))
                }
            }
            .bind(host: address.description, port: Int(port))
            .get()
    }
}

/// Splits a TCP stream into DNS messages: a 2-byte big-endian length, then that many bytes.
struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(NIOAny(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

/// Answers each framed query; closes the connection when it has been idle too long.
final class DNSTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: DNSServer
    /// A zone transfer waiting for the connection to become writable again.
    private var pendingTransfer: DNSZoneTransferStream.Iterator?

    init(server: DNSServer) {
        self.server = server
    }

    /// Writes transfer messages while the connection is writable; the rest waits for
    /// `channelWritabilityChanged`, so a slow reader holds at most the channel's high water
    /// mark of a transfer in memory.
    private func continueTransfer(context: ChannelHandlerContext) {
        while var transfer = pendingTransfer {
            guard let message = transfer.next() else {
                pendingTransfer = nil
                break
            }
            pendingTransfer = transfer
            context.write(wrapOutboundOut(framedDNSMessage(message, allocator: context.channel.allocator)), promise: nil)
            if !context.channel.isWritable {
                context.flush()
                return
            }
        }
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, pendingTransfer != nil { continueTransfer(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = Array(unwrapInboundIn(data).readableBytesView)
        let client = context.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        server.answer(packet, client: client, transport: .tcp, on: context.eventLoop) { outcome, summary in
            self.send(outcome, summary: summary, context: context)
        }
    }

    private func send(_ outcome: DNSResponderOutcome, summary: DNSZoneResponder.Summary?, context: ChannelHandlerContext) {
        switch outcome {
        case .reply(let messages):
            server.record(summary)
            for message in messages {
                context.write(wrapOutboundOut(framedDNSMessage(message, allocator: context.channel.allocator)), promise: nil)
            }
            context.flush()
        case .forward(let query):
            let channel = context.channel
            let metrics = server.metrics
            server.forwarder.forward(query, transport: .tcp, on: context.eventLoop).whenSuccess { answer in
                metrics.recordDNSQuery(type: query.questions.first?.type ?? .a, rcode: answer.rcode)
                channel.writeAndFlush(framedDNSMessage(answer.reply, allocator: channel.allocator), promise: nil)
            }
        case .transfer(let transfer):
            server.record(summary)
            pendingTransfer = transfer.makeIterator()
            continueTransfer(context: context)
        case .loadHistory:
            // The server reads the history and answers again; never handed here.
            break
        case .drop:
            // Not a query: nothing sensible can follow on this stream.
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// `message` behind its 2-byte length (RFC 1035 §4.2.2).
func framedDNSMessage(_ message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
    var buffer = allocator.buffer(capacity: message.count + 2)
    buffer.writeInteger(UInt16(message.count))
    buffer.writeBytes(message)
    return buffer
}
