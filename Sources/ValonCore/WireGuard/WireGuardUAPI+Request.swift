extension WireGuardUAPI {
    /// The `set=1` request for `update`, blank line included: one request for the whole
    /// batch, in the order and with the keys wireguard-tools' `userspace_set_device()` uses.
    /// `update_only` follows `public_key` directly, because an implementation creates the
    /// peer as soon as it reads the key.
    public static func setRequest(for update: WireGuardDevice) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64 + update.peers.count * 200)
        out.append(line: "set", "1")
        if let privateKey = update.privateKey { out.append(line: "private_key", privateKey.hex) }
        if let listenPort = update.listenPort { out.append(line: "listen_port", String(listenPort)) }
        if let fwmark = update.fwmark { out.append(line: "fwmark", String(fwmark)) }
        if update.flags.contains(.replacePeers) { out.append(line: "replace_peers", "true") }
        for peer in update.peers {
            out.append(line: "public_key", peer.publicKey.hex)
            if peer.flags.contains(.remove) {
                out.append(line: "remove", "true")
                continue
            }
            if peer.flags.contains(.updateOnly) { out.append(line: "update_only", "true") }
            if let presharedKey = peer.presharedKey { out.append(line: "preshared_key", presharedKey.hex) }
            if let endpoint = peer.endpoint { out.append(line: "endpoint", endpoint.description) }
            if let keepalive = peer.persistentKeepalive {
                out.append(line: "persistent_keepalive_interval", String(keepalive))
            }
            if let version = peer.protocolVersion { out.append(line: "protocol_version", String(version)) }
            if peer.flags.contains(.replaceAllowedIPs) { out.append(line: "replace_allowed_ips", "true") }
            for network in peer.allowedIPs { out.append(line: "allowed_ip", network.description) }
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

extension [UInt8] {
    fileprivate mutating func append(line key: String, _ value: String) {
        append(contentsOf: key.utf8)
        append(UInt8(ascii: "="))
        append(contentsOf: value.utf8)
        append(UInt8(ascii: "\n"))
    }
}
