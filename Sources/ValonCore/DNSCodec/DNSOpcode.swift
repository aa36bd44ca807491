/// The kind of query in the header's OPCODE field (RFC 1035 §4.1.1; IANA "DNS OpCodes").
public struct DNSOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 4-bit value.
    public let rawValue: UInt8
    /// Keeps the low 4 bits of `rawValue`, the width of the header field.
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    /// A standard query (RFC 1035).
    public static let query = DNSOpcode(rawValue: 0)
    /// Server status request (RFC 1035).
    public static let status = DNSOpcode(rawValue: 2)
    /// Zone change notification (RFC 1996).
    public static let notify = DNSOpcode(rawValue: 4)
    /// Dynamic update (RFC 2136).
    public static let update = DNSOpcode(rawValue: 5)

    public var description: String {
        switch rawValue {
        case 0: "QUERY"
        case 2: "STATUS"
        case 4: "NOTIFY"
        case 5: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}
