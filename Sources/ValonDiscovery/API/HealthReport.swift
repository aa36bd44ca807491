import Foundation
import ValonKit

/// `GET /health`: the state of the registry and of the WireGuard interface
/// (docs/ARCHITECTURE.md §9). HTTP 200 only for `ok`; 503 for:
/// - `starting`: no registry read yet and none persisted; DNS answers the zone SERVFAIL;
/// - `stale`: DNS serves the snapshot an earlier run persisted (its age in
///   `etcd.snapshot_age_seconds`) because etcd has not answered yet;
/// - `degraded`: etcd's last read or watch failed, or the interface could not be read or
///   programmed; DNS serves the last snapshot read.
struct HealthReport: Encodable, Sendable {
    struct Etcd: Encodable, Sendable {
        var healthy: Bool
        var revision: Int64
        var peers: Int
        var problems: Int
        /// Where DNS answers come from: `etcd`, `disk` (a persisted snapshot) or `none`.
        var source: String
        /// For a persisted snapshot, seconds since it was written.
        var snapshotAgeSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case healthy, revision, peers, problems, source
            case snapshotAgeSeconds = "snapshot_age_seconds"
        }
    }

    struct WireGuard: Encodable, Sendable {
        var interface: String
        var healthy: Bool
        var peers: Int
        var error: String?
    }

    var status: String
    var etcd: Etcd
    var wireguard: WireGuard

    var isHealthy: Bool { status == "ok" }

    init(etcdHealthy: Bool, phase: RegistryPhase, snapshot: RegistrySnapshot?, wireGuard reading: WireGuardStatus.Reading,
         now: Date = Date()) {
        let source: String
        var age: Double?
        switch phase {
        case .starting: source = "none"
        case .stale(let savedAt):
            source = "disk"
            age = max(0, (now.timeIntervalSince(savedAt) * 10).rounded() / 10)
        case .live: source = "etcd"
        }
        etcd = Etcd(healthy: etcdHealthy && phase == .live, revision: snapshot?.revision ?? 0,
                    peers: snapshot?.peers.count ?? 0, problems: snapshot?.problems.count ?? 0,
                    source: source, snapshotAgeSeconds: age)
        wireguard = WireGuard(interface: reading.interface, healthy: reading.isHealthy, peers: reading.peers,
                              error: reading.error?.message ?? (reading.lastRead == nil ? "not read yet" : nil))
        switch phase {
        case .starting: status = "starting"
        case .stale: status = "stale"
        case .live: status = etcd.healthy && wireguard.healthy ? "ok" : "degraded"
        }
    }
}
