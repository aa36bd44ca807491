/// An entry of the question section (RFC 1035 §4.1.2): QNAME, QTYPE, QCLASS.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var dnsClass: DNSClass

    public init(name: DNSName, type: DNSRecordType, dnsClass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
    }
}

extension DNSQuestion: CustomStringConvertible {
    /// `name CLASS TYPE`, as `dig` prints the question section.
    public var description: String { "\(name) \(dnsClass) \(type)" }
}
