/// BLAKE2s (RFC 7693), the hash WireGuard builds its MACs on: `HASH` is BLAKE2s-256 and
/// `MAC(key, input)` is keyed BLAKE2s with a 16-byte digest (the WireGuard paper §5.4).
/// swift-crypto has no BLAKE2, so the relay, which checks `mac1` on handshake messages, has
/// its own: one compression function, a key block, and the parameter word of RFC 7693 §2.5.
public enum BLAKE2s {
    /// RFC 7693 §2.6: the initialization vector (SHA-256's).
    static let iv: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]

    /// RFC 7693 §2.7: the message word schedule of each of the ten rounds.
    static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    static let blockSize = 64

    /// The digest of `input`, `digestSize` bytes (1–32), keyed with `key` (0–32 bytes) when
    /// it is not empty.
    public static func hash(_ input: some Collection<UInt8>, key: some Collection<UInt8> = [UInt8](), digestSize: Int = 32) -> [UInt8] {
        precondition((1...32).contains(digestSize), "BLAKE2s digests are 1 to 32 bytes")
        precondition(key.count <= 32, "BLAKE2s keys are at most 32 bytes")
        var h = iv
        // RFC 7693 §2.5: parameter block word 0 is digest length, key length, fanout 1, depth 1.
        h[0] ^= 0x0101_0000 ^ (UInt32(key.count) << 8) ^ UInt32(digestSize)

        var data = [UInt8]()
        if !key.isEmpty {
            data = Array(key) + [UInt8](repeating: 0, count: blockSize - key.count)
        }
        data += input
        var counter: UInt64 = 0
        var offset = 0
        // Every block but the last is compressed as not final; an empty message is one zero block.
        while data.count - offset > blockSize {
            counter += UInt64(blockSize)
            compress(&h, data[offset..<offset + blockSize], counter: counter, final: false)
            offset += blockSize
        }
        let rest = data.count - offset
        counter += UInt64(rest)
        var last = [UInt8](data[offset...])
        last += [UInt8](repeating: 0, count: blockSize - rest)
        compress(&h, last[...], counter: counter, final: true)

        var digest = [UInt8]()
        digest.reserveCapacity(32)
        for word in h {
            digest += [UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                       UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 24)]
        }
        return Array(digest.prefix(digestSize))
    }

    /// RFC 7693 §3.2: the compression function F.
    static func compress(_ h: inout [UInt32], _ block: ArraySlice<UInt8>, counter: UInt64, final: Bool) {
        var m = [UInt32](repeating: 0, count: 16)
        let base = block.startIndex
        for index in 0..<16 {
            let at = base + index * 4
            m[index] = UInt32(block[at]) | UInt32(block[at + 1]) << 8 | UInt32(block[at + 2]) << 16 | UInt32(block[at + 3]) << 24
        }
        var v = h + iv
        v[12] ^= UInt32(truncatingIfNeeded: counter)
        v[13] ^= UInt32(truncatingIfNeeded: counter >> 32)
        if final { v[14] = ~v[14] }
        for round in 0..<10 {
            let s = sigma[round]
            mix(&v, 0, 4, 8, 12, m[s[0]], m[s[1]])
            mix(&v, 1, 5, 9, 13, m[s[2]], m[s[3]])
            mix(&v, 2, 6, 10, 14, m[s[4]], m[s[5]])
            mix(&v, 3, 7, 11, 15, m[s[6]], m[s[7]])
            mix(&v, 0, 5, 10, 15, m[s[8]], m[s[9]])
            mix(&v, 1, 6, 11, 12, m[s[10]], m[s[11]])
            mix(&v, 2, 7, 8, 13, m[s[12]], m[s[13]])
            mix(&v, 3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for index in 0..<8 { h[index] ^= v[index] ^ v[index + 8] }
    }

    /// RFC 7693 §3.1: the mixing function G, rotations 16, 12, 8, 7.
    @inline(__always)
    static func mix(_ v: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotate(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotate(v[b] ^ v[c], 12)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotate(v[d] ^ v[a], 8)
        v[c] = v[c] &+ v[d]
        v[b] = rotate(v[b] ^ v[c], 7)
    }

    @inline(__always)
    static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value >> count) | (value << (32 - count))
    }
}
