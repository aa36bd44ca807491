/// A response code (RFC 1035 §4.1.1; RFC 6891 §6.1.3 extends it to 12 bits, the high 8 in
/// the OPT record). ``DNSHeader/responseCode`` holds the header's 4 bits;
/// ``DNSMessage/responseCode`` combines both parts.
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSResponseCode(rawValue: 0)
    /// The server could not interpret the query.
    public static let formErr = DNSResponseCode(rawValue: 1)
    /// The server could not process the query because of a problem with it.
    public static let servFail = DNSResponseCode(rawValue: 2)
    /// The name does not exist (authoritative answers only).
    public static let nxDomain = DNSResponseCode(rawValue: 3)
    /// The server does not support this kind of query.
    public static let notImp = DNSResponseCode(rawValue: 4)
    /// The server refuses to answer, for policy reasons.
    public static let refused = DNSResponseCode(rawValue: 5)
    /// A name exists that should not (RFC 2136).
    public static let yxDomain = DNSResponseCode(rawValue: 6)
    /// An RRset exists that should not (RFC 2136).
    public static let yxRRSet = DNSResponseCode(rawValue: 7)
    /// An RRset that should exist does not (RFC 2136).
    public static let nxRRSet = DNSResponseCode(rawValue: 8)
    /// The server is not authoritative for the zone (RFC 2136, RFC 8945).
    public static let notAuth = DNSResponseCode(rawValue: 9)
    /// A name is not within the zone (RFC 2136).
    public static let notZone = DNSResponseCode(rawValue: 10)
    /// The server does not implement the EDNS version asked for (RFC 6891 §6.1.3).
    public static let badVers = DNSResponseCode(rawValue: 16)

    /// The mnemonic as `dig` prints it (`NOERROR`, `NXDOMAIN`), or `RCODE<n>`.
    public var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 6: "YXDOMAIN"
        case 7: "YXRRSET"
        case 8: "NXRRSET"
        case 9: "NOTAUTH"
        case 10: "NOTZONE"
        case 16: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}
