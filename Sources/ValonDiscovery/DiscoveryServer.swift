import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import ValonKit

/// The whole discovery node (docs/ARCHITECTURE.md §6), assembled from a ``DiscoveryConfig``: the etcd
/// client and registry, the snapshot store that follows etcd, the DNS server, the DDNS
/// API, the endpoint learner, the peer reconciler and the relay, run together in one `ServiceGroup`.
///
/// ```swift
/// let server = try DiscoveryServer(config: config, logger: logger)
/// try await server.run(gracefulShutdownSignals: [.sigterm, .sigint])
/// ```
///
/// Start-up fails with a ``DiscoveryError`` naming the interface when it is missing or is
/// not WireGuard. An unreachable etcd does not stop it: the store keeps retrying with
/// backoff across every endpoint while DNS serves the snapshot persisted by the last run
/// (or SERVFAIL where there is none), the API answers 503 and the reconciler and the
/// endpoint learner wait for the first successful read (docs/ARCHITECTURE.md §9).
public final class DiscoveryServer: Sendable {
    public let config: DiscoveryConfig
    public let interface: DiscoveryInterface
    public let metrics: DiscoveryMetrics
    public let registry: PeerRegistry
    public let store: RegistrySnapshotStore
    public let wireGuardStatus: WireGuardStatus
    public let dns: DNSServer
    public let api: DDNSServer
    public let learner: EndpointLearner
    public let reconciler: PeerReconciler
    /// The relay (docs/ARCHITECTURE.md §10); `nil` with `relay: false`.
    public let relay: RelayService?
    /// The node's own registration (docs/ARCHITECTURE.md §11); `nil` when the interface has
    /// no key or no address yet.
    public let registration: DiscoveryRegistration?
    /// DNS NOTIFY to the peers on each zone change (docs/ARCHITECTURE.md §12); `nil` with
    /// `notify: false` or when the interface has no address to send from.
    public let notify: NotifyService?
    let logger: Logger
    private let group = Mutex<ServiceGroup?>(nil)

    /// Checks the interface, reads its addresses and builds every part; nothing runs yet.
    /// `backend` and `routes` default to the real WireGuard control and rtnetlink.
    public init(
        config: DiscoveryConfig,
        logger: Logger,
        backend: (any WireGuardBackend)? = nil,
        routes: () throws(NetlinkError) -> RouteNetlinkClient = { () throws(NetlinkError) in try RouteNetlinkClient() }
    ) throws(DiscoveryError) {
        self.config = config
        self.logger = logger
        let backend = backend ?? WireGuardControl.backend(for: config.interface)
        interface = try DiscoveryInterface.inspect(config.interface, backend: backend, routes: routes)
        if interface.addresses.isEmpty {
            logger.warning("the WireGuard interface has no address; discovery.\(config.zone) will have no A record",
                           metadata: ["interface": "\(config.interface)"])
        }
        let etcd: EtcdClient
        do {
            etcd = try EtcdClient(config.etcd.clientConfiguration)
        } catch {
            throw DiscoveryError(.etcdClient, "cannot set up the etcd client for \(config.etcd.endpoints.joined(separator: ", "))",
                                 cause: error)
        }
        metrics = DiscoveryMetrics()
        let network = interface.networks.first { $0.address.isIPv4 } ?? interface.networks.first ?? Self.seedNetwork
        registry = PeerRegistry(etcd: etcd, configuration: PeerRegistry.Configuration(
            network: network,
            reservedAddresses: Set(interface.addresses.map(\.address)),
            keys: RegistryKeys(prefix: config.etcd.prefix)
        ))
        store = RegistrySnapshotStore(registry: registry, syncInterval: config.etcdSyncInterval, metrics: metrics,
                                      logger: logger.labelled("registry"), stateDirectory: config.stateDirectory,
                                      history: RegistryHistory(maximumCount: config.ixfrHistoryCount,
                                                               maximumBytes: config.ixfrHistoryBytes))
        let status = WireGuardStatus(interface: config.interface)
        wireGuardStatus = status
        let dnsConfiguration: DNSServer.Configuration
        do {
            // AXFR: the configured networks, plus the WireGuard networks unless axfr_allow was set.
            let transfer = config.axfrAllow == DiscoveryConfig().axfrAllow ? interface.networks : []
            dnsConfiguration = try DNSServer.Configuration(config, discoveryAddresses: interface.addresses.map(\.address),
                                                           extraTransferNetworks: transfer)
        } catch {
            throw DiscoveryError(.dnsConfiguration, "cannot serve the zone \(config.zone)", cause: error)
        }
        dns = DNSServer(configuration: dnsConfiguration, store: store, metrics: metrics, logger: logger.labelled("dns"))
        let relay = config.relayEnabled
            ? RelayService(registry: registry, store: store, ports: config.relayPorts, address: IPAddress("0.0.0.0")!,
                           idleTimeout: config.relayIdleTimeout, refreshInterval: config.etcdSyncInterval,
                           logger: logger.labelled("relay"))
            : nil
        self.relay = relay
        if let relay { metrics.observeRelays { relay.counters } }
        let handler = DDNSHandler(registry: registry, limiter: TokenBucketLimiter(requestsPerSecond: config.apiRateLimit),
                                  tunnelNetworks: interface.networks,
                                  relay: relay.map { relay in
                                      RelaySettings(ports: config.relayPorts, allocated: { relay.wake() },
                                                    lastHandshake: { status.lastHandshake(of: $0) })
                                  },
                                  logger: logger.labelled("api"))
        api = DDNSServer(
            configuration: DDNSServer.Configuration(listen: config.apiListen,
                                                    bindDevice: config.apiBindToDevice ? config.interface : nil),
            handler: handler, store: store, wireGuard: wireGuardStatus, metrics: metrics, logger: logger.labelled("api"))
        learner = EndpointLearner(interface: config.interface, backend: backend, store: store, status: wireGuardStatus,
                                  metrics: metrics, pollInterval: config.wireGuardPollInterval,
                                  nodeKey: interface.publicKey, logger: logger.labelled("learner"))
        if let key = interface.publicKey, let address = interface.addresses.first(where: { $0.address.isIPv4 })?.address
            ?? interface.addresses.first?.address {
            let relayText = config.relayEnabled
                ? config.advertiseEndpoint.map { "\($0.host):\(config.relayPorts.lowerBound)-\(config.relayPorts.upperBound)" } : nil
            registration = DiscoveryRegistration(
                registry: registry,
                node: DiscoveryNode(publicKey: key, wgIP: address, endpoint: config.advertiseEndpoint?.description, relay: relayText),
                ttl: config.discoveryLeaseTTL, logger: logger.labelled("registration"))
        } else {
            registration = nil
            logger.warning("the WireGuard interface has no key or no address: this node does not register itself (§11)")
        }
        notify = Self.makeNotify(config: config, interface: interface, zone: dnsConfiguration.zone, store: store,
                                 metrics: metrics, logger: logger.labelled("notify"))
        reconciler = PeerReconciler(interface: config.interface, backend: backend, store: store, status: wireGuardStatus,
                                    metrics: metrics, recheckInterval: config.etcdSyncInterval,
                                    logger: logger.labelled("reconciler"))
    }

    /// Runs every part until one of `gracefulShutdownSignals` arrives (then each stops
    /// cleanly, the API first, the store last), the task is cancelled, or a part fails.
    public func run(gracefulShutdownSignals: [UnixSignal] = []) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger
        ))
        self.group.withLock { $0 = group }
        logger.info("valon-discovery starting", metadata: [
            "zone": "\(config.zone)", "interface": "\(config.interface)",
            "addresses": "\(interface.addresses.map(\.description).joined(separator: ","))",
            "api": "\(config.apiListen)", "etcd": "\(config.etcd.endpoints.joined(separator: ","))",
        ])
        // Every part's tasks on the node's own event loops, not the process's cooperative pool.
        try await withTaskExecutorPreference(EventLoopTaskExecutor.nodeTasks) { try await group.run() }
        logger.info("valon-discovery stopped")
    }

    /// Stops a running node gracefully, as SIGTERM does: ``run(gracefulShutdownSignals:)`` returns
    /// once every part has finished.
    public func shutdown() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }

    /// In start order; a graceful shutdown stops them in reverse.
    var services: [any Service] {
        [store, dns, reconciler, learner] + (relay.map { [$0] } ?? []) + (registration.map { [$0] } ?? [])
            + (notify.map { [$0] } ?? []) + [api]
    }

    /// The NOTIFY sender from the node's own WireGuard address (its first IPv4 one, the one it
    /// registers, §11), or `nil` when `notify: false` or the interface has no address.
    static func makeNotify(config: DiscoveryConfig, interface: DiscoveryInterface, zone: DNSZone,
                           store: RegistrySnapshotStore, metrics: DiscoveryMetrics, logger: Logger) -> NotifyService? {
        guard config.notifyEnabled else { return nil }
        guard let source = interface.addresses.first(where: { $0.address.isIPv4 })?.address ?? interface.addresses.first?.address else {
            logger.warning("the WireGuard interface has no address to send NOTIFY from; followers learn of changes by polling",
                           metadata: ["interface": "\(config.interface)"])
            return nil
        }
        do {
            let sender = try NotifySender(source: source, zone: zone, settings: NotifySender.Settings(port: config.notifyPort),
                                          counters: metrics.notify, logger: logger)
            return NotifyService(sender: sender, store: store, logger: logger)
        } catch {
            logger.error("cannot set up the NOTIFY sender; followers learn of changes by polling", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The seed's network, for an interface without addresses.
    static let seedNetwork = IPNetwork("100.100.0.0/24")!
}

extension Logger {
    /// The same logger with a `part` metadata value naming the component.
    func labelled(_ part: String) -> Logger {
        var logger = self
        logger[metadataKey: "part"] = "\(part)"
        return logger
    }
}
