import Crypto
import FoundationEssentials

/// A WireGuard key: 32 bytes, a Curve25519 (X25519) public, private or preshared key.
///
/// Three text forms are used across VALON:
/// - base64 with padding, 44 characters, as `wg genkey` prints and etcd keys hold
///   (`/valon/peers/<base64>/…`);
/// - lowercase hex, 64 characters, as the cross-platform userspace protocol (UAPI) wants;
/// - lowercase RFC 4648 base32 without padding, 52 characters: the DNS label the
///   original CoreDNS plugin gives each peer (`<label>.valon.internal`).
public struct WireGuardKey: Hashable, Sendable {
    /// The key's length in bytes.
    public static let byteCount = 32

    /// The 32 raw bytes.
    public let bytes: [UInt8]

    /// Wraps 32 raw bytes; throws when the count is wrong.
    public init(bytes: some Collection<UInt8>) throws(WireGuardKeyError) {
        let array = Array(bytes)
        guard array.count == Self.byteCount else {
            throw WireGuardKeyError(.wrongLength, "a WireGuard key has 32 bytes, got \(array.count)")
        }
        self.bytes = array
    }

    /// The all-zero key, which WireGuard uses to mean "no key".
    public static let zero = try! WireGuardKey(bytes: [UInt8](repeating: 0, count: 32))

    /// `true` for the all-zero key.
    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }
}

// MARK: - Text forms

extension WireGuardKey {
    /// Parses the 44-character base64 form (`wg`'s format). Leading and trailing white
    /// space is ignored, so a key file's trailing newline is accepted.
    public init(base64 text: some StringProtocol) throws(WireGuardKeyError) {
        // Trimming goes through NSString: skip it for the common case of a bare key
        // (the registry parses thousands of keys per listing).
        let trimmed = text.first?.isWhitespace == true || text.last?.isWhitespace == true
            ? text.trimmingWhitespaceAndNewlines() : String(text)
        guard trimmed.utf8.count == 44, trimmed.hasSuffix("="), !trimmed.hasSuffix("==") else {
            throw WireGuardKeyError(.invalidBase64, "a WireGuard key is 44 base64 characters ending in one '=', got \(trimmed.utf8.count) characters")
        }
        guard let data = Data(base64Encoded: trimmed), data.count == Self.byteCount else {
            throw WireGuardKeyError(.invalidBase64, "not valid base64 of 32 bytes: \(Self.redacted(trimmed))")
        }
        // Reject non-canonical encodings (non-zero bits in the final character's padding bits),
        // so one key has exactly one base64 form, and one etcd key.
        guard data.base64EncodedString() == trimmed else {
            throw WireGuardKeyError(.invalidBase64, "non-canonical base64 for a 32-byte key: \(Self.redacted(trimmed))")
        }
        try self.init(bytes: data)
    }

    /// The base64 form, 44 characters with one `=` of padding.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// Parses the 64-character hex form used by the userspace protocol (either case).
    public init(hex text: some StringProtocol) throws(WireGuardKeyError) {
        try self.init(hexUTF8: text.utf8)
    }

    /// Parses the 64 hex digits from their UTF-8 bytes (for protocol parsers that read
    /// keys out of a larger buffer without making a string of each).
    public init(hexUTF8 utf8: some Collection<UInt8>) throws(WireGuardKeyError) {
        guard utf8.count == 64 else {
            throw WireGuardKeyError(.invalidHex, "a hex WireGuard key has 64 characters, got \(utf8.count)")
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        var offset = 0
        var high: UInt8 = 0
        for char in utf8 {
            guard let value = Self.hexValue(char) else {
                throw WireGuardKeyError(.invalidHex, "invalid hex digit at offset \(offset)")
            }
            if offset & 1 == 0 { high = value } else { out.append(high << 4 | value) }
            offset += 1
        }
        try self.init(bytes: out)
    }

    /// The lowercase hex form, 64 characters.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the 52-character base32 DNS label (RFC 4648 alphabet, either case, no padding).
    public init(dnsLabel text: some StringProtocol) throws(WireGuardKeyError) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 52 else {
            throw WireGuardKeyError(.invalidBase32, "a key label has 52 base32 characters, got \(utf8.count)")
        }
        var out = [UInt8]()
        out.reserveCapacity(33)
        var buffer: UInt32 = 0
        var bits = 0
        for (offset, char) in utf8.enumerated() {
            guard let value = Self.base32Value(char) else {
                throw WireGuardKeyError(.invalidBase32, "invalid base32 character at offset \(offset)")
            }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // 52 × 5 = 260 bits: 32 bytes and 4 bits of padding, which must be zero.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else {
            throw WireGuardKeyError(.invalidBase32, "non-canonical base32 key label: trailing bits are not zero")
        }
        try self.init(bytes: out)
    }

    /// The DNS label form: lowercase RFC 4648 base32 without padding, 52 characters.
    public var dnsLabel: String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var out = [UInt8]()
        out.reserveCapacity(52)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1f)])
            }
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func base32Value(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): char - UInt8(ascii: "a")
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): char - UInt8(ascii: "A")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): char - UInt8(ascii: "2") + 26
        default: nil
        }
    }

    /// Shows only the first characters of something that may be a private key.
    static func redacted(_ text: String) -> String {
        text.count <= 6 ? "\"\(text)\"" : "\"\(text.prefix(6))…\" (\(text.count) characters)"
    }
}

// MARK: - Curve25519

extension WireGuardKey {
    /// A new private key from the system's secure random source, clamped as
    /// `wg genkey` clamps it (RFC 7748 §5: clear bits 0–2 and 255, set bit 254).
    public static func generatePrivate() -> WireGuardKey {
        var raw = Array(Curve25519.KeyAgreement.PrivateKey().rawRepresentation)
        raw[0] &= 248
        raw[31] = (raw[31] & 127) | 64
        return try! WireGuardKey(bytes: raw)
    }

    /// The public key of this private key (X25519 with the base point), as `wg pubkey`.
    public func publicKey() throws(WireGuardKeyError) -> WireGuardKey {
        do {
            let privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
            return try WireGuardKey(bytes: privateKey.publicKey.rawRepresentation)
        } catch let error as WireGuardKeyError {
            throw error
        } catch {
            throw WireGuardKeyError(.invalidKey, "cannot derive a public key: \(error)")
        }
    }

    /// A new random preshared key (`wg genpsk`).
    public static func generatePreshared() -> WireGuardKey {
        var generator = SystemRandomNumberGenerator()
        return try! WireGuardKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

extension WireGuardKey: CustomStringConvertible {
    /// The base64 form. Never print a private key by accident: log public keys only.
    public var description: String { base64 }
}

extension WireGuardKey: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(base64: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}
