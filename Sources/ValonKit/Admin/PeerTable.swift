/// The text forms of peers: `peer list`'s table and `peer show`'s fields. Pure; `now`
/// (Unix seconds) is passed in so handshake ages are testable.
public enum PeerTable {
    /// RELAYED WITH is last, so that scripts reading the first five columns with `awk` (the
    /// original's columns) still find them where they were.
    public static let headers = ["ALIAS", "PUBKEY", "WG IP", "LAN", "NAT", "LAST HANDSHAKE", "RELAYED WITH"]

    /// A table with one row per peer, columns padded to their widest cell.
    /// `interfacePresent` tells "never" (interface without a handshake) from "-" (no interface).
    public static func render(_ views: [PeerView], interfacePresent: Bool, now: Int64) -> String {
        let rows = [headers] + views.map { view in
            [view.peer.alias, view.peer.publicKey.base64, view.peer.wgIP.description,
             view.peer.lanEndpoint?.description ?? "-", view.peer.natEndpoint?.description ?? "-",
             handshake(view.interfacePeer, interfacePresent: interfacePresent, now: now),
             relayed(view.relays)]
        }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `peer show`'s `field: value` lines.
    public static func details(_ view: PeerView, interfaceName: String, interfacePresent: Bool, now: Int64) -> String {
        var lines = [
            ("alias", view.peer.alias),
            ("public key", view.peer.publicKey.base64),
            ("key label", view.peer.publicKey.dnsLabel),
            ("WireGuard IP", view.peer.wgIP.description),
            ("LAN endpoint", view.peer.lanEndpoint?.description ?? "-"),
            ("NAT endpoint", view.peer.natEndpoint?.description ?? "-"),
        ]
        lines.append(("relayed with", view.relays.isEmpty ? "-" : view.relays.map { "\($0.alias) (port \($0.port))" }.joined(separator: ", ")))
        if let entry = view.interfacePeer {
            lines.append(("\(interfaceName) endpoint", entry.endpoint?.description ?? "-"))
            lines.append(("\(interfaceName) allowed IPs", entry.allowedIPs.map(\.description).joined(separator: ", ")))
            lines.append(("last handshake", handshake(entry, interfacePresent: true, now: now)))
            lines.append(("transfer", "\(entry.rxBytes) B received, \(entry.txBytes) B sent"))
        } else {
            lines.append(("\(interfaceName)", interfacePresent ? "peer not on the interface" : "interface does not exist"))
        }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { "\($0.0):" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 }.joined(separator: "\n") + "\n"
    }

    /// `"-"` for a peer with no relayed pair, else `alias:port` per pair, comma-separated.
    public static func relayed(_ relays: [PeerView.RelayPartner]) -> String {
        relays.isEmpty ? "-" : relays.map { "\($0.alias):\($0.port)" }.joined(separator: ",")
    }

    /// `"-"` without an interface entry, `"never"` without a handshake, else its age.
    public static func handshake(_ entry: WireGuardPeer?, interfacePresent: Bool, now: Int64) -> String {
        guard let entry else { return "-" }
        guard let time = entry.lastHandshake else { return "never" }
        return age(seconds: max(0, now - time.seconds)) + " ago"
    }

    /// `45s`, `3m 7s`, `2h 5m`, `4d 3h`.
    public static func age(seconds: Int64) -> String {
        switch seconds {
        case ..<60: "\(seconds)s"
        case ..<3600: "\(seconds / 60)m \(seconds % 60)s"
        case ..<86400: "\(seconds / 3600)h \(seconds % 3600 / 60)m"
        default: "\(seconds / 86400)d \(seconds % 86400 / 3600)h"
        }
    }
}
