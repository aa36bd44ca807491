/// One EDNS option in the RDATA of an OPT record (RFC 6891 §6.1.2): OPTION-CODE and
/// OPTION-DATA.
public struct DNSOption: Hashable, Sendable {
    /// An OPTION-CODE (IANA "DNS EDNS0 Option Codes").
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// Name server identifier (RFC 5001).
        public static let nsid = Code(rawValue: 3)
        /// Client subnet (RFC 7871).
        public static let clientSubnet = Code(rawValue: 8)
        /// DNS cookie (RFC 7873).
        public static let cookie = Code(rawValue: 10)
        /// TCP keepalive (RFC 7828).
        public static let tcpKeepalive = Code(rawValue: 11)
        /// Padding (RFC 7830).
        public static let padding = Code(rawValue: 12)
        /// Extended DNS error (RFC 8914).
        public static let extendedError = Code(rawValue: 15)

        public var description: String {
            switch rawValue {
            case 3: "NSID"
            case 8: "ECS"
            case 10: "COOKIE"
            case 11: "KEEPALIVE"
            case 12: "PADDING"
            case 15: "EDE"
            default: "OPT\(rawValue)"
            }
        }
    }

    public var code: Code
    /// OPTION-DATA, at most 65535 bytes.
    public var data: [UInt8]

    public init(code: Code, data: [UInt8] = []) {
        self.code = code
        self.data = data
    }
}
