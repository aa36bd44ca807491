import Testing
import ValonKit
import ValonTestSupport

/// BLAKE2s against RFC 7693 Appendix B ("abc"), the reference KAT (keyed, key 00..1f), and
/// digests Python's hashlib.blake2s computed for the block boundaries, a short key and a
/// 16-byte digest (the shape of WireGuard's MAC).
@Suite("BLAKE2s (RFC 7693)")
struct BLAKE2sTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var what: String
        var input: [UInt8]
        var key: [UInt8] = []
        var size = 32
        var digest: String
        var testDescription: String { what }
    }

    static let key = (0..<32).map { UInt8($0) }

    static let vectors: [Vector] = [
        Vector(what: "RFC 7693 B: abc", input: Array("abc".utf8),
               digest: "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"),
        Vector(what: "empty", input: [], digest: "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"),
        Vector(what: "KAT: keyed, empty input", input: [], key: key,
               digest: "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"),
        Vector(what: "KAT: keyed, 255 bytes", input: (0..<255).map { UInt8($0) }, key: key,
               digest: "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"),
        Vector(what: "exactly one block", input: (0..<64).map { UInt8($0) },
               digest: "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e"),
        Vector(what: "one block and a byte", input: (0..<65).map { UInt8($0) },
               digest: "1b53ee94aaf34e4b159d48de352c7f0661d0a40edff95a0b1639b4090e974472"),
        Vector(what: "keyed, 16-byte digest, one block", input: (0..<64).map { UInt8($0) }, key: key, size: 16,
               digest: "f1efa90d2547036841ecd3627fafbc36"),
        Vector(what: "a one-byte key, 16-byte digest", input: Array("mac1".utf8), key: Array("k".utf8), size: 16,
               digest: "d0feecf7d3b950ab466daf1dc7c43351"),
    ]

    @Test(arguments: vectors)
    func digest(_ vector: Vector) {
        #expect(hexString(BLAKE2s.hash(vector.input, key: vector.key, digestSize: vector.size)) == vector.digest)
    }
}
