/// A resource record TYPE or QTYPE (RFC 1035 §3.2.2, §3.2.3; IANA "Resource Record (RR)
/// TYPEs"). Any 16-bit value is allowed: types the codec does not know are kept as raw
/// RDATA (RFC 3597).
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// IPv4 host address (RFC 1035 §3.4.1).
    public static let a = DNSRecordType(rawValue: 1)
    /// Authoritative name server (RFC 1035 §3.3.11).
    public static let ns = DNSRecordType(rawValue: 2)
    /// Canonical name (RFC 1035 §3.3.1).
    public static let cname = DNSRecordType(rawValue: 5)
    /// Start of authority (RFC 1035 §3.3.13).
    public static let soa = DNSRecordType(rawValue: 6)
    /// Domain name pointer (RFC 1035 §3.3.12).
    public static let ptr = DNSRecordType(rawValue: 12)
    /// Text strings (RFC 1035 §3.3.14).
    public static let txt = DNSRecordType(rawValue: 16)
    /// IPv6 host address (RFC 3596 §2.1).
    public static let aaaa = DNSRecordType(rawValue: 28)
    /// Service location (RFC 2782).
    public static let srv = DNSRecordType(rawValue: 33)
    /// EDNS(0) pseudo-record (RFC 6891 §6.1).
    public static let opt = DNSRecordType(rawValue: 41)
    /// Incremental zone transfer, QTYPE only (RFC 1995).
    public static let ixfr = DNSRecordType(rawValue: 251)
    /// Full zone transfer, QTYPE only (RFC 5936).
    public static let axfr = DNSRecordType(rawValue: 252)
    /// All records, QTYPE only (RFC 1035 §3.2.3, RFC 8482).
    public static let any = DNSRecordType(rawValue: 255)

    private static let mnemonics: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV",
        41: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 64: "SVCB", 65: "HTTPS",
        251: "IXFR", 252: "AXFR", 255: "ANY",
    ]

    /// The mnemonic (`A`, `SRV`), or `TYPE<n>` for other values (RFC 3597 §5).
    public var description: String { Self.mnemonics[rawValue] ?? "TYPE\(rawValue)" }

    /// Parses a mnemonic (any case) or the RFC 3597 `TYPE<n>` form.
    public init?(_ text: String) {
        let upper = text.uppercased()
        if let entry = Self.mnemonics.first(where: { $0.value == upper }) {
            self.init(rawValue: entry.key)
        } else if upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) {
            self.init(rawValue: value)
        } else {
            return nil
        }
    }
}
