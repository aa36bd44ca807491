import Logging
import ServiceLifecycle
import ValonKit

/// The node's NOTIFY part (docs/ARCHITECTURE.md §12), one service of the ``DiscoveryServer``:
/// follows the snapshot store and, for every snapshot read from etcd whose zone differs from
/// the last one announced (another serial, or other peers, relays or discovery nodes), hands
/// ``NotifySender`` a wave to every registered peer's WireGuard address. The first live
/// snapshot is announced too: a node that starts tells the followers at once rather than at
/// their next poll. Off with `notify: false`.
public final class NotifyService: Service, Sendable {
    public let sender: NotifySender
    let store: RegistrySnapshotStore
    let logger: Logger

    public init(sender: NotifySender, store: RegistrySnapshotStore, logger: Logger) {
        self.sender = sender
        self.store = store
        self.logger = logger
    }

    /// Sends until graceful shutdown or cancellation, then stops the sender.
    public func run() async throws {
        let updates = store.updates()
        sender.start()
        await cancelWhenGracefulShutdown {
            var last = self.store.live
            if let last { self.announce(last) }
            for await snapshot in updates where Self.needsWave(after: last, for: snapshot) {
                self.announce(snapshot)
                last = snapshot
            }
        }
        await sender.stop()
    }

    private func announce(_ snapshot: RegistrySnapshot) {
        sender.announce(serial: snapshot.serial, to: snapshot.peers.map(\.wgIP))
    }

    /// Whether `next` changes what a follower would read from the zone after `previous` (the
    /// last snapshot announced): its serial, or its peers, relays or discovery nodes.
    static func needsWave(after previous: RegistrySnapshot?, for next: RegistrySnapshot) -> Bool {
        guard let previous else { return true }
        return previous.serial != next.serial || previous.peers != next.peers || previous.relays != next.relays
            || previous.discoveryNodes != next.discoveryNodes
    }
}
