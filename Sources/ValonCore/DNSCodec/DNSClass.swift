/// A resource record CLASS or QCLASS (RFC 1035 §3.2.4, §3.2.5; RFC 2136 §2.4–2.5 for NONE).
///
/// In an OPT pseudo-record this field carries the requestor's UDP payload size instead
/// (RFC 6891 §6.1.2); ``DNSEDNS`` reads it that way.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The Internet (RFC 1035 §3.2.4).
    public static let `in` = DNSClass(rawValue: 1)
    /// Chaos (RFC 1035 §3.2.4), used for server identification (`version.bind`).
    public static let chaos = DNSClass(rawValue: 3)
    /// Hesiod (RFC 1035 §3.2.4).
    public static let hesiod = DNSClass(rawValue: 4)
    /// NONE, in dynamic update prerequisites and deletions (RFC 2136 §2.4.3, §2.5.4).
    public static let none = DNSClass(rawValue: 254)
    /// Any class, QCLASS only (RFC 1035 §3.2.5).
    public static let any = DNSClass(rawValue: 255)

    /// `IN`, `CH`, `HS`, `NONE`, `ANY`, or `CLASS<n>` (RFC 3597 §5).
    public var description: String {
        switch rawValue {
        case 1: "IN"
        case 3: "CH"
        case 4: "HS"
        case 254: "NONE"
        case 255: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}
