import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import ValonKit

/// The relay of a discovery node (docs/ARCHITECTURE.md §10): one ``RelayPort`` for every
/// pair allocated under `<prefix>relays/`, opened on the node's addresses, fed the addresses
/// the registry observed for both peers, and closed when the allocation goes.
///
/// It follows etcd by reading the allocations every `refreshInterval` and whenever the API
/// allocates one (``wake()``), so a pair allocated through another node opens here too. It
/// acts only on a registry read by this run (``RegistrySnapshotStore/live``). An allocation
/// is dropped from etcd, so both peers try direct paths again, when either peer's LAN or NAT
/// endpoint changes from what it was when the port opened, and when the port has forwarded
/// nothing for ``DiscoveryConfig/relayIdleTimeout``.
public final class RelayService: Service, Sendable {
    /// What `/metrics` and `valonctl relay list` show of one open port.
    public struct Status: Sendable, Hashable {
        public var allocation: RelayAllocation
        public var counters: RelayCounters.Snapshot
        public var firstBound: Endpoint?
        public var secondBound: Endpoint?
    }

    struct Open {
        var port: RelayPort
        /// The peers' endpoints when the port opened: a change drops the allocation.
        var endpoints: [WireGuardKey: [Endpoint?]]
        var openedAt: ContinuousClock.Instant
        var lastActivity: ContinuousClock.Instant
        var lastForwarded: UInt64
    }

    let registry: PeerRegistry
    let store: RegistrySnapshotStore
    let ports: ClosedRange<UInt16>
    let address: IPAddress
    let idleTimeout: Duration
    let refreshInterval: Duration
    let group: any EventLoopGroup
    let logger: Logger
    private let open = Mutex<[RelayAllocation: Open]>([:])
    /// Failed binds per allocation; after ``bindAttempts`` the allocation is dropped.
    private let bindFailures = Mutex<[RelayAllocation: Int]>([:])
    static let bindAttempts = 3
    private let wakeUp: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    public init(registry: PeerRegistry, store: RegistrySnapshotStore, ports: ClosedRange<UInt16>, address: IPAddress,
                idleTimeout: Duration, refreshInterval: Duration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger) {
        self.registry = registry
        self.store = store
        self.ports = ports
        self.address = address
        self.idleTimeout = idleTimeout
        self.refreshInterval = refreshInterval
        self.group = group
        self.logger = logger
        (wakes, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a refresh now (an allocation was made or removed).
    public func wake() { wakeUp.yield() }

    /// Every open port, in port order, with its counters and the sources bound to it.
    public func statuses() async -> [Status] {
        var statuses = [Status]()
        for (allocation, entry) in open.withLock({ $0 }) {
            let pair = try? await entry.port.pair()
            statuses.append(Status(allocation: allocation, counters: entry.port.counters.snapshot,
                                   firstBound: pair?.first.bound, secondBound: pair?.second.bound))
        }
        return statuses.sorted { $0.allocation.port < $1.allocation.port }
    }

    /// The counters of every open port, without waiting for their event loops (for `/metrics`).
    public var counters: [(allocation: RelayAllocation, counters: RelayCounters.Snapshot)] {
        open.withLock { $0 }.map { ($0.key, $0.value.port.counters.snapshot) }.sorted { $0.allocation.port < $1.allocation.port }
    }

    public func run() async throws {
        // One loop applies every refresh, so two never open the same port; a ticker and
        // ``wake()`` both feed it, and a burst of wakes coalesces into one refresh.
        let ticker = Task(executorPreference: EventLoopTaskExecutor.nodeTasks) { [wakeUp, refreshInterval] in
            while !Task.isCancelled {
                wakeUp.yield()
                try? await Task.sleep(for: refreshInterval)
            }
        }
        await withGracefulShutdownHandler {
            for await _ in wakes { await refresh() }
        } onGracefulShutdown: { [wakeUp] in
            wakeUp.finish()
        }
        ticker.cancel()
        let closing = open.withLock { entries in
            defer { entries.removeAll() }
            return entries.values.map(\.port)
        }
        for port in closing { await port.close() }
    }

    /// Brings the open ports in line with etcd's allocations and the live snapshot.
    func refresh() async {
        guard let snapshot = store.live else { return }
        let allocations: [RelayAllocation]
        do {
            allocations = try await registry.relays().allocations
        } catch {
            logger.warning("cannot read the relay allocations", metadata: ["error": "\(error)"])
            return
        }
        let now = ContinuousClock.now
        // An allocation outside the range (the range changed) is dropped, so its pair asks again.
        for allocation in allocations where !ports.contains(allocation.port) {
            await drop(allocation, because: "port \(allocation.port) is outside relay_ports \(ports.lowerBound)-\(ports.upperBound)")
        }
        let wanted = Set(allocations.filter { ports.contains($0.port) })

        // Close what is no longer allocated.
        let gone = open.withLock { entries in
            let stale = entries.keys.filter { !wanted.contains($0) }
            return stale.compactMap { entries.removeValue(forKey: $0)?.port }
        }
        for port in gone {
            logger.info("relay closed", metadata: ["port": "\(port.port)"])
            await port.close()
        }

        for allocation in wanted {
            guard let first = snapshot.peer(key: allocation.first), let second = snapshot.peer(key: allocation.second) else {
                // A peer is gone (its removal raced the allocation): nobody needs the port.
                await drop(allocation, because: "a peer of the pair is no longer registered")
                continue
            }
            let endpoints = [first.publicKey: [first.lanEndpoint, first.natEndpoint],
                             second.publicKey: [second.lanEndpoint, second.natEndpoint]]
            if let entry = open.withLock({ $0[allocation] }) {
                if entry.endpoints != endpoints {
                    await drop(allocation, because: "a peer's endpoints changed; direct paths are tried again")
                    continue
                }
                let forwarded = entry.port.counters.snapshot.forwardedPackets
                let active = forwarded != entry.lastForwarded ? now : entry.lastActivity
                if now - active > idleTimeout {
                    await drop(allocation, because: "idle for \(idleTimeout)")
                    continue
                }
                open.withLock { $0[allocation]?.lastActivity = active; $0[allocation]?.lastForwarded = forwarded }
                continue
            }
            let pair = RelayPair(first: first.publicKey, addresses: Self.addresses(of: first),
                                 second: second.publicKey, addresses: Self.addresses(of: second))
            do {
                let port = try await RelayPort.open(pair: pair, address: address, port: allocation.port, group: group)
                open.withLock { $0[allocation] = Open(port: port, endpoints: endpoints, openedAt: now, lastActivity: now, lastForwarded: 0) }
                logger.info("relay open", metadata: ["port": "\(allocation.port)", "first": "\(first.alias)", "second": "\(second.alias)"])
            } catch {
                let failures = bindFailures.withLock { $0[allocation, default: 0] += 1; return $0[allocation]! }
                logger.warning("cannot open the relay port", metadata: ["port": "\(allocation.port)", "error": "\(error)",
                                                                       "attempt": "\(failures)"])
                if failures >= Self.bindAttempts {
                    // The port is taken by something else: give the pair another one.
                    await drop(allocation, because: "the port cannot be bound (\(error))")
                    bindFailures.withLock { _ = $0.removeValue(forKey: allocation) }
                }
            }
        }
    }

    /// The addresses a peer's relayed packets may come from: its NAT and LAN endpoints'.
    static func addresses(of peer: Peer) -> Set<IPAddress> {
        Set([peer.natEndpoint?.address, peer.lanEndpoint?.address].compactMap { $0 })
    }

    private func drop(_ allocation: RelayAllocation, because reason: String) async {
        do {
            try await registry.removeRelay(between: allocation.first, and: allocation.second, port: allocation.port)
            logger.info("relay allocation dropped", metadata: ["port": "\(allocation.port)", "reason": "\(reason)"])
        } catch {
            logger.warning("cannot drop the relay allocation", metadata: ["port": "\(allocation.port)", "error": "\(error)"])
            return
        }
        if let entry = open.withLock({ $0.removeValue(forKey: allocation) }) { await entry.port.close() }
    }
}
