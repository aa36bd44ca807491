import ValonKit

/// `GET /health`: the state of etcd and of the WireGuard interface. `degraded` (HTTP 503)
/// when either is unhealthy: etcd's last read or watch failed, or the interface could
/// not be read or programmed.
struct HealthReport: Encodable, Sendable {
    struct Etcd: Encodable, Sendable {
        var healthy: Bool
        var revision: Int64
        var peers: Int
        var problems: Int
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

    var isHealthy: Bool { etcd.healthy && wireguard.healthy }

    init(etcdHealthy: Bool, snapshot: RegistrySnapshot, wireGuard reading: WireGuardStatus.Reading) {
        etcd = Etcd(healthy: etcdHealthy && snapshot.revision > 0, revision: snapshot.revision,
                    peers: snapshot.peers.count, problems: snapshot.problems.count)
        wireguard = WireGuard(interface: reading.interface, healthy: reading.isHealthy, peers: reading.peers,
                              error: reading.error?.message ?? (reading.lastRead == nil ? "not read yet" : nil))
        status = etcd.healthy && wireguard.healthy ? "ok" : "degraded"
    }
}
