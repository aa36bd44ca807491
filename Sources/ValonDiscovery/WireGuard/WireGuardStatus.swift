import Synchronization
import ValonKit

/// What the discovery node last learned about its WireGuard interface, shared by the
/// endpoint learner and the reconciler (writers) and `GET /health` (reader).
public final class WireGuardStatus: Sendable {
    public struct Reading: Sendable, Hashable {
        /// The interface observed.
        public var interface: String
        /// Peers on the interface at the last successful read.
        public var peers: Int
        /// When the interface was last read successfully.
        public var lastRead: ContinuousClock.Instant?
        /// The last failure to read or program the interface, cleared by the next success.
        public var error: WireGuardError?

        /// Whether the last look at the interface succeeded.
        public var isHealthy: Bool { lastRead != nil && error == nil }
    }

    private let state: Mutex<Reading>
    /// Each peer's latest handshake with the interface (seconds since the epoch), at the last read.
    private let handshakes = Mutex<[WireGuardKey: Int64]>([:])

    public init(interface: String) {
        state = Mutex(Reading(interface: interface, peers: 0))
    }

    public var reading: Reading { state.withLock { $0 } }

    func recordRead(peers: Int, at instant: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.peers = peers
            $0.lastRead = instant
            $0.error = nil
        }
    }

    /// A successful read of the whole device: its peer count and every peer's latest handshake.
    func recordRead(_ device: WireGuardDevice, at instant: ContinuousClock.Instant = .now) {
        recordRead(peers: device.peers.count, at: instant)
        var latest = [WireGuardKey: Int64](minimumCapacity: device.peers.count)
        for peer in device.peers { if let handshake = peer.lastHandshake, handshake.seconds > 0 { latest[peer.publicKey] = handshake.seconds } }
        handshakes.withLock { $0 = latest }
    }

    /// The peer's latest handshake with the node's interface, when the last read saw one.
    public func lastHandshake(of key: WireGuardKey) -> Int64? {
        handshakes.withLock { $0[key] }
    }

    func recordFailure(_ error: WireGuardError) {
        state.withLock { $0.error = error }
    }
}
