/// The EDNS(0) fields of an OPT pseudo-record (RFC 6891 §6.1.2–6.1.4), as a value.
///
/// On the wire the OPT record reuses the record fields: CLASS is the UDP payload size,
/// TTL holds the extended RCODE's high 8 bits, the version, the DO bit (RFC 3225) and
/// 15 reserved bits, and RDATA the options. ``DNSMessage/edns`` reads and writes it.
public struct DNSEDNS: Hashable, Sendable {
    /// The largest UDP payload the sender can reassemble. Values below 512 are read as 512
    /// (RFC 6891 §6.2.3).
    public var udpPayloadSize: UInt16
    /// The upper 8 bits of the 12-bit response code (RFC 6891 §6.1.3).
    public var extendedRCodeHigh: UInt8
    /// The EDNS version; 0 is the only one defined.
    public var version: UInt8
    /// DO: the sender can handle DNSSEC records (RFC 3225 §3).
    public var dnssecOK: Bool
    public var options: [DNSOption]

    /// The default payload size follows the DNS Flag Day 2020 advice (1232 bytes, no IP
    /// fragmentation on a 1280-byte IPv6 path).
    public init(
        udpPayloadSize: UInt16 = 1232, extendedRCodeHigh: UInt8 = 0, version: UInt8 = 0,
        dnssecOK: Bool = false, options: [DNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCodeHigh = extendedRCodeHigh
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// Reads the EDNS fields of an OPT record; `nil` for any other record.
    public init?(record: DNSResourceRecord) {
        guard case .opt(let options) = record.data else { return nil }
        self.init(
            udpPayloadSize: record.dnsClass.rawValue, extendedRCodeHigh: UInt8(record.ttl >> 24),
            version: UInt8(record.ttl >> 16 & 0xFF), dnssecOK: record.ttl & 0x8000 != 0, options: options
        )
    }

    /// The OPT pseudo-record: owner the root, reserved TTL bits zero (RFC 6891 §6.1.2, §6.1.4).
    public var record: DNSResourceRecord {
        let ttl = UInt32(extendedRCodeHigh) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0)
        return DNSResourceRecord(name: .root, dnsClass: DNSClass(rawValue: udpPayloadSize), ttl: ttl, data: .opt(options))
    }
}
