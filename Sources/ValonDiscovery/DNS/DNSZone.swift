import ValonKit

/// What the zone responder needs besides the registry snapshot: the zone's name, the TTL
/// of every answer, the discovery node's own addresses and the transfer policy.
public struct DNSZone: Sendable {
    /// The zone apex, for example `valon.internal.`.
    public var name: DNSName
    /// TTL of every record, and the SOA MINIMUM (the negative-caching TTL, RFC 2308 §4).
    public var ttl: UInt32
    /// `discovery.<zone>` A/AAAA: the discovery node's WireGuard address(es).
    public var discoveryAddresses: [IPAddress]
    /// Names outside the zone are forwarded (RA set) instead of REFUSED.
    public var forwarding: Bool
    /// Clients allowed to transfer the zone (AXFR over TCP only).
    public var axfrAllow: [IPNetwork]
    /// The UDP payload size advertised in our OPT record and the most we send over UDP
    /// (RFC 6891 §6.2.5; 1232 avoids IP fragmentation).
    public var udpPayloadSize: UInt16
    /// Records per AXFR message: transfers are split so no message grows near 64 KiB.
    public var transferRecordsPerMessage: Int

    public init(name: DNSName, ttl: UInt32 = 2, discoveryAddresses: [IPAddress] = [], forwarding: Bool = false,
                axfrAllow: [IPNetwork] = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!],
                udpPayloadSize: UInt16 = 1232, transferRecordsPerMessage: Int = 100) {
        self.name = name
        self.ttl = ttl
        self.discoveryAddresses = discoveryAddresses
        self.forwarding = forwarding
        self.axfrAllow = axfrAllow
        self.udpPayloadSize = udpPayloadSize
        self.transferRecordsPerMessage = transferRecordsPerMessage
    }

    /// The name server named in NS and SOA MNAME: `discovery.<zone>`.
    var serverName: DNSName { (try? name.prepending("discovery")) ?? name }

    /// The zone's SOA record at `serial` (MINIMUM is the TTL of negative answers).
    public func soa(serial: UInt32, owner: DNSName? = nil) -> DNSResourceRecord {
        let mailbox = (try? name.prepending("hostmaster")) ?? name
        return DNSResourceRecord(name: owner ?? name, ttl: ttl, data: .soa(DNSSOA(
            primaryServer: serverName, responsibleMailbox: mailbox, serial: serial,
            refresh: 60, retry: 10, expire: 3600, minimum: ttl)))
    }

    func addressRecords(_ addresses: [IPAddress], owner: DNSName) -> [DNSResourceRecord] {
        addresses.map { address in
            switch address {
            case .v4(let v4): DNSResourceRecord(name: owner, ttl: ttl, data: .a(v4))
            case .v6(let v6): DNSResourceRecord(name: owner, ttl: ttl, data: .aaaa(v6))
            }
        }
    }

    /// Whether `client` may transfer the zone.
    func allowsTransfer(to client: IPAddress?) -> Bool {
        guard let client else { return false }
        return axfrAllow.contains { $0.contains(client) }
    }
}
