import Foundation

/// What valon-sync touches outside itself, one small protocol each (as wgsd puts the
/// kernel behind its one-method `wgctrlClient`), so that ``ValonSync``'s state machine runs
/// in tests without root against collaborators that keep their state in memory, while the
/// tools and the end-to-end tests use ``SyncEnvironment/system``.

/// The host's own network: the source address toward a destination and the connected
/// subnets (``LocalNetwork`` over rtnetlink).
public protocol LocalNetworkReading: Sendable {
    func sourceAddress(toward destination: IPAddress) throws(ClientError) -> IPAddress
    func connectedSubnets(excluding interface: String) throws(ClientError) -> [IPNetwork]
}

/// The registry as the discovery node's DNS serves it (``RegistryReader``).
public protocol RegistrySource: Sendable {
    /// The zone's SOA serial.
    func serial() async throws(ClientError) -> UInt32
    /// Every peer of the zone, and how it was read.
    func fetchAll() async throws(ClientError) -> (zone: RegistryZone, method: RegistryReader.Method)
    /// Every peer of the zone, read as the changes since `base` where the server can give
    /// them (IXFR), else whole; and the zone to keep as the next base (`nil` when the read
    /// gave no whole zone, as a browse does not).
    func fetch(since base: AppliedZone?) async throws(ClientError) -> (zone: RegistryZone, method: RegistryReader.Method, applied: AppliedZone?)
    /// The server's IXFR answer (RFC 1995) from `serial`, whose SOA the client holds.
    func changes(since serial: UInt32, soa: DNSSOA) async throws(ClientError) -> DNSIncrementalTransfer
    /// The DNS queries sent so far.
    var queryCount: Int { get }
}

/// Where the LAN endpoint is reported (``DDNSClient``).
public protocol EndpointReporting: Sendable {
    /// Reports `lanEndpoint` as the LAN endpoint of `publicKey`; throws when it was not accepted.
    func report(publicKey: WireGuardKey, lanEndpoint: Endpoint, alias: String?) async throws(DDNSClientError)
    /// Asks the discovery node to relay `publicKey` and `peer` (`POST /api/relay`); returns the port.
    func requestRelay(publicKey: WireGuardKey, peer: WireGuardKey) async throws(DDNSClientError) -> UInt16
}

extension LocalNetwork: LocalNetworkReading {}
extension RegistryReader: RegistrySource {}

extension RegistrySource {
    /// A source that cannot read changes says so.
    public func changes(since serial: UInt32, soa: DNSSOA) async throws(ClientError) -> DNSIncrementalTransfer {
        throw ClientError(.registry, "this registry source reads no changes (IXFR)")
    }

    /// A source that cannot read changes reads the whole zone and keeps no base.
    public func fetch(since base: AppliedZone?) async throws(ClientError) -> (zone: RegistryZone, method: RegistryReader.Method, applied: AppliedZone?) {
        let (zone, method) = try await fetchAll()
        return (zone, method, nil)
    }
}
extension DDNSClient: EndpointReporting {
    public func report(publicKey: WireGuardKey, lanEndpoint: Endpoint, alias: String?) async throws(DDNSClientError) {
        try await reportEndpoint(publicKey: publicKey, lanEndpoint: lanEndpoint, alias: alias)
    }
}

/// The collaborators of one sync, made for the interface, the server and the API named in
/// the client's configuration.
public struct SyncEnvironment: Sendable {
    /// The WireGuard control for an interface (kernel netlink or wireguard-go's socket).
    public var backend: @Sendable (_ interface: String) -> any WireGuardBackend
    /// The host's network.
    public var network: @Sendable () throws(ClientError) -> any LocalNetworkReading
    /// The registry at a DNS server.
    public var registry: @Sendable (_ server: Endpoint, _ zone: DNSName, _ timeout: Duration) -> any RegistrySource
    /// The DDNS API at a base URL.
    public var reporter: @Sendable (_ api: String) -> any EndpointReporting
    /// A host name's first address (the discovery endpoint when it is a name).
    public var resolve: @Sendable (_ host: String) -> IPAddress?
    /// Seconds since the epoch, for handshake ages.
    public var now: @Sendable () -> Int64
    /// Sends one datagram to a peer's WireGuard address, so that WireGuard starts a handshake
    /// on a path under verification (docs/ARCHITECTURE.md §10).
    public var provoke: @Sendable (_ address: IPAddress) -> Void
    /// Whether the discovery node whose DDNS API is at this base URL answers `/health`
    /// through the tunnel (a node learned from the zone is used only once it has).
    public var answersHealth: @Sendable (_ api: String) async -> Bool

    public init(
        backend: @escaping @Sendable (String) -> any WireGuardBackend,
        network: @escaping @Sendable () throws(ClientError) -> any LocalNetworkReading,
        registry: @escaping @Sendable (Endpoint, DNSName, Duration) -> any RegistrySource,
        reporter: @escaping @Sendable (String) -> any EndpointReporting,
        resolve: @escaping @Sendable (String) -> IPAddress?,
        now: @escaping @Sendable () -> Int64,
        provoke: @escaping @Sendable (IPAddress) -> Void = { _ in },
        answersHealth: @escaping @Sendable (String) async -> Bool = { _ in true }
    ) {
        self.provoke = provoke
        self.answersHealth = answersHealth
        self.backend = backend
        self.network = network
        self.registry = registry
        self.reporter = reporter
        self.resolve = resolve
        self.now = now
    }

    /// The real system: ``WireGuardControl``, rtnetlink, DNS, the DDNS API, the clock.
    public static let system = SyncEnvironment(
        backend: { WireGuardControl.backend(for: $0) },
        network: { () throws(ClientError) in try LocalNetwork() },
        registry: { RegistryReader(server: $0, zone: $1, timeout: $2) },
        reporter: { DDNSClient(baseURL: $0) },
        resolve: { try? HostResolution.addresses(of: $0).first },
        now: { Int64(Date().timeIntervalSince1970) },
        provoke: { HandshakeProbe.send(to: $0) },
        answersHealth: { await DDNSClient(baseURL: $0, timeout: .seconds(1)).answersHealth() }
    )
}
