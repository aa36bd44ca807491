import ValonKit

/// What a WireGuard device does with an update, in memory: `nil` fields are kept, the
/// peer flags (remove, update-only, replace allowed IPs) and the device's replace-peers
/// flag are obeyed, as wireguard-tools' `ipc_set_device` documents them. For tests of
/// code that programs a device without a real one.
public enum WireGuardDeviceModel {
    public static func applying(_ update: WireGuardDevice, to device: WireGuardDevice) -> WireGuardDevice {
        var result = device
        if let key = update.privateKey { result.privateKey = key.isZero ? nil : key }
        if let port = update.listenPort { result.listenPort = port }
        if let mark = update.fwmark { result.fwmark = mark == 0 ? nil : mark }
        if update.replacePeers { result.peers = [] }
        for entry in update.peers {
            let index = result.peers.firstIndex { $0.publicKey == entry.publicKey }
            if entry.flags.contains(.remove) {
                if let index { result.peers.remove(at: index) }
                continue
            }
            if index == nil && entry.flags.contains(.updateOnly) { continue }
            var peer = index.map { result.peers[$0] } ?? WireGuardPeer(publicKey: entry.publicKey)
            if let psk = entry.presharedKey { peer.presharedKey = psk.isZero ? nil : psk }
            if let endpoint = entry.endpoint { peer.endpoint = endpoint }
            if let keepalive = entry.persistentKeepalive { peer.persistentKeepalive = keepalive == 0 ? nil : keepalive }
            peer.allowedIPs = (entry.flags.contains(.replaceAllowedIPs) ? [] : peer.allowedIPs) + entry.allowedIPs
            if let index { result.peers[index] = peer } else { result.peers.append(peer) }
        }
        return result
    }
}
