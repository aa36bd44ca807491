import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import ValonKit

/// The DDNS API as a service: Hummingbird 2 serving ``DDNSRoutes`` on the configured
/// address until graceful shutdown. Its tasks prefer the node's own event loops
/// (``EventLoopTaskExecutor``), so a saturated cooperative pool does not hold up an answer.
public final class DDNSServer: Service, Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Where to listen (`100.100.0.1:8053`); port 0 picks a free port (see ``boundPort``).
        public var listen: HostPort
        /// Bind the listening socket to this device (`SO_BINDTODEVICE`, docs/ARCHITECTURE.md §7), so only
        /// connections that arrive through the WireGuard interface are accepted.
        public var bindDevice: String?

        public init(listen: HostPort, bindDevice: String? = nil) {
            self.listen = listen
            self.bindDevice = bindDevice
        }
    }

    public let configuration: Configuration
    let routes: DDNSRoutes
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var port: Int?
        var bindError: DDNSServerError?
    }

    public init(configuration: Configuration, handler: DDNSHandler, store: RegistrySnapshotStore,
                wireGuard: WireGuardStatus, metrics: DiscoveryMetrics, logger: Logger) {
        self.configuration = configuration
        routes = DDNSRoutes(handler: handler, store: store, wireGuard: wireGuard, metrics: metrics)
        self.logger = logger
    }

    /// The port the API listens on, once it does.
    public var boundPort: Int? { state.withLock { $0.port } }

    public func run() async throws {
        let app = Application(
            router: routes.router(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.listen.host, port: Int(configuration.listen.port)),
                serverName: nil
            ),
            onServerRunning: { [self] channel in await serverRunning(channel) },
            logger: logger
        )
        // On event loops of the node's own, not the cooperative pool (EventLoopTaskExecutor).
        do {
            try await withTaskExecutorPreference(EventLoopTaskExecutor.nodeTasks) { try await app.run() }
        } catch {
            guard boundPort == nil else { throw error }
            throw DDNSServerError(.listen, "the DDNS API cannot listen on \(configuration.listen) (ddns_listen)", cause: error)
        }
        if let error = state.withLock({ $0.bindError }) { throw error }
    }

    private func serverRunning(_ channel: any Channel) async {
        if let device = configuration.bindDevice {
            do {
                try await bind(channel, to: device)
                logger.info("DDNS API bound to its device", metadata: ["device": "\(device)"])
            } catch {
                logger.critical("cannot bind the DDNS API to its device; stopping it", metadata: ["error": "\(error)"])
                state.withLock { $0.bindError = error }
                try? await channel.close()
                return
            }
        }
        state.withLock { $0.port = channel.localAddress?.port }
        logger.info("DDNS API listening", metadata: ["address": "\(configuration.listen.host):\(channel.localAddress?.port ?? 0)"])
    }

    /// `setsockopt(SOL_SOCKET, SO_BINDTODEVICE, name)` on the listening socket; accepted
    /// connections inherit the binding (socket(7)). Hummingbird offers no hook between
    /// `bind` and `listen`, so the option is set right after the listener starts; a
    /// connection accepted in that instant is still subject to the source-address check.
    /// Note that the kernel counts a connection from the host itself to the device's own
    /// address as arriving on the device.
    private func bind(_ channel: any Channel, to device: String) async throws(DDNSServerError) {
        let bytes = Array(device.utf8)
        guard !bytes.isEmpty, bytes.count < 16, let provider = channel as? any SocketOptionProvider else {
            throw DDNSServerError(.bindToDevice, "SO_BINDTODEVICE \(device): not an interface name, or not a socket")
        }
        var name: InterfaceNameBuffer = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &name) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        do {
            try await provider.unsafeSetSocketOption(
                level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: Self.soBindToDevice), value: name
            ).get()
        } catch {
            throw DDNSServerError(.bindToDevice, "SO_BINDTODEVICE \(device) failed", cause: error)
        }
    }

    /// `SO_BINDTODEVICE` from `<asm-generic/socket.h>`.
    static let soBindToDevice = SocketOptionNumber.bindToDevice
}

/// `char name[IFNAMSIZ]` for `SO_BINDTODEVICE`.
typealias InterfaceNameBuffer = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

/// The DDNS API could not start as configured.
public struct DDNSServerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The listen address cannot be bound (in use, not on this host, no permission).
        case listen
        /// `ddns_bind_device`: the socket cannot be bound to the WireGuard interface.
        case bindToDevice
    }

    public var code: Code
    public var message: String
    /// The failure underneath (a NIO channel error, a ``SystemError``).
    public var cause: (any Error & Sendable)?

    init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
