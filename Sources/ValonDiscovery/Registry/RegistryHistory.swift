import Synchronization
import ValonKit

/// The earlier registry snapshots an IXFR is answered from (RFC 1995; docs/ARCHITECTURE.md
/// §12), by serial, newest last, bounded by a count and by an estimate of their memory.
/// Serials read from etcd at their revision on demand are kept the same way; serials etcd
/// could not give (compacted, or before the registry existed) are remembered for a while as
/// unavailable, so that the followers asking from one of them get the whole zone at once
/// instead of one etcd read each.
///
/// It also memoizes the differences it computed: after a change every follower asks from
/// the same serial, and the difference is made once for all of them.
public final class RegistryHistory: Sendable {
    /// What the history knows of a serial.
    public enum Lookup: Sendable {
        /// The snapshot the zone had at that serial.
        case snapshot(RegistrySnapshot)
        /// etcd could not give it: answer with the whole zone.
        case unavailable
        /// Not kept and not tried: the caller may read it from etcd (``RegistrySnapshotStore/loadHistory(serial:)``).
        case unknown
    }

    public let maximumCount: Int
    public let maximumBytes: Int
    /// How long a serial stays known as unavailable (a transient etcd error must not make
    /// it unavailable for good).
    let unavailableFor: Duration

    private struct State {
        var snapshots: [(serial: UInt32, snapshot: RegistrySnapshot, bytes: Int)] = []
        var bytes = 0
        var unavailable: [UInt32: ContinuousClock.Instant] = [:]
        var differences: [(key: DifferenceKey, difference: DNSZoneDifference)] = []
        var recordCounts: [(revision: Int64, count: Int)] = []
    }

    private struct DifferenceKey: Equatable {
        var from: Int64
        var to: Int64
    }

    private let state = Mutex(State())
    private static let memoized = 8

    public init(maximumCount: Int, maximumBytes: Int, unavailableFor: Duration = .seconds(30)) {
        self.maximumCount = maximumCount
        self.maximumBytes = maximumBytes
        self.unavailableFor = unavailableFor
    }

    /// Keeps `snapshot` (a newer snapshot at a serial already kept replaces it), dropping
    /// the oldest ones past either bound.
    public func record(_ snapshot: RegistrySnapshot) {
        guard maximumCount > 0 else { return }
        let bytes = Self.estimatedBytes(snapshot)
        state.withLock { state in
            let serial = snapshot.serial
            state.unavailable[serial] = nil
            if let index = state.snapshots.firstIndex(where: { $0.serial == serial }) {
                state.bytes -= state.snapshots[index].bytes
                state.snapshots.remove(at: index)
            }
            state.snapshots.append((serial, snapshot, bytes))
            state.bytes += bytes
            // Keep the newest one even when it alone is over the byte bound.
            while state.snapshots.count > 1, state.snapshots.count > maximumCount || state.bytes > maximumBytes {
                state.bytes -= state.snapshots.removeFirst().bytes
            }
        }
    }

    /// Remembers that etcd could not give the registry at `serial`.
    public func markUnavailable(_ serial: UInt32) {
        state.withLock { state in
            let now = ContinuousClock.now
            state.unavailable = state.unavailable.filter { now - $0.value < unavailableFor }
            state.unavailable[serial] = now
        }
    }

    /// What is known of `serial`.
    public func lookup(_ serial: UInt32) -> Lookup {
        state.withLock { state in
            if let kept = state.snapshots.last(where: { $0.serial == serial }) { return .snapshot(kept.snapshot) }
            if let since = state.unavailable[serial], ContinuousClock.now - since < unavailableFor { return .unavailable }
            return .unknown
        }
    }

    /// The serials kept, oldest first (for `/health` and the tests).
    public var serials: [UInt32] { state.withLock { $0.snapshots.map(\.serial) } }

    /// The difference from `old` to `new`, made once per pair of revisions.
    func difference(responder: DNSZoneResponder, from old: RegistrySnapshot, to new: RegistrySnapshot) -> DNSZoneDifference {
        let key = DifferenceKey(from: old.revision, to: new.revision)
        if let found = state.withLock({ $0.differences.first { $0.key == key }?.difference }) { return found }
        let difference = DNSZoneDifference(responder: responder, from: old, to: new)
        state.withLock { state in
            state.differences.append((key, difference))
            if state.differences.count > Self.memoized { state.differences.removeFirst() }
        }
        return difference
    }

    /// How many records a whole transfer of `snapshot` holds, both SOAs included; counted
    /// once per revision.
    func recordCount(responder: DNSZoneResponder, snapshot: RegistrySnapshot) -> Int {
        if let found = state.withLock({ $0.recordCounts.first { $0.revision == snapshot.revision }?.count }) { return found }
        var count = 0
        var records = DNSZoneTransferStream.Records(responder: responder, snapshot: snapshot)
        while records.next() != nil { count += 1 }
        state.withLock { state in
            state.recordCounts.append((snapshot.revision, count))
            if state.recordCounts.count > Self.memoized { state.recordCounts.removeFirst() }
        }
        return count
    }

    /// A rough size of a snapshot in memory: a fixed cost per value plus its text.
    static func estimatedBytes(_ snapshot: RegistrySnapshot) -> Int {
        var bytes = 256
        for peer in snapshot.peers {
            bytes += 320 + peer.alias.utf8.count + (peer.lanEndpoint == nil ? 0 : 32) + (peer.natEndpoint == nil ? 0 : 32)
        }
        return bytes + snapshot.relays.count * 96 + snapshot.discoveryNodes.count * 256
    }
}
