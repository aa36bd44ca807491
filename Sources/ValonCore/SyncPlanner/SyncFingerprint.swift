import Crypto

/// A digest of what a sync decides from besides the registry: the interface's key and port,
/// the peers valon-sync manages with their allowed IPs and keepalive, and my connected
/// subnets (the selection's local input). valon-sync stores it with the SOA serial it
/// applied; when both are unchanged at the next run, the device still holds that state
/// and nothing needs fetching (docs/ARCHITECTURE.md §5 step 2). Pure.
///
/// Endpoints are left out on purpose: WireGuard roams a peer's endpoint to where its
/// packets come from, and the selection keeps a roamed endpoint anyway (docs/ARCHITECTURE.md §4).
///
/// The peers count as a multiset hash: the sum, lane by lane modulo 2^64, of each peer's
/// SHA-256 (FIPS 180-4). The order of the peers does not matter, and a sync that changes a
/// few peers updates the digest by those peers alone (``Accumulator``), which is what lets a
/// `--follow` process apply one change without going over every peer (§12.2). It detects
/// change, as before; it is not meant to resist someone who chooses peers to collide.
public enum SyncFingerprint {
    /// The fingerprint of `device` as it is.
    public static func of(device: WireGuardDevice, policy: SyncPolicy, connectedSubnets: [IPNetwork]) -> String {
        Accumulator(device: device, policy: policy, connectedSubnets: connectedSubnets).value
    }

    /// The fingerprint, kept up to date peer by peer.
    public struct Accumulator: Hashable, Sendable {
        /// The key, port and subnets line.
        private var head: String
        private var sum: [UInt64] = [0, 0, 0, 0]
        private var count = 0
        public let policy: SyncPolicy

        public init(device: WireGuardDevice, policy: SyncPolicy, connectedSubnets: [IPNetwork]) {
            self.policy = policy
            head = "key=\(device.publicKey?.base64 ?? "-") port=\(device.listenPort ?? 0)\n"
                + "subnets=" + connectedSubnets.map(\.canonical.description).sorted().joined(separator: ",") + "\n"
            for peer in device.peers { add(peer) }
        }

        /// Counts `peer` in, if valon-sync manages it.
        public mutating func add(_ peer: WireGuardPeer) {
            guard policy.manages(peer) else { return }
            combine(peer, adding: true)
            count += 1
        }

        /// Counts `peer` out, if valon-sync manages it (it must have been counted in).
        public mutating func remove(_ peer: WireGuardPeer) {
            guard policy.manages(peer) else { return }
            combine(peer, adding: false)
            count -= 1
        }

        private mutating func combine(_ peer: WireGuardPeer, adding: Bool) {
            let allowed = peer.allowedIPs.map(\.canonical.description).sorted().joined(separator: ",")
            let digest = SHA256.hash(data: Array("\(peer.publicKey.base64) \(allowed) \(peer.persistentKeepalive ?? 0)\n".utf8))
            digest.withUnsafeBytes { bytes in
                for lane in 0..<4 {
                    var word: UInt64 = 0
                    for byte in 0..<8 { word = word << 8 | UInt64(bytes[lane * 8 + byte]) }
                    sum[lane] = adding ? sum[lane] &+ word : sum[lane] &- word
                }
            }
        }

        /// The fingerprint: the SHA-256 of the head line, the peer count and the sum, in hex.
        public var value: String {
            let text = head + "peers=\(count) " + sum.map { String($0, radix: 16) }.joined(separator: ":") + "\n"
            return sha256Hex(Array(text.utf8))
        }
    }

    /// The SHA-256 (FIPS 180-4) of `bytes`, in lowercase hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
