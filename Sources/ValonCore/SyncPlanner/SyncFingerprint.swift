import Crypto

/// A digest of what a sync decides from besides the registry: the interface's key and port,
/// the peers valon-sync manages with their allowed IPs and keepalive, and my connected
/// subnets (the selection's local input). valon-sync stores it with the SOA serial it
/// applied; when both are unchanged at the next run, the device still holds that state
/// and nothing needs fetching (docs/ARCHITECTURE.md §5 step 2). Pure.
///
/// Endpoints are left out on purpose: WireGuard roams a peer's endpoint to where its
/// packets come from, and the selection keeps a roamed endpoint anyway (docs/ARCHITECTURE.md §4).
public enum SyncFingerprint {
    /// The SHA-256 (FIPS 180-4) of the canonical text of the state, in hex.
    public static func of(device: WireGuardDevice, policy: SyncPolicy, connectedSubnets: [IPNetwork]) -> String {
        var text = "key=\(device.publicKey?.base64 ?? "-") port=\(device.listenPort ?? 0)\n"
        text += "subnets=" + connectedSubnets.map(\.canonical.description).sorted().joined(separator: ",") + "\n"
        let managed = device.peers.filter { policy.manages($0) }.sorted { $0.publicKey.base64 < $1.publicKey.base64 }
        for peer in managed {
            let allowed = peer.allowedIPs.map(\.canonical.description).sorted().joined(separator: ",")
            text += "\(peer.publicKey.base64) \(allowed) \(peer.persistentKeepalive ?? 0)\n"
        }
        return sha256Hex(Array(text.utf8))
    }

    /// The SHA-256 (FIPS 180-4) of `bytes`, in lowercase hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
