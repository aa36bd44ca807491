/// The RDATA of a resource record, decoded for the types VALON serves and kept as raw
/// bytes for every other type (RFC 3597 §3).
public enum DNSRecordData: Hashable, Sendable {
    /// A: an IPv4 address (RFC 1035 §3.4.1).
    case a(IPv4Address)
    /// AAAA: an IPv6 address (RFC 3596 §2.2).
    case aaaa(IPv6Address)
    /// NS: the host name of an authoritative server (RFC 1035 §3.3.11).
    case ns(DNSName)
    /// CNAME: the canonical name of the owner (RFC 1035 §3.3.1).
    case cname(DNSName)
    /// PTR: a pointer to another name (RFC 1035 §3.3.12), also DNS-SD browsing (RFC 6763 §4).
    case ptr(DNSName)
    /// SOA: the zone's start of authority (RFC 1035 §3.3.13).
    case soa(DNSSOA)
    /// TXT: one or more character-strings of up to 255 bytes each (RFC 1035 §3.3.14),
    /// `key=value` pairs in DNS-SD (RFC 6763 §6).
    case txt([[UInt8]])
    /// SRV: a service's host and port (RFC 2782).
    case srv(DNSSRV)
    /// OPT: the EDNS(0) options (RFC 6891 §6.1.2); see ``DNSEDNS`` for the other fields.
    case opt([DNSOption])
    /// Any other type, or a known type whose RDATA is empty as in an RFC 2136 update:
    /// the RDATA bytes as received (RFC 3597 §3), never compressed or decompressed.
    case unknown(type: DNSRecordType, bytes: [UInt8])

    /// The record type this data belongs to.
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .soa: .soa
        case .txt: .txt
        case .srv: .srv
        case .opt: .opt
        case .unknown(let type, _): type
        }
    }
}
