/// The four messages of the WireGuard protocol as they cross the wire (the WireGuard paper
/// §5.4; wireguard-go `device/noise-protocol.go`), told apart the way the relay needs: by
/// the type byte, the three reserved zero bytes and the exact length. A relay never decrypts
/// one; it only checks that a datagram is one of these, and checks `mac1` on the two
/// handshake messages.
public enum WireGuardMessageType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Handshake initiation, 148 bytes.
    case initiation = 1
    /// Handshake response, 92 bytes.
    case response = 2
    /// Cookie reply, 64 bytes.
    case cookieReply = 3
    /// Transport data: 16-byte header, then the encrypted packet and its 16-byte tag (a
    /// keepalive is 32 bytes). The packet is padded to a multiple of 16 but never past the
    /// interface's MTU (wireguard-go's `calculatePaddingSize`), so a full-size packet has any
    /// length: only the minimum is a rule.
    case transportData = 4

    public static let initiationSize = 148
    public static let responseSize = 92
    public static let cookieReplySize = 64
    public static let transportHeaderSize = 16
    public static let tagSize = 16

    /// The type of `datagram`, or `nil` when it is not a WireGuard message.
    public static func of(_ datagram: some Collection<UInt8>) -> WireGuardMessageType? {
        guard datagram.count >= 4 else { return nil }
        var bytes = datagram.makeIterator()
        guard let first = bytes.next(), let type = WireGuardMessageType(rawValue: first),
              bytes.next() == 0, bytes.next() == 0, bytes.next() == 0 else { return nil }
        let count = datagram.count
        switch type {
        case .initiation: return count == initiationSize ? type : nil
        case .response: return count == responseSize ? type : nil
        case .cookieReply: return count == cookieReplySize ? type : nil
        case .transportData:
            return count >= transportHeaderSize + tagSize ? type : nil
        }
    }

    public var description: String {
        switch self {
        case .initiation: "handshake initiation"
        case .response: "handshake response"
        case .cookieReply: "cookie reply"
        case .transportData: "transport data"
        }
    }
}

/// `mac1`, the MAC every handshake message carries under a key only its receiver's public
/// key determines: `mac1 = MAC(HASH(LABEL_MAC1 ‖ S_pub_receiver), msg_α)`, where `msg_α` is
/// the message up to `mac1` (the WireGuard paper §5.4.4). Anyone who knows the receiver's
/// public key can check it, so the relay binds a source to a side only when the message it
/// sent was made for the other side.
public struct WireGuardMAC1Key: Sendable, Hashable {
    /// `HASH(LABEL_MAC1 ‖ S_pub)`, 32 bytes.
    public let bytes: [UInt8]

    static let label = Array("mac1----".utf8)

    /// The key under which messages sent *to* `receiver` carry `mac1`.
    public init(receiver: WireGuardKey) {
        bytes = BLAKE2s.hash(Self.label + receiver.bytes)
    }

    /// `mac1` for `message` (an initiation or a response with its MAC fields present or not).
    public func mac1(of message: [UInt8]) -> [UInt8]? {
        guard let offset = Self.mac1Offset(message) else { return nil }
        return BLAKE2s.hash(message[..<offset], key: bytes, digestSize: 16)
    }

    /// Whether `message` is a handshake initiation or response whose `mac1` is valid under
    /// this key. Compares every byte, whatever the first difference.
    public func validates(_ message: [UInt8]) -> Bool {
        guard let offset = Self.mac1Offset(message), let expected = mac1(of: message) else { return false }
        var difference: UInt8 = 0
        for index in 0..<16 { difference |= expected[index] ^ message[offset + index] }
        return difference == 0
    }

    /// Where `mac1` starts: 116 in an initiation, 60 in a response (each is followed by
    /// `mac1` and `mac2`, 16 bytes each).
    static func mac1Offset(_ message: [UInt8]) -> Int? {
        switch WireGuardMessageType.of(message) {
        case .initiation: WireGuardMessageType.initiationSize - 32
        case .response: WireGuardMessageType.responseSize - 32
        default: nil
        }
    }
}
