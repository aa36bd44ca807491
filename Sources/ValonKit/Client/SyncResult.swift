import Foundation

/// What one valon-sync run did, for `--json` and the log line.
public struct SyncResult: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Hashable, Sendable {
        /// The update was applied to the device.
        case applied
        /// The registry was read; the device already matched it.
        case unchanged
        /// The SOA serial and the device fingerprint matched the last sync: nothing fetched.
        case upToDate = "up-to-date"
        /// `--dry-run`: the plan was computed and not applied.
        case planned
    }

    /// What became of the endpoint report.
    public enum ReportStatus: String, Codable, Hashable, Sendable {
        case sent
        /// The same endpoint was accepted before: not sent again.
        case unchanged
        case failed
        /// Not attempted (`--dry-run`, `--no-report`, or no LAN address).
        case skipped
    }

    /// One peer's line, for changed peers (all planned peers with `--dry-run`).
    public struct PeerLine: Codable, Hashable, Sendable {
        public var pubkey: String
        public var alias: String?
        public var action: SyncPlan.Action
        public var endpoint: String?
        public var reason: EndpointSelection.Reason?
        public var allowedIPs: [String]

        enum CodingKeys: String, CodingKey {
            case pubkey, alias, action, endpoint, reason
            case allowedIPs = "allowed_ips"
        }
    }

    public var interface: String
    public var status: Status
    /// The zone's SOA serial this run saw.
    public var serial: UInt32?
    /// How the peers were read (`axfr`, `browse`), `nil` when nothing was fetched.
    public var method: RegistryReader.Method?
    /// DNS queries sent by this run (a zone transfer counts as one).
    public var dnsQueries: Int
    public var lanEndpoint: String?
    /// Peers whose endpoint was set again because this host's LAN endpoint changed.
    public var endpointsRefreshed = 0
    public var report: ReportStatus
    public var reportError: String?
    public var registryPeers: Int?
    /// `true` for an incremental sync of `--follow` (``ValonSync/runIncremental()``): only the
    /// peers that changed were planned and set, the device was not read.
    public var incremental: Bool?
    public var added = 0
    public var updated = 0
    public var removed = 0
    public var unchanged = 0
    public var excluded = 0
    public var peers: [PeerLine] = []
    /// Relays asked for in this run (docs/ARCHITECTURE.md §10): the peer, and the port or why not.
    public var relayRequests: [RelayRequestLine] = []
    /// Each peer's path as verified so far (``PathVerification/Path/summary``): `lan …`, `nat …`,
    /// `relay …` or `none …`, with the endpoint tried, whether its handshake was seen, and when.
    public var paths: [String: String] = [:]

    /// One relay request: the peer's key, the port given, or the error.
    public struct RelayRequestLine: Codable, Hashable, Sendable {
        public var pubkey: String
        public var port: UInt16?
        public var error: String?
    }

    enum CodingKeys: String, CodingKey {
        case interface, status, serial, method, report, added, updated, removed, unchanged, excluded, peers, paths, incremental
        case relayRequests = "relay_requests"
        case dnsQueries = "dns_queries"
        case lanEndpoint = "lan_endpoint"
        case reportError = "report_error"
        case registryPeers = "registry_peers"
        case endpointsRefreshed = "endpoints_refreshed"
    }

    /// One line for humans and the journal.
    public var summary: String {
        var text = "\(interface): \(status.rawValue)"
        if let serial { text += ", serial \(serial)" }
        if let method { text += ", read by \(method.rawValue)" + (incremental == true ? " (incremental)" : "") }
        if status == .applied || status == .planned || status == .unchanged {
            text += ", \(added) added, \(updated) updated, \(removed) removed, \(unchanged) unchanged"
        }
        text += ", \(dnsQueries) DNS \(dnsQueries == 1 ? "query" : "queries")"
        if let lanEndpoint { text += ", LAN endpoint \(lanEndpoint) (report \(report.rawValue))" }
        if endpointsRefreshed > 0 { text += ", \(endpointsRefreshed) endpoints set again after the host moved" }
        let relayed = paths.values.filter { $0.hasPrefix("relay") }.count
        if relayed > 0 { text += ", \(relayed) relayed" }
        if !relayRequests.isEmpty { text += ", \(relayRequests.count) relay \(relayRequests.count == 1 ? "request" : "requests")" }
        return text
    }
}

extension SyncResult {
    /// The plan as a table, one peer a line (`--dry-run`).
    public var planText: String {
        var lines = ["ACTION     PUBKEY                                        ALIAS            ENDPOINT                      REASON"]
        for peer in peers {
            func pad(_ text: String, _ width: Int) -> String {
                text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
            }
            lines.append(pad(peer.action.rawValue, 11) + pad(peer.pubkey, 46) + pad(peer.alias ?? "-", 17)
                         + pad(peer.endpoint ?? "-", 30) + (peer.reason?.rawValue ?? "-"))
        }
        if !paths.isEmpty {
            lines.append("")
            lines.append("PATH (docs/ARCHITECTURE.md §10)")
            let alias = Dictionary(peers.map { ($0.pubkey, $0.alias ?? "-") }, uniquingKeysWith: { first, _ in first })
            for (key, path) in paths.sorted(by: { $0.key < $1.key }) {
                lines.append("\(key)  \(alias[key] ?? "-"): \(path)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The result as one line of JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
