import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import ValonKit

/// How far the node's registry can be trusted (docs/ARCHITECTURE.md §9).
public enum RegistryPhase: Sendable, Hashable {
    /// Nothing read from etcd and nothing persisted: the zone is answered with SERVFAIL,
    /// `/health` says `starting`, the API answers 503.
    case starting
    /// Serving the snapshot an earlier run persisted, saved at `savedAt`, until etcd answers.
    case stale(savedAt: Date)
    /// Serving a snapshot read from etcd by this run.
    case live
}

/// Keeps the current ``RegistrySnapshot`` (docs/ARCHITECTURE.md §6, §9): one full read at
/// start-up, then an etcd watch on the registry prefix whose events trigger a re-read, plus
/// a full resync every `syncInterval`. Readers (every DNS answer) take the snapshot under a
/// short lock and never wait for etcd.
///
/// A node never answers from a registry it has not read. Until the first successful read
/// ``current`` is the snapshot persisted by an earlier run (``RegistryPhase/stale(savedAt:)``)
/// or `nil` (``RegistryPhase/starting``); every snapshot read from etcd is persisted again
/// (``RegistrySnapshotFile``) when a state directory is given. When etcd becomes unreachable
/// the last snapshot stays: a failed read never replaces it. ``isEtcdHealthy`` turns false,
/// errors are counted in ``DiscoveryMetrics``, and reads are retried with exponential
/// backoff (the ``EtcdClient`` fails over across its endpoints on each attempt).
public final class RegistrySnapshotStore: Service, Sendable {
    struct State {
        var snapshot: RegistrySnapshot?
        var phase = RegistryPhase.starting
        var healthy = false
        var subscribers: [Int: AsyncStream<RegistrySnapshot>.Continuation] = [:]
        var nextSubscriber = 0
    }

    public let registry: PeerRegistry
    public let syncInterval: Duration
    /// Where the snapshot is persisted; `nil` keeps nothing on disk.
    public let stateDirectory: String?
    let metrics: DiscoveryMetrics
    let logger: Logger
    /// The snapshots IXFR answers from (docs/ARCHITECTURE.md §12): every one installed, and
    /// older ones read from etcd on demand.
    public let history: RegistryHistory
    private let state: Mutex<State>
    /// The reads of earlier revisions under way, so that many followers asking from one
    /// serial cause one etcd read.
    private let historyReads = Mutex<[UInt32: Task<Void, Never>]>([:])
    /// The first and the longest wait between two failed reads.
    let backoff: (initial: Duration, maximum: Duration) = (.milliseconds(100), .seconds(5))

    /// A store for `registry`. With a `stateDirectory` the snapshot persisted there by an
    /// earlier run is loaded now, so that it is served from the first query on; a file
    /// that is corrupt, unreadable or for another key prefix is logged and ignored.
    public init(registry: PeerRegistry, syncInterval: Duration, metrics: DiscoveryMetrics, logger: Logger,
                stateDirectory: String? = nil,
                history: RegistryHistory = RegistryHistory(maximumCount: 64, maximumBytes: 64 << 20)) {
        self.registry = registry
        self.history = history
        self.syncInterval = syncInterval
        self.stateDirectory = stateDirectory
        self.metrics = metrics
        self.logger = logger
        var initial = State()
        if let stateDirectory, let file = Self.loadPersisted(from: stateDirectory, prefix: registry.configuration.keys.prefix,
                                                            logger: logger) {
            initial.snapshot = file.snapshot
            initial.phase = .stale(savedAt: file.savedAt)
            history.record(file.snapshot)
            metrics.recordPersistedSnapshot(peers: file.snapshot.peers.count)
        }
        state = Mutex(initial)
    }

    /// The snapshot DNS answers come from: read from etcd, or persisted by an earlier run
    /// while etcd has not answered yet; `nil` when there is neither.
    public var current: RegistrySnapshot? { state.withLock { $0.snapshot } }

    /// The snapshot read from etcd by this run; `nil` before the first successful read.
    /// Whatever writes to etcd or to the WireGuard interface acts on this one only.
    public var live: RegistrySnapshot? { state.withLock { $0.phase == .live ? $0.snapshot : nil } }

    /// Where the store stands: starting, stale (a persisted snapshot) or live.
    public var phase: RegistryPhase { state.withLock { $0.phase } }

    /// `false` after a failed read until the next successful one (and before the first).
    public var isEtcdHealthy: Bool { state.withLock { $0.healthy } }

    /// Every snapshot read from etcd and installed after the call, newest first when the
    /// reader lags behind (older undelivered ones are dropped).
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

    /// Installs `snapshot`, read from etcd, unless a newer revision read by this run is
    /// already in place (a resync and a watch-triggered read may finish out of order), and
    /// tells the subscribers. The first read replaces a persisted snapshot whatever its
    /// revision (etcd may have been restored from a backup, or rebuilt).
    func install(_ snapshot: RegistrySnapshot) {
        let subscribers: [AsyncStream<RegistrySnapshot>.Continuation]? = state.withLock { state in
            state.healthy = true
            let wasLive = state.phase == .live
            if wasLive, let current = state.snapshot, snapshot.revision < current.revision { return nil }
            let changed = !wasLive || snapshot.revision != state.snapshot?.revision || state.snapshot?.peers != snapshot.peers
            state.snapshot = snapshot
            state.phase = .live
            return changed ? Array(state.subscribers.values) : []
        }
        metrics.recordSnapshot(peers: snapshot.peers.count)
        if subscribers != nil { history.record(snapshot) }
        for subscriber in subscribers ?? [] { subscriber.yield(snapshot) }
    }

    /// Reads the registry as it was at `serial` into ``history``, or marks the serial
    /// unavailable there when etcd cannot give it (compacted, before the registry's first
    /// revision, or etcd unreachable). The revision is the one nearest below the current
    /// revision whose low 32 bits are `serial` (``RegistrySnapshot/serial``).
    public func loadHistory(serial: UInt32) async {
        guard let current = state.withLock({ $0.snapshot }), let revision = Self.revision(of: serial, below: current.revision) else {
            history.markUnavailable(serial)
            return
        }
        let read = historyReads.withLock { reads in
            if let running = reads[serial] { return running }
            let task = Task { await self.readHistory(serial: serial, revision: revision) }
            reads[serial] = task
            return task
        }
        await read.value
        historyReads.withLock { _ = $0.removeValue(forKey: serial) }
    }

    private func readHistory(serial: UInt32, revision: Int64) async {
        do {
            let listing = try await registry.list(atRevision: revision)
            history.record(RegistrySnapshot(listing: listing))
            logger.debug("read an earlier registry revision for IXFR", metadata: ["revision": "\(revision)", "peers": "\(listing.peers.count)"])
        } catch {
            history.markUnavailable(serial)
            logger.info("an IXFR base is not in etcd; answering with the whole zone", metadata: [
                "serial": "\(serial)", "revision": "\(revision)", "error": "\(error)",
            ])
        }
    }

    /// The revision at or below `current` whose low 32 bits are `serial`; `nil` when there is none.
    static func revision(of serial: UInt32, below current: Int64) -> Int64? {
        var revision = (current & ~0xFFFF_FFFF) | Int64(serial)
        if revision > current { revision -= 1 << 32 }
        return revision > 0 ? revision : nil
    }

    /// Reads the registry, then follows the watch and resyncs periodically until graceful
    /// shutdown or cancellation; persists every new snapshot meanwhile.
    public func run() async throws {
        let installed = updates()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await self.readUntilSuccess()
                    await self.followWatch()
                }
                group.addTask { await self.resyncPeriodically() }
                if let directory = self.stateDirectory {
                    group.addTask { await self.persist(installed, to: directory) }
                }
                await group.waitForAll()
            }
        }
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Writes each installed snapshot to the state directory, the newest when several came
    /// while one was written. The write runs on ``BlockingPool``; a failure is logged and
    /// the next snapshot is tried again (serving goes on from memory).
    func persist(_ snapshots: AsyncStream<RegistrySnapshot>, to directory: String) async {
        let prefix = registry.configuration.keys.prefix
        // A snapshot installed before run() subscribed is written first.
        var written: Int64? = nil
        if let live { written = await save(live, prefix: prefix, to: directory) }
        for await snapshot in snapshots where snapshot.revision != written || written == nil {
            written = await save(snapshot, prefix: prefix, to: directory)
        }
    }

    /// Saves one snapshot; returns its revision when it was written.
    private func save(_ snapshot: RegistrySnapshot, prefix: String, to directory: String) async -> Int64? {
        let file = RegistrySnapshotFile(snapshot: snapshot, prefix: prefix, savedAt: Date())
        // A thread of its own for the write (an fsync may take a while under I/O load).
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, RegistrySnapshotFileError>, Never>) in
            Thread { continuation.resume(returning: Result { () throws(RegistrySnapshotFileError) in try file.save(to: directory) }) }.start()
        }
        switch result {
        case .success:
            metrics.recordSnapshotPersisted()
            return snapshot.revision
        case .failure(let error):
            metrics.recordSnapshotPersistFailure()
            logger.error("cannot persist the registry snapshot; a restart while etcd is down will serve SERVFAIL",
                         metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The persisted snapshot in `directory`, or `nil` (logged) when there is none usable.
    static func loadPersisted(from directory: String, prefix: String, logger: Logger) -> RegistrySnapshotFile? {
        let file: RegistrySnapshotFile?
        do {
            file = try RegistrySnapshotFile.load(from: directory)
        } catch {
            logger.error("ignoring the persisted registry snapshot; serving SERVFAIL until etcd is read",
                         metadata: ["error": "\(error)"])
            return nil
        }
        guard let file else {
            logger.notice("no persisted registry snapshot; serving SERVFAIL until etcd is read",
                          metadata: ["file": "\(RegistrySnapshotFile.path(in: directory))"])
            return nil
        }
        guard file.prefix == prefix else {
            logger.error("ignoring the persisted registry snapshot: it was read under another etcd prefix",
                         metadata: ["file": "\(RegistrySnapshotFile.path(in: directory))", "prefix": "\(file.prefix)",
                                    "configured": "\(prefix)"])
            return nil
        }
        logger.notice("serving the persisted registry snapshot until etcd is read", metadata: [
            "file": "\(RegistrySnapshotFile.path(in: directory))", "revision": "\(file.snapshot.revision)",
            "peers": "\(file.snapshot.peers.count)", "saved_at": "\(file.savedAt)",
        ])
        return file
    }
}
