import Logging
import ServiceLifecycle
import ValonKit

/// Every `pollInterval`, reads the interface's peers and stores each observed endpoint
/// that differs from the registry as that peer's `nat_endpoint` (docs/ARCHITECTURE.md §6): the address
/// the peer's packets really arrive from, after any NAT. Only registered peers are
/// written, each with compare-and-swap and only on change, and only once this run has read
/// the registry from etcd. With several discovery nodes on one registry the write follows
/// ``LearnedEndpointRule`` (§11): `nat_seen` records which node learned the endpoint from
/// which handshake, so two nodes never flap a value, and two nodes hearing one peer on two
/// ports of one address mark it `nat_kind: symmetric`.
public final class EndpointLearner: Service, Sendable {
    let wireGuard: BlockingWireGuard
    let store: RegistrySnapshotStore
    let status: WireGuardStatus
    let metrics: DiscoveryMetrics
    let pollInterval: Duration
    /// This node's own public key, the `nat_seen` writer; `nil` until the interface has one.
    let nodeKey: WireGuardKey?
    let logger: Logger

    public init(interface: String, backend: any WireGuardBackend, store: RegistrySnapshotStore, status: WireGuardStatus,
                metrics: DiscoveryMetrics, pollInterval: Duration, nodeKey: WireGuardKey? = nil, logger: Logger) {
        self.nodeKey = nodeKey
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
                if let nodeKey {
                    let live = snapshot.discoveryNodes.isEmpty ? nil : Set(snapshot.discoveryNodes.map(\.publicKey))
                    let decision = try await store.registry.learnNATEndpoint(change.endpoint, of: change.key,
                                                                             handshake: change.handshake, node: nodeKey, liveNodes: live)
                    if decision.endpoint != nil {
                        metrics.recordLearnedEndpoint()
                        logger.info("NAT endpoint learned", metadata: ["alias": "\(change.alias)", "endpoint": "\(change.endpoint)"])
                    }
                    if let kind = decision.kind {
                        logger.notice(kind == nil ? "NAT no longer marked symmetric: another node sees the same port"
                                                  : "symmetric NAT: another discovery node hears this peer on another port of the same address",
                                      metadata: ["alias": "\(change.alias)", "endpoint": "\(change.endpoint)"])
                    }
                } else if try await store.registry.setEndpoint(.nat, to: change.endpoint, of: change.key) {
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
        /// The peer's latest handshake with this node, Unix seconds.
        var handshake: Int64? = nil
    }

    /// Endpoints already written for a peer, and not yet seen in a snapshot.
    struct PendingWrites {
        var written: [WireGuardKey: Endpoint] = [:]
    }

    /// The NAT endpoints to look at: each registered peer with a handshake whose observed endpoint differs
    /// from its registered `nat_endpoint` (or that is marked `nat_kind`, which a second node's
    /// matching look clears) and from what was just looked at for it. Pure.
    static func changes(device: WireGuardDevice, snapshot: RegistrySnapshot, pending: inout PendingWrites) -> [Change] {
        var changes: [Change] = []
        for observed in device.peers {
            // Only an endpoint the peer's own packets set is an observation: WireGuard roams
            // to a source only on authenticated traffic, after a handshake. An endpoint with
            // no handshake is the one the reconciler seeded from the registry, and writing it
            // back would undo a newer value (another node's, or an operator's).
            guard let endpoint = observed.endpoint, let peer = snapshot.peer(key: observed.publicKey),
                  let handshake = observed.lastHandshake, handshake.seconds > 0 else {
                pending.written[observed.publicKey] = nil
                continue
            }
            if peer.natEndpoint == endpoint && peer.natKind == nil {
                pending.written[observed.publicKey] = nil
                continue
            }
            if pending.written[observed.publicKey] == endpoint { continue }
            changes.append(Change(key: observed.publicKey, alias: peer.alias, endpoint: endpoint, handshake: handshake.seconds))
        }
        let present = Set(device.peers.map(\.publicKey))
        pending.written = pending.written.filter { present.contains($0.key) }
        return changes
    }
}
