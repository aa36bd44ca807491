import Synchronization
import ValonKit

/// What one relay port forwarded and dropped, for `/metrics` and `valonctl relay list`.
/// Updated by the port's event loop, read by anyone.
public final class RelayCounters: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var forwardedPackets: UInt64 = 0
        public var forwardedBytes: UInt64 = 0
        /// Forwarded datagrams by WireGuard message type (1–4).
        public var forwardedByType: [WireGuardMessageType: UInt64] = [:]
        public var dropped: [RelayDropReason: UInt64] = [:]
        /// Seconds on the port's monotonic clock of the last forwarded datagram.
        public var lastForwarded: Double?

        public var droppedPackets: UInt64 { dropped.values.reduce(0, +) }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func forwarded(_ type: WireGuardMessageType, bytes: Int, at now: Double) {
        state.withLock {
            $0.forwardedPackets += 1
            $0.forwardedBytes += UInt64(bytes)
            $0.forwardedByType[type, default: 0] += 1
            $0.lastForwarded = now
        }
    }

    func dropped(_ reason: RelayDropReason) {
        state.withLock { $0.dropped[reason, default: 0] += 1 }
    }
}
