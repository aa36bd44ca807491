import Synchronization
import ValonKit

/// What the node's NOTIFY sender did (docs/ARCHITECTURE.md §12), for `/metrics` and tests.
/// Updated by the sender's thread, read by anyone.
public final class NotifyCounters: Sendable {
    public struct Snapshot: Sendable, Hashable {
        /// Waves started (one per coalesced burst of zone changes).
        public var waves: UInt64 = 0
        /// Zone changes folded into a later wave.
        public var coalesced: UInt64 = 0
        /// First NOTIFY datagrams sent, one per peer and wave.
        public var sent: UInt64 = 0
        /// Retransmissions (RFC 1996 §3.6).
        public var retried: UInt64 = 0
        /// Responses that matched a pending NOTIFY, by response code (`NOERROR`, `REFUSED`, …).
        public var answered: [String: UInt64] = [:]
        /// Peers that never answered within the retries.
        public var gaveUp: UInt64 = 0
        /// Datagrams the kernel refused, by errno name (`ENOKEY`: no WireGuard peer has the
        /// address; `EDESTADDRREQ`: the peer has no endpoint; `EAGAIN`: the send buffer was full).
        public var sendErrors: [String: UInt64] = [:]
        /// Datagrams on the sender's socket that answered nothing pending.
        public var unmatched: UInt64 = 0
        /// NOTIFY waiting for a response now.
        public var pending = 0

        public var answeredTotal: UInt64 { answered.values.reduce(0, +) }
        public var sendErrorsTotal: UInt64 { sendErrors.values.reduce(0, +) }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }

    /// The sender's families in the Prometheus text format.
    func render(into text: inout PrometheusText) {
        let state = snapshot
        text.family("valon_notify_waves_total", type: "counter", help: "NOTIFY waves started, one per coalesced burst of zone changes.")
        text.sample("valon_notify_waves_total", value: String(state.waves))
        text.family("valon_notify_coalesced_total", type: "counter", help: "Zone changes folded into a later NOTIFY wave.")
        text.sample("valon_notify_coalesced_total", value: String(state.coalesced))
        text.family("valon_notify_sent_total", type: "counter", help: "NOTIFY datagrams sent to peers, first sends and retransmissions.")
        text.sample("valon_notify_sent_total", labels: [("kind", "first")], value: String(state.sent))
        text.sample("valon_notify_sent_total", labels: [("kind", "retry")], value: String(state.retried))
        text.family("valon_notify_answered_total", type: "counter", help: "NOTIFY responses from peers, by response code.")
        for (rcode, value) in state.answered.sorted(by: { $0.key < $1.key }) {
            text.sample("valon_notify_answered_total", labels: [("rcode", rcode)], value: String(value))
        }
        text.family("valon_notify_gave_up_total", type: "counter", help: "Peers that did not answer a NOTIFY within its retries.")
        text.sample("valon_notify_gave_up_total", value: String(state.gaveUp))
        text.family("valon_notify_send_errors_total", type: "counter", help: "NOTIFY datagrams the kernel refused to send, by error.")
        for (error, value) in state.sendErrors.sorted(by: { $0.key < $1.key }) {
            text.sample("valon_notify_send_errors_total", labels: [("error", error)], value: String(value))
        }
        text.family("valon_notify_unmatched_total", type: "counter", help: "Datagrams on the NOTIFY socket that answered nothing pending.")
        text.sample("valon_notify_unmatched_total", value: String(state.unmatched))
        text.family("valon_notify_pending", type: "gauge", help: "NOTIFY waiting for a response.")
        text.sample("valon_notify_pending", value: String(state.pending))
    }
}
