/// A host and port as an operator writes them in a config file: `192.0.2.1:51820`,
/// `[2001:db8::1]:51820` or `discovery.example.net:51820`. Unlike ``Endpoint`` the host
/// may be a DNS name, resolved when it is used.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[ipv6]:port`, or a bare host when `defaultPort` is given.
    public init?(_ text: some StringProtocol, defaultPort: UInt16? = nil) {
        let string = String(text)
        if let endpoint = Endpoint(string) {
            self.init(host: endpoint.address.description, port: endpoint.port)
            return
        }
        if let defaultPort {
            if let v6 = IPv6Address(string) { self.init(host: v6.description, port: defaultPort); return }
            if string.hasPrefix("["), string.hasSuffix("]"), let v6 = IPv6Address(string.dropFirst().dropLast()) {
                self.init(host: v6.description, port: defaultPort); return
            }
        }
        var hostPart = Substring(string)
        var port = defaultPort
        if let colon = string.lastIndex(of: ":") {
            let portText = string[string.index(after: colon)...]
            guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ (48...57).contains($0) }),
                  let parsed = UInt16(portText), parsed != 0 else { return nil }
            port = parsed
            hostPart = string[..<colon]
        }
        guard let port, Self.isHostName(hostPart) || IPv4Address(hostPart) != nil else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    /// The address when the host is a literal IP address.
    public var address: IPAddress? { IPAddress(host) }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// RFC 1123 host name: labels of letters, digits and hyphens, 1–63 characters, not
    /// starting or ending with a hyphen, at most 253 characters in all.
    static func isHostName(_ text: Substring) -> Bool {
        let trimmed = text.hasSuffix(".") ? text.dropLast() : text
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45
                }
        }
    }
}
