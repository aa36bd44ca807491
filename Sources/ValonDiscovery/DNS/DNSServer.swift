import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import ValonKit

/// The discovery node's DNS server (docs/ARCHITECTURE.md §3, §6): UDP and TCP on every bind address,
/// answering from the current registry snapshot with ``DNSZoneResponder``, transferring the
/// zone over TCP, and forwarding other names to upstreams when configured.
///
/// A `Service` for swift-service-lifecycle: ``run()`` binds, serves, and on graceful
/// shutdown or cancellation closes its sockets and returns.
public final class DNSServer: Service, Sendable {
    public let configuration: Configuration
    let snapshot: @Sendable () -> RegistrySnapshot?
    let metrics: DiscoveryMetrics
    let logger: Logger
    let responder: DNSZoneResponder
    let group: any EventLoopGroup
    let connections: DNSConnectionTracker
    let forwarder: DNSForwarder
    /// Reads an earlier serial's registry into the responder's history (IXFR); `nil` when
    /// the server has no registry to read from.
    let loadHistory: (@Sendable (UInt32) async -> Void)?
    private let bound = Mutex(BoundState())

    struct BoundState {
        var port: UInt16?
        var failure: (any Error)?
        var waiters: [CheckedContinuation<UInt16, any Error>] = []
    }

    /// A server answering from the snapshots of `store`.
    public convenience init(configuration: Configuration, store: RegistrySnapshotStore, metrics: DiscoveryMetrics,
                            logger: Logger) {
        self.init(configuration: configuration, snapshot: { store.current }, metrics: metrics, logger: logger,
                  history: store.history, loadHistory: { await store.loadHistory(serial: $0) })
    }

    /// A server answering from whatever `snapshot` returns (benchmarks serve a fixed one;
    /// `nil` answers the zone with SERVFAIL). IXFR answers from `history`, and
    /// `loadHistory` reads a serial the history has not tried into it.
    public init(configuration: Configuration, snapshot: @escaping @Sendable () -> RegistrySnapshot?,
                metrics: DiscoveryMetrics, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                history: RegistryHistory? = nil, loadHistory: (@Sendable (UInt32) async -> Void)? = nil) {
        self.configuration = configuration
        self.snapshot = snapshot
        self.metrics = metrics
        self.logger = logger
        // A history that keeps nothing could not hold what a read brings: never read then.
        let keeps = (history?.maximumCount ?? 0) > 0
        self.loadHistory = keeps ? loadHistory : nil
        self.responder = DNSZoneResponder(zone: configuration.zone, history: history, loadsHistory: keeps && loadHistory != nil)
        self.group = group
        self.connections = DNSConnectionTracker(limit: configuration.maxTCPConnections)
        self.forwarder = DNSForwarder(upstreams: configuration.forwarders, timeout: TimeAmount(configuration.forwardTimeout),
                                      udpPayloadSize: configuration.zone.udpPayloadSize)
    }

    /// The port every address is bound to, once ``run()`` has bound them.
    public var boundPort: UInt16? { bound.withLock { $0.port } }

    /// Waits until ``run()`` has bound every socket and returns the port (useful with port 0),
    /// or throws what made binding fail.
    public func waitUntilBound() async throws -> UInt16 {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<UInt16, any Error>? = bound.withLock { state in
                if let port = state.port { return .success(port) }
                if let failure = state.failure { return .failure(failure) }
                state.waiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Binds UDP and TCP on every address and serves until graceful shutdown or cancellation.
    public func run() async throws {
        let channels: [any Channel]
        do {
            channels = try await bindAll()
        } catch {
            let waiters = bound.withLock { state in
                state.failure = error
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(throwing: error) }
            throw error
        }
        let port = channels.first?.localAddress?.port.map { UInt16($0) } ?? configuration.port
        let waiters = bound.withLock { state in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
        logger.info("DNS server listening", metadata: [
            "zone": "\(configuration.zone.name)", "port": "\(port)",
            "addresses": "\(configuration.bindAddresses.map(\.description))",
        ])
        let connections = connections
        await withTaskCancellationOrGracefulShutdownHandler {
            for channel in channels { try? await channel.closeFuture.get() }
        } onCancelOrGracefulShutdown: {
            for channel in channels { channel.close(promise: nil) }
            connections.closeAll()
        }
        connections.closeAll()
        logger.info("DNS server stopped", metadata: ["zone": "\(configuration.zone.name)"])
    }

    /// Binds every socket. With port 0 the kernel's pick for the first UDP socket may be
    /// taken for TCP or on another address, so a few picks are tried.
    private func bindAll() async throws -> [any Channel] {
        guard configuration.port == 0 else { return try await bindOnce() }
        var attempt = 0
        while true {
            do {
                return try await bindOnce()
            } catch {
                attempt += 1
                if attempt == 8 { throw error }
            }
        }
    }

    /// Binds the first UDP socket (learning the port when it is 0), then every other socket
    /// on that port.
    private func bindOnce() async throws -> [any Channel] {
        let addresses = configuration.bindAddresses.isEmpty
            ? [IPAddress("0.0.0.0")!, IPAddress("::")!] : configuration.bindAddresses
        var channels = [any Channel]()
        var port = configuration.port
        // A port picked by the kernel is not shared: one UDP socket per address then.
        let sharedPort = configuration.port != 0 && configuration.udpSocketsPerAddress > 1
        let socketsPerAddress = sharedPort ? configuration.udpSocketsPerAddress : 1
        do {
            for address in addresses {
                for _ in 0..<socketsPerAddress {
                    let channel = try await bindUDP(address, port: port, sharedPort: sharedPort)
                    channels.append(channel)
                    if port == 0, let bound = channel.localAddress?.port { port = UInt16(bound) }
                }
                channels.append(try await bindTCP(address, port: port))
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return channels
    }

    /// Answers `packet` and hands the outcome to `body` on `loop`: at once, or, for an IXFR
    /// whose base serial must first be read from etcd, after that read (the second answer
    /// never asks for another read).
    func answer(_ packet: [UInt8], client: IPAddress?, transport: DNSTransport, on loop: any EventLoop,
                _ body: @escaping (DNSResponderOutcome, DNSZoneResponder.Summary?) -> Void) {
        let (outcome, summary) = responder.respond(to: packet, client: client, transport: transport, snapshot: snapshot())
        guard case .loadHistory(let serial) = outcome, let loadHistory else {
            body(outcome, summary)
            return
        }
        let pending = NIOLoopBound(body, eventLoop: loop)
        let promise = loop.makePromise(of: Void.self)
        promise.completeWithTask { await loadHistory(serial) }
        promise.futureResult.whenComplete { _ in
            var responder = self.responder
            responder.loadsHistory = false
            let (outcome, summary) = responder.respond(to: packet, client: client, transport: transport, snapshot: self.snapshot())
            pending.value(outcome, summary)
        }
    }

    /// Counts one answer by its type and response code.
    func record(_ summary: DNSZoneResponder.Summary?) {
        guard let summary else { return }
        metrics.recordDNSQuery(type: summary.type, rcode: summary.rcode)
        if let ixfr = summary.ixfr { metrics.recordIXFR(ixfr) }
    }
}
