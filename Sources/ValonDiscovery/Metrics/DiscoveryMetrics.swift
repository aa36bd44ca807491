import Synchronization
import ValonKit

/// The discovery node's counters and gauges, rendered in the Prometheus text exposition
/// format 0.0.4 by ``render(now:)`` for `GET /metrics`.
///
/// Every method is cheap (one short lock) and safe from any thread: the DNS server counts
/// each answer on its event loop, the API counts each request.
public final class DiscoveryMetrics: Sendable {
    struct State {
        var dnsQueries: [DNSQueryKey: UInt64] = [:]
        var apiRequests: [Int: UInt64] = [:]
        var etcdErrors: UInt64 = 0
        var learnedEndpoints: UInt64 = 0
        var reconcilerChanges: [String: UInt64] = [:]
        var registryPeers = 0
        var snapshotTime: ContinuousClock.Instant?
        var etcdHealthy = false
        var persisted: UInt64 = 0
        var persistFailures: UInt64 = 0
        var ixfrAnswers: [IXFRAnswer: UInt64] = [:]
    }

    struct DNSQueryKey: Hashable {
        var type: UInt16
        var rcode: UInt16
    }

    private let state = Mutex(State())
    /// The NOTIFY sender's counters (docs/ARCHITECTURE.md §12), rendered with the rest.
    public let notify = NotifyCounters()
    /// The relay's open ports and their counters, read when the metrics are rendered.
    private let relays = Mutex<(@Sendable () -> [(allocation: RelayAllocation, counters: RelayCounters.Snapshot)])?>(nil)

    public init() {}

    /// Where ``render(now:)`` reads the relay's ports from.
    public func observeRelays(_ source: @escaping @Sendable () -> [(allocation: RelayAllocation, counters: RelayCounters.Snapshot)]) {
        relays.withLock { $0 = source }
    }

    /// Counts one DNS answer by its question's type and its response code.
    public func recordDNSQuery(type: DNSRecordType, rcode: DNSResponseCode) {
        state.withLock { $0.dnsQueries[DNSQueryKey(type: type.rawValue, rcode: rcode.rawValue), default: 0] += 1 }
    }

    /// Counts one IXFR answer by what it carried (RFC 1995).
    public func recordIXFR(_ answer: IXFRAnswer) {
        state.withLock { $0.ixfrAnswers[answer, default: 0] += 1 }
    }

    /// Counts one DDNS API request by its HTTP status.
    public func recordAPIRequest(status: Int) {
        state.withLock { $0.apiRequests[status, default: 0] += 1 }
    }

    /// Counts one failed etcd read, watch or write.
    public func recordEtcdError() {
        state.withLock {
            $0.etcdErrors += 1
            $0.etcdHealthy = false
        }
    }

    /// Counts one observed endpoint written to the registry by the endpoint learner.
    public func recordLearnedEndpoint() {
        state.withLock { $0.learnedEndpoints += 1 }
    }

    /// Counts changes the reconciler made to the interface (`kind`: `added`, `removed`, `updated`).
    public func recordReconcilerChanges(_ kind: String, count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { $0.reconcilerChanges[kind, default: 0] += UInt64(count) }
    }

    /// Notes a new registry snapshot: its size, and now as the time of the last good read.
    public func recordSnapshot(peers: Int, at instant: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.registryPeers = peers
            $0.snapshotTime = instant
            $0.etcdHealthy = true
        }
    }

    /// Notes the snapshot loaded from disk at start-up: its size only (etcd has not been read).
    public func recordPersistedSnapshot(peers: Int) {
        state.withLock { $0.registryPeers = peers }
    }

    /// Notes a snapshot written to the state directory.
    public func recordSnapshotPersisted() {
        state.withLock { $0.persisted += 1 }
    }

    /// Notes a snapshot that could not be written to the state directory.
    public func recordSnapshotPersistFailure() {
        state.withLock { $0.persistFailures += 1 }
    }

    /// Counted DNS answers of one type and response code (for tests and `/health`).
    public func dnsQueries(type: DNSRecordType, rcode: DNSResponseCode) -> UInt64 {
        state.withLock { $0.dnsQueries[DNSQueryKey(type: type.rawValue, rcode: rcode.rawValue)] ?? 0 }
    }

    /// The number of etcd errors counted so far.
    public var etcdErrors: UInt64 { state.withLock { $0.etcdErrors } }

    /// The metrics in the Prometheus text exposition format, version 0.0.4
    /// (`Content-Type: text/plain; version=0.0.4`).
    public func render(now: ContinuousClock.Instant = .now) -> String {
        let state = state.withLock { $0 }
        var text = PrometheusText()
        text.family("valon_dns_queries_total", type: "counter", help: "DNS queries answered, by question type and response code.")
        for (key, value) in state.dnsQueries.sorted(by: { ($0.key.type, $0.key.rcode) < ($1.key.type, $1.key.rcode) }) {
            text.sample("valon_dns_queries_total", labels: [
                ("qtype", DNSRecordType(rawValue: key.type).description),
                ("rcode", DNSResponseCode(rawValue: key.rcode).description),
            ], value: String(value))
        }
        text.family("valon_dns_ixfr_total", type: "counter",
                    help: "IXFR answers, by what they carried: the difference, the whole zone, or the SOA alone (current serial).")
        for answer in IXFRAnswer.allCases {
            text.sample("valon_dns_ixfr_total", labels: [("answer", answer.rawValue)], value: String(state.ixfrAnswers[answer] ?? 0))
        }
        text.family("valon_api_requests_total", type: "counter", help: "DDNS API requests, by HTTP status.")
        for (status, value) in state.apiRequests.sorted(by: { $0.key < $1.key }) {
            text.sample("valon_api_requests_total", labels: [("status", String(status))], value: String(value))
        }
        text.family("valon_registry_peers", type: "gauge", help: "Peers in the current registry snapshot.")
        text.sample("valon_registry_peers", value: String(state.registryPeers))
        text.family("valon_registry_snapshot_age_seconds", type: "gauge", help: "Seconds since the registry was last read from etcd.")
        let age = state.snapshotTime.map { now - $0 }.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        text.sample("valon_registry_snapshot_age_seconds", value: age.map { String($0) } ?? "NaN")
        text.family("valon_etcd_up", type: "gauge", help: "1 when the last etcd read succeeded.")
        text.sample("valon_etcd_up", value: state.etcdHealthy ? "1" : "0")
        text.family("valon_etcd_errors_total", type: "counter", help: "Failed etcd reads, watches and writes.")
        text.sample("valon_etcd_errors_total", value: String(state.etcdErrors))
        text.family("valon_registry_snapshot_writes_total", type: "counter", help: "Registry snapshots written to the state directory, by result.")
        text.sample("valon_registry_snapshot_writes_total", labels: [("result", "ok")], value: String(state.persisted))
        text.sample("valon_registry_snapshot_writes_total", labels: [("result", "error")], value: String(state.persistFailures))
        text.family("valon_learned_endpoints_total", type: "counter", help: "Observed endpoints written to the registry.")
        text.sample("valon_learned_endpoints_total", value: String(state.learnedEndpoints))
        text.family("valon_reconciler_changes_total", type: "counter", help: "Peers the reconciler changed on the interface, by kind.")
        for (kind, value) in state.reconcilerChanges.sorted(by: { $0.key < $1.key }) {
            text.sample("valon_reconciler_changes_total", labels: [("kind", kind)], value: String(value))
        }
        if let source = relays.withLock({ $0 }) {
            renderRelays(source(), into: &text)
        }
        notify.render(into: &text)
        return text.output
    }

    /// The relay's families (docs/ARCHITECTURE.md §10): open ports, and per port what was
    /// forwarded and dropped, by reason.
    private func renderRelays(_ ports: [(allocation: RelayAllocation, counters: RelayCounters.Snapshot)], into text: inout PrometheusText) {
        text.family("valon_relay_active", type: "gauge", help: "Relay ports open for relayed pairs.")
        text.sample("valon_relay_active", value: String(ports.count))
        text.family("valon_relay_forwarded_packets_total", type: "counter", help: "Datagrams the relay forwarded, by port.")
        for (allocation, counters) in ports {
            text.sample("valon_relay_forwarded_packets_total", labels: [("port", String(allocation.port))], value: String(counters.forwardedPackets))
        }
        text.family("valon_relay_forwarded_bytes_total", type: "counter", help: "Bytes of WireGuard messages the relay forwarded, by port.")
        for (allocation, counters) in ports {
            text.sample("valon_relay_forwarded_bytes_total", labels: [("port", String(allocation.port))], value: String(counters.forwardedBytes))
        }
        text.family("valon_relay_dropped_packets_total", type: "counter", help: "Datagrams the relay dropped, by port and reason.")
        for (allocation, counters) in ports {
            for reason in RelayDropReason.allCases {
                text.sample("valon_relay_dropped_packets_total", labels: [("port", String(allocation.port)), ("reason", reason.rawValue)],
                            value: String(counters.dropped[reason] ?? 0))
            }
        }
    }
}

/// What an IXFR answer carried (RFC 1995): the condensed difference, the whole zone
/// (AXFR-style), or the SOA alone (the client is current, or over UDP the answer did not fit).
public enum IXFRAnswer: String, Sendable, Hashable, CaseIterable {
    case difference
    case full
    case current
}
