#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import ValonKit

/// One relayed pair's UDP port on the discovery node (docs/ARCHITECTURE.md §10): a socket
/// whose event loop applies ``RelayPair``'s rules to every datagram and sends the ones it
/// forwards on from the same port, so each peer sees the relay as the other's endpoint.
/// Nothing is decrypted; the port needs only the pair's two public keys and the addresses
/// the registry observed for them.
///
/// ```swift
/// let port = try await RelayPort.open(pair: pair, address: .v4(.any), port: 51821, group: group)
/// defer { Task { await port.close() } }
/// ```
public final class RelayPort: Sendable {
    public let channel: any Channel
    public let counters: RelayCounters
    private let handler: NIOLoopBound<RelayPortHandler>

    /// The port the socket is bound to (the kernel's pick when 0 was asked for).
    public var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    private init(channel: any Channel, handler: RelayPortHandler, counters: RelayCounters) {
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.counters = counters
    }

    /// Binds `address:port` and starts relaying for `pair`.
    public static func open(pair: RelayPair, address: IPAddress, port: UInt16,
                            group: any EventLoopGroup) async throws -> RelayPort {
        let counters = RelayCounters()
        let loop = group.next()
        let handler = try await loop.submit { NIOLoopBound(RelayPortHandler(pair: pair, counters: counters), eventLoop: loop) }.get()
        let channel = try await DatagramBootstrap(group: loop)
            // A burst of datagrams per read (recvmmsg); a receive buffer for a busy moment.
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048 * 32))
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            .bind(host: address.description, port: Int(port))
            .get()
        return try await loop.submit { RelayPort(channel: channel, handler: handler.value, counters: counters) }.get()
    }

    /// The pair as the port sees it now (its bindings).
    public func pair() async throws -> RelayPair {
        try await channel.eventLoop.submit { self.handler.value.pair }.get()
    }

    /// New observed addresses for one of the pair's peers (the registry changed).
    public func update(addresses: Set<IPAddress>, of key: WireGuardKey) {
        channel.eventLoop.execute { self.handler.value.pair.update(addresses: addresses, of: key) }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// The event-loop side of a ``RelayPort``.
final class RelayPortHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    var pair: RelayPair
    let counters: RelayCounters
    /// The socket address each bound endpoint last sent from, to send back to as it came.
    private var addresses: [Endpoint: SocketAddress] = [:]
    private let start = ContinuousClock.now
    private var pendingFlush = false

    init(pair: RelayPair, counters: RelayCounters) {
        self.pair = pair
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let source = Endpoint(envelope.remoteAddress) else {
            counters.dropped(.unknownSource)
            return
        }
        let elapsed = ContinuousClock.now - start
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let datagram = envelope.data.readableBytesView
        switch pair.route(datagram, from: source, now: now) {
        case .forward(let destination, let type, let bound):
            if bound { remember(source, envelope.remoteAddress) }
            guard let remote = addresses[destination] ?? (try? SocketAddress(ipAddress: destination.address.description,
                                                                                  port: Int(destination.port))) else { return }
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: envelope.data)), promise: nil)
            pendingFlush = true
            counters.forwarded(type, bytes: datagram.count, at: now)
        case .drop(let reason, let bound):
            if bound { remember(source, envelope.remoteAddress) }
            counters.dropped(reason)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    /// A datagram the kernel could not send (an ICMP error on the socket) is not the
    /// pair's end: keep relaying.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}

    private func remember(_ source: Endpoint, _ address: SocketAddress) {
        addresses = addresses.filter { $0.key == pair.first.bound || $0.key == pair.second.bound }
        addresses[source] = address
    }
}

extension Endpoint {
    /// The endpoint of an IPv4 or IPv6 socket address, read from the `sockaddr` itself
    /// (no text on the per-datagram path); `nil` for a UNIX socket.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let raw = v4.address
            self.init(address: .v4(IPv4Address(value: UInt32(bigEndian: raw.sin_addr.s_addr))), port: UInt16(bigEndian: raw.sin_port))
        case .v6(let v6):
            let raw = v6.address
            let bytes = withUnsafeBytes(of: raw.sin6_addr) { Array($0) }
            guard let ip = IPAddress(bytes: bytes) else { return nil }
            // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
            if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff,
               let v4 = IPAddress(bytes: bytes.suffix(4)) {
                self.init(address: v4, port: UInt16(bigEndian: raw.sin6_port))
            } else {
                self.init(address: ip, port: UInt16(bigEndian: raw.sin6_port))
            }
        case .unixDomainSocket:
            return nil
        }
    }
}
