/// A resource record (RFC 1035 §4.1.3): owner NAME, TYPE, CLASS, TTL and RDATA.
/// The TYPE comes from ``data``.
public struct DNSResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var dnsClass: DNSClass
    /// Seconds the record may be cached. Kept as sent; RFC 2181 §8 says a value with the
    /// top bit set is to be read as zero, which is the cache's business, not the codec's.
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, dnsClass: DNSClass = .in, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.dnsClass = dnsClass
        self.ttl = ttl
        self.data = data
    }

    /// The record's TYPE, from its data.
    public var type: DNSRecordType { data.type }
}
