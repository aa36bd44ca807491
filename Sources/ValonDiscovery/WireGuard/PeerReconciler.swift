import Logging
import ServiceLifecycle
import ValonKit

/// Keeps the interface's peer list equal to the registry (docs/ARCHITECTURE.md §6): a registered peer
/// the interface lacks is added with `AllowedIPs = wg_ip/32` (and its NAT, else LAN,
/// endpoint, so the node can reach it at once after a reboot); a peer the registry does
/// not know is removed; a peer whose allowed IPs differ is corrected. The interface's own
/// key, port and mark are never touched, nor the endpoints of peers it already has
/// (WireGuard roams to where their packets come from).
///
/// It runs at start-up, on every new snapshot, and every `recheckInterval` (someone may
/// have changed the interface by hand). Each pass reads the interface and applies the
/// smallest update in one batch (``WireGuardDevice/update(toReach:removable:)``).
/// It acts only on a snapshot this run read from etcd (``RegistrySnapshotStore/live``):
/// neither an unread registry nor a snapshot persisted by an earlier run may change the
/// interface, so a node started while etcd is down keeps every peer it has.
public final class PeerReconciler: Service, Sendable {
    let wireGuard: BlockingWireGuard
    let store: RegistrySnapshotStore
    let status: WireGuardStatus
    let metrics: DiscoveryMetrics
    let recheckInterval: Duration
    let logger: Logger

    public init(interface: String, backend: any WireGuardBackend, store: RegistrySnapshotStore, status: WireGuardStatus,
                metrics: DiscoveryMetrics, recheckInterval: Duration, logger: Logger) {
        wireGuard = BlockingWireGuard(backend: backend, interface: interface)
        self.store = store
        self.status = status
        self.metrics = metrics
        self.recheckInterval = recheckInterval
        self.logger = logger
    }

    public func run() async throws {
        let updates = store.updates()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                if let live = store.live { await reconcile(live) }
                for await snapshot in updates.cancelOnGracefulShutdown() {
                    await reconcile(snapshot)
                }
            }
            group.addTask { [self] in
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await Task.sleep(for: recheckInterval)
                    if Task.isShuttingDownGracefully || Task.isCancelled { break }
                    if let live = store.live { await reconcile(live) }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// One pass: read the interface, apply what differs from `snapshot`. Returns the
    /// update applied (empty when the interface already matched or nothing could be done).
    @discardableResult
    public func reconcile(_ snapshot: RegistrySnapshot) async -> WireGuardDevice {
        guard snapshot.revision > 0 else { return WireGuardDevice(name: wireGuard.interface) }
        do {
            let device = try await wireGuard.device()
            let update = Self.update(device: device, snapshot: snapshot)
            if !update.isEmptyUpdate {
                try await wireGuard.apply(update)
                record(update)
            }
            status.recordRead(device)
            return update
        } catch {
            status.recordFailure(error)
            logger.error("cannot reconcile the WireGuard interface with the registry", metadata: ["error": "\(error)"])
            return WireGuardDevice(name: wireGuard.interface)
        }
    }

    /// The smallest update that makes `device`'s peers those of `snapshot`: every registered
    /// peer, and every other registered discovery node. Pure.
    static func update(device: WireGuardDevice, snapshot: RegistrySnapshot) -> WireGuardDevice {
        var desired = WireGuardDevice(name: device.name)
        desired.peers = snapshot.peers.map { peer in
            let present = device.peer(peer.publicKey)
            return WireGuardPeer(
                publicKey: peer.publicKey,
                presharedKey: present?.presharedKey,
                endpoint: present == nil ? (peer.natEndpoint ?? peer.lanEndpoint) : nil,
                persistentKeepalive: present?.persistentKeepalive,
                allowedIPs: [IPNetwork.host(peer.wgIP)]
            )
        }
        // The other discovery nodes (§11) are peers too, so that each node reaches the others'
        // DNS and API through the tunnel (valonctl discovery list); their endpoint is set when
        // the peer is new and the registration names an IP address.
        let peerKeys = Set(snapshot.peers.map(\.publicKey))
        for node in snapshot.discoveryNodes where node.publicKey != device.publicKey && !peerKeys.contains(node.publicKey) {
            let present = device.peer(node.publicKey)
            let endpoint = node.endpoint.flatMap { HostPort($0) }.flatMap { hostPort in
                hostPort.address.map { Endpoint(address: $0, port: hostPort.port) }
            }
            desired.peers.append(WireGuardPeer(publicKey: node.publicKey, endpoint: present == nil ? endpoint : nil,
                                               persistentKeepalive: DiscoveryPeers.keepalive,
                                               allowedIPs: [IPNetwork.host(node.wgIP)]))
        }
        if let own = device.publicKey { desired.peers.removeAll { $0.publicKey == own } }
        return device.update(toReach: desired)
    }

    private func record(_ update: WireGuardDevice) {
        let removed = update.peers.count { $0.flags.contains(.remove) }
        let changed = update.peers.count { $0.flags.contains(.updateOnly) }
        let added = update.peers.count - removed - changed
        metrics.recordReconcilerChanges("added", count: added)
        metrics.recordReconcilerChanges("removed", count: removed)
        metrics.recordReconcilerChanges("updated", count: changed)
        logger.info("WireGuard peers reconciled with the registry",
                    metadata: ["added": "\(added)", "removed": "\(removed)", "updated": "\(changed)"])
    }
}
