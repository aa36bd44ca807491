/// The RDATA of an SRV record (RFC 2782): where a service runs.
public struct DNSSRV: Hashable, Sendable {
    /// Lower values are tried first.
    public var priority: UInt16
    /// Relative weight among records of the same priority.
    public var weight: UInt16
    public var port: UInt16
    /// The host; `.` means the service is not available at this domain.
    public var target: DNSName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}
