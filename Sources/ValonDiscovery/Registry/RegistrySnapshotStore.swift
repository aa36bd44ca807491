import Logging
import ServiceLifecycle
import Synchronization
import ValonKit

/// Keeps the current ``RegistrySnapshot`` (DESIGN §6): one full read at start-up, then an
/// etcd watch on the registry prefix whose events trigger a re-read, plus a full resync
/// every `syncInterval`. Readers (every DNS answer) take the snapshot under a short lock and
/// never wait for etcd.
///
/// When etcd is unreachable the last snapshot stays, ``isEtcdHealthy`` turns false, errors
/// are counted in ``DiscoveryMetrics``, and reads are retried with exponential backoff
/// (the ``EtcdClient`` fails over across its endpoints on each attempt).
public final class RegistrySnapshotStore: Service, Sendable {
    struct State {
        var snapshot = RegistrySnapshot.empty
        var healthy = false
        var subscribers: [Int: AsyncStream<RegistrySnapshot>.Continuation] = [:]
        var nextSubscriber = 0
    }

    public let registry: PeerRegistry
    public let syncInterval: Duration
    let metrics: DiscoveryMetrics
    let logger: Logger
    private let state = Mutex(State())
    /// The first and the longest wait between two failed reads.
    let backoff: (initial: Duration, maximum: Duration) = (.milliseconds(100), .seconds(5))

    public init(registry: PeerRegistry, syncInterval: Duration, metrics: DiscoveryMetrics, logger: Logger) {
        self.registry = registry
        self.syncInterval = syncInterval
        self.metrics = metrics
        self.logger = logger
    }

    /// The snapshot DNS answers come from; ``RegistrySnapshot/empty`` before the first read.
    public var current: RegistrySnapshot { state.withLock { $0.snapshot } }

    /// `false` after a failed read until the next successful one (and before the first).
    public var isEtcdHealthy: Bool { state.withLock { $0.healthy } }

    /// Every snapshot installed after the call, newest first when the reader lags behind
    /// (older undelivered ones are dropped).
    public func updates() -> AsyncStream<RegistrySnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: RegistrySnapshot.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Reads the whole registry now and installs the result (start-up, or right after the
    /// API wrote). A failed read keeps the last snapshot, marks the store unhealthy and
    /// rethrows.
    public func refresh() async throws(RegistryError) {
        let listing: PeerListing
        do {
            listing = try await registry.list()
        } catch {
            metrics.recordEtcdError()
            state.withLock { $0.healthy = false }
            throw error
        }
        install(RegistrySnapshot(listing: listing))
    }

    /// Installs `snapshot` unless a newer revision is already in place (a resync and a
    /// watch-triggered read may finish out of order), and tells the subscribers.
    func install(_ snapshot: RegistrySnapshot) {
        let subscribers: [AsyncStream<RegistrySnapshot>.Continuation]? = state.withLock { state in
            state.healthy = true
            guard snapshot.revision >= state.snapshot.revision else { return nil }
            let changed = snapshot.revision != state.snapshot.revision || state.snapshot.peers != snapshot.peers
            state.snapshot = snapshot
            return changed ? Array(state.subscribers.values) : []
        }
        metrics.recordSnapshot(peers: snapshot.peers.count)
        for subscriber in subscribers ?? [] { subscriber.yield(snapshot) }
    }

    /// Reads the registry, then follows the watch and resyncs periodically until graceful
    /// shutdown or cancellation.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await self.readUntilSuccess()
                    await self.followWatch()
                }
                group.addTask { await self.resyncPeriodically() }
                await group.waitForAll()
            }
        }
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
