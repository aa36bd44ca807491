/// `valonctl status`'s text form. Pure; `now` (Unix seconds) gives handshake ages.
public enum StatusText {
    public static func render(_ report: StatusReport, now: Int64) -> String {
        var lines: [String] = []
        func mark(_ ok: Bool) -> String { ok ? "ok" : "DOWN" }

        let interface = report.interface
        lines.append("WireGuard interface \(interface.name): \(mark(interface.ok))\(interface.error.map { " (\($0))" } ?? "")")
        if let key = interface.publicKey { lines.append("  public key:     \(key)") }
        if let port = interface.listenPort { lines.append("  listening port: \(port)") }
        if interface.ok || interface.publicKey != nil {
            lines.append("  peers:          \(interface.peers) (\(interface.peersWithRecentHandshake) with a handshake in the last \(StatusReport.recentHandshake / 60) minutes)")
            let latest = interface.latestHandshake.map { PeerTable.age(seconds: max(0, now - $0)) + " ago" } ?? "never"
            lines.append("  last handshake: \(latest)")
        }

        let etcd = report.etcd
        lines.append("etcd: \(mark(etcd.ok)) (\(etcd.reachable) of \(etcd.endpoints.count) endpoints reachable)")
        for endpoint in etcd.endpoints {
            if endpoint.ok {
                var facts = ["member \(endpoint.memberID ?? "?")"]
                if endpoint.isLeader { facts.append("leader") }
                if let version = endpoint.version { facts.append("etcd \(version)") }
                if let revision = endpoint.revision { facts.append("revision \(revision)") }
                lines.append("  \(endpoint.endpoint): ok, \(facts.joined(separator: ", "))")
            } else {
                lines.append("  \(endpoint.endpoint): DOWN (\(endpoint.error ?? "no answer"))")
            }
        }
        if etcd.reachable > 0 { lines.append("  leader:   \(etcd.leader ?? "none")") }
        if let revision = etcd.revision { lines.append("  revision: \(revision)") }
        if let peers = etcd.registeredPeers { lines.append("  registered peers: \(peers)") }
        if let pairs = etcd.relayedPairs {
            lines.append("  relayed pairs: \(pairs.isEmpty ? "none" : String(pairs.count))")
            for pair in pairs { lines.append("    \(pair)") }
        }

        let ddns = report.ddns
        lines.append("DDNS API \(ddns.url): \(mark(ddns.ok))\(ddns.status.map { " (HTTP \($0))" } ?? "")\(ddns.ok ? "" : ddns.error.map { ": \($0)" } ?? "")")

        if let dns = report.dns {
            let answer = dns.ok ? dns.addresses.joined(separator: ", ") : (dns.error ?? "no answer")
            lines.append("DNS \(dns.name) at \(dns.server): \(mark(dns.ok)) (\(answer))")
        }
        lines.append(report.healthy ? "All checks passed." : "\(report.problems.count) check(s) failed.")
        return lines.joined(separator: "\n") + "\n"
    }
}
