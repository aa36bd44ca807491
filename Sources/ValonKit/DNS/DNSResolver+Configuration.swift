extension DNSResolver {
    /// Which server to ask and how patiently.
    public struct Configuration: Hashable, Sendable {
        /// How queries travel.
        public enum Transport: Hashable, Sendable {
            /// UDP, and TCP for replies with the TC bit set (RFC 1035 §4.2.1, RFC 7766 §5).
            case udp
            /// TCP only (RFC 7766), for example where UDP is filtered.
            case tcp
        }

        /// The server's address and port (53 unless given; see ``Endpoint/init(dnsServer:)``).
        public var server: Endpoint
        /// How long to wait for one reply before sending the query again (UDP) or giving up
        /// (a TCP connect, or a TCP connection that stays silent).
        public var timeout: Duration = .seconds(2)
        /// How many times a UDP query is sent, and how many TCP connections are tried.
        public var attempts: Int = 3
        /// The UDP payload size to advertise with EDNS(0) (RFC 6891 §6.2.5); `nil` sends no
        /// OPT record and the server truncates at 512 bytes. 1232 follows DNS Flag Day 2020.
        public var ednsPayloadSize: UInt16? = 1232
        public var transport: Transport = .udp
        /// How many UDP queries may wait for replies at once when pipelining.
        public var maxOutstandingQueries: Int = 100
        /// Bounds on a zone transfer, so that a hostile server cannot make it run forever.
        public var zoneTransferLimits = DNSZoneTransferLimits()

        public init(server: Endpoint) {
            self.server = server
        }
    }
}

/// Bounds on one AXFR (RFC 5936): exceeding any of them fails the transfer with
/// ``DNSError/Code/transferFailed``.
public struct DNSZoneTransferLimits: Hashable, Sendable {
    /// The most messages one transfer may take.
    public var maxMessages: Int = 100_000
    /// The most bytes of messages one transfer may take.
    public var maxBytes: Int = 256 << 20
    /// The most records one transfer may return.
    public var maxRecords: Int = 1_000_000
    /// The longest a whole transfer may take; each read also waits at most
    /// ``DNSResolver/Configuration/timeout``.
    public var timeLimit: Duration = .seconds(300)

    public init() {}
}

extension Endpoint {
    /// Parses a DNS server as written on a command line: `ADDRESS` or `[IPV6]` (port 53),
    /// `IPV4:PORT` or `[IPV6]:PORT`.
    public init?(dnsServer text: some StringProtocol) {
        if let address = IPAddress(text) {
            self.init(address: address, port: 53)
        } else if text.hasPrefix("["), text.hasSuffix("]"), let address = IPv6Address(text.dropFirst().dropLast()) {
            self.init(address: .v6(address), port: 53)
        } else {
            self.init(text)
        }
    }
}
