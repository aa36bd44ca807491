/// The RDATA of an SOA record (RFC 1035 §3.3.13). Times are in seconds.
public struct DNSSOA: Hashable, Sendable {
    /// MNAME: the primary name server.
    public var primaryServer: DNSName
    /// RNAME: the responsible person's mailbox, `@` written as the first dot.
    public var responsibleMailbox: DNSName
    /// SERIAL: the zone version, compared in sequence space arithmetic (RFC 1982).
    public var serial: UInt32
    /// REFRESH: how often a secondary checks the serial.
    public var refresh: UInt32
    /// RETRY: how long a secondary waits after a failed refresh.
    public var retry: UInt32
    /// EXPIRE: how long a secondary serves the zone without reaching the primary.
    public var expire: UInt32
    /// MINIMUM: the TTL of negative answers (RFC 2308 §4).
    public var minimum: UInt32

    public init(
        primaryServer: DNSName, responsibleMailbox: DNSName, serial: UInt32,
        refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32
    ) {
        self.primaryServer = primaryServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
