import ValonKit

/// Parses `wg show NAME dump`, the independent oracle for what a device holds:
/// one line `private-key public-key listen-port fwmark`, then per peer
/// `public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive`,
/// tab-separated, `(none)` and `off` for absent values.
enum WireGuardDump {
    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "unexpected `wg show dump` line: \(line)" }
    }

    static func parse(_ text: String, name: String) throws -> WireGuardDevice {
        var lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let head = lines.first, head.count == 4 else { throw Malformed(line: text) }
        lines.removeFirst()
        var device = WireGuardDevice(name: name)
        device.privateKey = head[0] == "(none)" ? nil : try WireGuardKey(base64: head[0])
        device.listenPort = UInt16(head[2]).flatMap { $0 == 0 ? nil : $0 }
        // `wg` prints the mark in hex (`0x51`).
        device.fwmark = head[3] == "off" ? nil
            : head[3].hasPrefix("0x") ? UInt32(head[3].dropFirst(2), radix: 16) : UInt32(head[3])
        for fields in lines {
            guard fields.count == 8 else { throw Malformed(line: fields.joined(separator: "\t")) }
            var peer = WireGuardPeer(publicKey: try WireGuardKey(base64: fields[0]))
            peer.presharedKey = fields[1] == "(none)" ? nil : try WireGuardKey(base64: fields[1])
            peer.endpoint = fields[2] == "(none)" ? nil : Endpoint(fields[2])
            peer.allowedIPs = fields[3] == "(none)" ? [] : try fields[3].split(separator: ",").map { text in
                guard let network = IPNetwork(text) else { throw Malformed(line: fields.joined(separator: "\t")) }
                return network
            }
            let seconds = Int64(fields[4]) ?? 0
            peer.lastHandshake = seconds == 0 ? nil : .init(seconds: seconds)
            peer.rxBytes = UInt64(fields[5]) ?? 0
            peer.txBytes = UInt64(fields[6]) ?? 0
            peer.persistentKeepalive = fields[7] == "off" ? nil : UInt16(fields[7])
            device.peers.append(peer)
        }
        return device
    }
}

extension WireGuardDevice {
    /// The configuration only, peers sorted by key and allowed IPs sorted: for comparing
    /// a device read two ways, or against what was applied.
    var comparableConfiguration: WireGuardDevice {
        var copy = self
        copy.flags = []
        copy.peers = peers.map { peer in
            var configuration = peer.configuration
            configuration.allowedIPs = configuration.allowedIPs.map(\.canonical).sorted { "\($0)" < "\($1)" }
            return configuration
        }.sorted { $0.publicKey.base64 < $1.publicKey.base64 }
        return copy
    }

    /// `nil` when both have the same configuration (``comparableConfiguration``), else the
    /// first difference in a line: short enough to read in a failed expectation.
    func configurationDifference(from other: WireGuardDevice) -> String? {
        let (mine, theirs) = (comparableConfiguration, other.comparableConfiguration)
        if mine.privateKey != theirs.privateKey { return "private keys differ" }
        if mine.listenPort != theirs.listenPort { return "listen port \(String(describing: mine.listenPort)) vs \(String(describing: theirs.listenPort))" }
        if mine.fwmark != theirs.fwmark { return "fwmark \(String(describing: mine.fwmark)) vs \(String(describing: theirs.fwmark))" }
        if mine.peers.count != theirs.peers.count { return "\(mine.peers.count) peers vs \(theirs.peers.count)" }
        for (left, right) in zip(mine.peers, theirs.peers) where left != right {
            return "peer \(left) vs \(right)"
        }
        return nil
    }
}
