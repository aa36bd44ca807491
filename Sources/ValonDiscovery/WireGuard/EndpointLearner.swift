import Logging
import ServiceLifecycle
import ValonKit

/// Every `pollInterval`, reads the interface's peers and stores each observed endpoint
/// that differs from the registry as that peer's `nat_endpoint` (docs/ARCHITECTURE.md §6): the address
/// the peer's packets really arrive from, after any NAT. Only registered peers are
/// written, each with compare-and-swap and only on change, and only once this run has read
/// the registry from etcd.
public final class EndpointLearner: Service, Sendable {
    let wireGuard: BlockingWireGuard
    let store: RegistrySnapshotStore
    let status: WireGuardStatus
    let metrics: DiscoveryMetrics
    let pollInterval: Duration
    let logger: Logger

    public init(interface: String, backend: any WireGuardBackend, store: RegistrySnapshotStore, status: WireGuardStatus,
                metrics: DiscoveryMetrics, pollInterval: Duration, logger: Logger) {
        wireGuard = BlockingWireGuard(backend: backend, interface: interface)
        self.store = store
        self.status = status
        self.metrics = metrics
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        var pending = PendingWrites()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await poll(&pending)
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// One look at the interface; endpoints written are remembered in `pending` until the
    /// snapshot shows them, so a slow watch never causes a second write.
    func poll(_ pending: inout PendingWrites) async {
        let device: WireGuardDevice
        do {
            device = try await wireGuard.device()
            status.recordRead(device)
        } catch {
            status.recordFailure(error)
            logger.warning("cannot read the WireGuard interface", metadata: ["error": "\(error)"])
            return
        }
        // Nothing is learned against a registry this run has not read from etcd: a stale
        // snapshot's nat_endpoint would make every compare-and-swap fail or be wrong.
        guard let snapshot = store.live else { return }
        for change in Self.changes(device: device, snapshot: snapshot, pending: &pending) {
            do {
                if try await store.registry.setEndpoint(.nat, to: change.endpoint, of: change.key) {
                    metrics.recordLearnedEndpoint()
                    logger.info("NAT endpoint learned", metadata: ["alias": "\(change.alias)", "endpoint": "\(change.endpoint)"])
                }
                pending.written[change.key] = change.endpoint
            } catch {
                metrics.recordEtcdError()
                logger.warning("cannot store a learned NAT endpoint",
                               metadata: ["alias": "\(change.alias)", "error": "\(error)"])
            }
        }
    }

    struct Change: Hashable {
        var key: WireGuardKey
        var alias: String
        var endpoint: Endpoint
    }

    /// Endpoints already written for a peer, and not yet seen in a snapshot.
    struct PendingWrites {
        var written: [WireGuardKey: Endpoint] = [:]
    }

    /// The NAT endpoints to write: each registered peer whose observed endpoint differs
    /// from its registered `nat_endpoint` and from what was just written for it. Pure.
    static func changes(device: WireGuardDevice, snapshot: RegistrySnapshot, pending: inout PendingWrites) -> [Change] {
        var changes: [Change] = []
        for observed in device.peers {
            guard let endpoint = observed.endpoint, let peer = snapshot.peer(key: observed.publicKey) else {
                pending.written[observed.publicKey] = nil
                continue
            }
            if peer.natEndpoint == endpoint {
                pending.written[observed.publicKey] = nil
                continue
            }
            if pending.written[observed.publicKey] == endpoint { continue }
            changes.append(Change(key: observed.publicKey, alias: peer.alias, endpoint: endpoint))
        }
        let present = Set(device.peers.map(\.publicKey))
        pending.written = pending.written.filter { present.contains($0.key) }
        return changes
    }
}
