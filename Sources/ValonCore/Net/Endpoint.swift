/// A UDP endpoint: an IP address and a port, as WireGuard and the VALON registry write
/// it: `192.168.1.50:51820` or `[2001:db8::1]:51820`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `ipv4:port` or `[ipv6]:port`. The port must be 1–65535; host names are refused.
    public init?(_ text: some StringProtocol) {
        let string = String(text)
        let hostPart: Substring, portPart: Substring
        if string.hasPrefix("[") {
            guard let close = string.firstIndex(of: "]") else { return nil }
            hostPart = string[string.index(after: string.startIndex)..<close]
            let rest = string[string.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
            guard IPv6Address(hostPart) != nil else { return nil }
        } else {
            guard let colon = string.lastIndex(of: ":") else { return nil }
            hostPart = string[..<colon]
            portPart = string[string.index(after: colon)...]
            guard IPv4Address(hostPart) != nil else { return nil }
        }
        guard (1...5).contains(portPart.utf8.count), portPart.utf8.allSatisfy({ (48...57).contains($0) }),
              let port = UInt16(portPart), port != 0, let address = IPAddress(hostPart) else { return nil }
        self.init(address: address, port: port)
    }

    public var description: String {
        switch address {
        case .v4(let v4): "\(v4):\(port)"
        case .v6(let v6): "[\(v6)]:\(port)"
        }
    }
}
