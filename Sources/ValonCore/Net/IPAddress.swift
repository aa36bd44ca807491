/// An IPv4 or IPv6 address, parsed and printed without the C library.
///
/// Text forms: dotted quad for IPv4 (no leading zeros, as `inet_pton` requires), and
/// RFC 4291 §2.2 for IPv6 (with `::` and an embedded IPv4 suffix), printed in the
/// RFC 5952 canonical form (lowercase, longest run of two or more zero groups as `::`).
public enum IPAddress: Hashable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// The address in network byte order: 4 or 16 bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): address.bytes
        case .v6(let address): address.bytes
        }
    }

    /// Builds an address from 4 or 16 bytes in network order.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(bytes: Array(bytes)))
        case 16: self = .v6(IPv6Address(bytes: Array(bytes)))
        default: return nil
        }
    }

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }
}

extension IPAddress: Comparable {
    /// IPv4 before IPv6, then by bytes.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        let (l, r) = (lhs.bytes, rhs.bytes)
        if l.count != r.count { return l.count < r.count }
        return l.lexicographicallyPrecedes(r)
    }
}

/// An IPv4 address.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address as a host-order integer (`10.0.0.1` is `0x0a000001`).
    public var value: UInt32

    public init(value: UInt32) { self.value = value }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 4, "an IPv4 address has 4 bytes")
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses a dotted quad: four decimal octets, no leading zeros, nothing else.
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var octets = 0
        var octet = 0, digits = 0, leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | UInt32(octet)
                octets += 1
                octet = 0
                digits = 0
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < 3 else { return nil }
            if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return nil }
            octet = octet * 10 + Int(byte - UInt8(ascii: "0"))
            guard octet <= 255 else { return nil }
            digits += 1
        }
        guard digits > 0, octets == 3 else { return nil }
        self.value = value << 8 | UInt32(octet)
    }

    /// The 4 bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 16 bytes in network order.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        self.bytes = bytes
    }

    /// Parses RFC 4291 §2.2 text: eight groups of up to four hex digits, one `::` at most,
    /// and optionally a dotted-quad IPv4 address in place of the last two groups.
    /// A zone index (`%eth0`) is not accepted.
    public init?(_ text: some StringProtocol) {
        let string = String(text)
        guard string.contains(":"), string.utf8.count <= 45 else { return nil }
        let halves = string.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }

        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result = [UInt16]()
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if allowIPv4Tail, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = IPv4Address(piece) else { return nil }
                    result.append(UInt16(v4.value >> 16))
                    result.append(UInt16(v4.value & 0xffff))
                } else {
                    guard (1...4).contains(piece.utf8.count), let group = UInt16(piece, radix: 16),
                          piece.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") }) else { return nil }
                    result.append(group)
                }
            }
            return result
        }

        var words: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowIPv4Tail: false),
                  let tail = groups(halves[1], allowIPv4Tail: true),
                  head.count + tail.count <= 7 else { return nil }
            words = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            words = all
        }
        bytes = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// The RFC 5952 canonical text form.
    public var description: String {
        let words = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        // Longest run of at least two zero words; the first such run on a tie.
        var bestStart = -1, bestLength = 0, index = 0
        while index < 8 {
            if words[index] == 0 {
                var end = index
                while end < 8 && words[end] == 0 { end += 1 }
                if end - index > bestLength && end - index >= 2 { bestStart = index; bestLength = end - index }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            words[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
