/// An IP network in CIDR form (`100.100.0.0/24`, `fd00::/64`): an address and a prefix length.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The address as given (host bits may be set, as in an interface address `10.0.0.5/24`).
    public var address: IPAddress
    /// The prefix length: 0–32 for IPv4, 0–128 for IPv6.
    public var prefixLength: Int

    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bytes.count * 8).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The single-address network of `address`: a /32 for IPv4, a /128 for IPv6.
    public static func host(_ address: IPAddress) -> IPNetwork {
        IPNetwork(address: address, prefixLength: address.bytes.count * 8)!
    }

    /// Parses `address/prefix`; a bare address is a host network (/32 or /128).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard (1...3).contains(parts[1].utf8.count), parts[1].utf8.allSatisfy({ (48...57).contains($0) }),
                  let parsed = Int(parts[1]), parsed <= maximum else { return nil }
            length = parsed
        }
        self.init(address: address, prefixLength: length)
    }

    /// The network address: the host bits cleared.
    public var networkAddress: IPAddress { IPAddress(bytes: masked(fill: 0))! }

    /// The last address in the network: all host bits set (IPv4's broadcast address).
    public var lastAddress: IPAddress { IPAddress(bytes: masked(fill: 0xff))! }

    /// The network in canonical form (host bits cleared).
    public var canonical: IPNetwork { IPNetwork(address: networkAddress, prefixLength: prefixLength)! }

    /// Whether `other` lies inside this network.
    public func contains(_ other: IPAddress) -> Bool {
        let mine = address.bytes, theirs = other.bytes
        guard mine.count == theirs.count else { return false }
        var remaining = prefixLength
        for index in 0..<mine.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
            if mine[index] & mask != theirs[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }

    private func masked(fill: UInt8) -> [UInt8] {
        var bytes = address.bytes
        for index in 0..<bytes.count {
            let networkBits = max(0, min(8, prefixLength - index * 8))
            let hostMask: UInt8 = networkBits == 8 ? 0 : (0xff >> UInt8(networkBits))
            bytes[index] = (bytes[index] & ~hostMask) | (fill & hostMask)
        }
        return bytes
    }
}
