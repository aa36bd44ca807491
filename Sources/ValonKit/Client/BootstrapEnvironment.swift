import Foundation

/// What valon-bootstrap touches outside itself beyond what a sync does, one small protocol
/// each, so that ``ValonBootstrap``'s steps run in tests without root against a link table,
/// a device and a userspace implementation that keep their state in memory, while the tool
/// and the end-to-end tests use ``BootstrapEnvironment/system``.

/// The links, addresses and routes valon-bootstrap reads and sets (``RouteNetlinkClient``
/// over rtnetlink, what `ip link`, `ip address` and `ip route` do).
public protocol LinkConfiguring: Sendable {
    func createWireGuardLink(name: String) throws(NetlinkError)
    func deleteLink(name: String) throws(NetlinkError)
    func interfaceIndex(name: String) throws(NetlinkError) -> Int32
    func links() throws(NetlinkError) -> [NetworkLink]
    func setUp(_ up: Bool, name: String) throws(NetlinkError)
    func setMTU(_ mtu: UInt32, name: String) throws(NetlinkError)
    func addAddress(_ network: IPNetwork, interface: String) throws(NetlinkError)
    func addresses(interface: String?) throws(NetlinkError) -> [InterfaceAddress]
    /// A route to `destination` out of `interface`, without a gateway (`ip route add … dev …`).
    func addDeviceRoute(_ destination: IPNetwork, interface: String) throws(NetlinkError)
    func lookupRoute(to destination: IPAddress) throws(NetlinkError) -> RouteLookup
}

extension RouteNetlinkClient: LinkConfiguring {
    public func addDeviceRoute(_ destination: IPNetwork, interface: String) throws(NetlinkError) {
        try addRoute(destination, interface: interface, gateway: nil, metric: nil)
    }
}

/// A userspace WireGuard implementation, for a kernel without the module
/// (``UserspaceWireGuard``, the UAPI socket in `/var/run/wireguard/`).
public protocol UserspaceWireGuardControl: Sendable {
    /// Whether a userspace implementation already serves `interface`.
    func hasSocket(for interface: String) -> Bool
    /// Starts `implementation` for `interface`; returns the PID that serves its socket.
    func start(_ implementation: String, interface: String, environment: [String: String]) throws(ClientError) -> Int32
    func isRunning(pid: Int32, implementation: String) -> Bool
    func stop(pid: Int32)
    /// Removes the socket a stopped implementation left behind; returns its path if there was one.
    func removeSocket(for interface: String) -> String?
}

/// The real userspace implementation: processes and `/var/run/wireguard/`.
public struct SystemUserspaceWireGuard: UserspaceWireGuardControl {
    public let backend: WireGuardUAPIBackend

    public init(backend: WireGuardUAPIBackend = WireGuardUAPIBackend()) {
        self.backend = backend
    }

    public func hasSocket(for interface: String) -> Bool { backend.hasSocket(for: interface) }

    public func start(_ implementation: String, interface: String, environment: [String: String]) throws(ClientError) -> Int32 {
        try UserspaceWireGuard.start(implementation, interface: interface, backend: backend, environment: environment)
    }

    public func isRunning(pid: Int32, implementation: String) -> Bool {
        UserspaceWireGuard.isRunning(pid: pid, implementation: implementation)
    }

    public func stop(pid: Int32) { UserspaceWireGuard.stop(pid: pid) }

    public func removeSocket(for interface: String) -> String? {
        let socket = backend.socketPath(for: interface)
        guard FileManager.default.fileExists(atPath: socket) else { return nil }
        try? FileManager.default.removeItem(atPath: socket)
        return socket
    }
}

/// The collaborators of one bootstrap: the link table, the userspace implementation, name
/// resolution, and everything a sync uses (the device, the registry that nudges the first
/// handshake, the clock), which the first sync then runs against.
public struct BootstrapEnvironment: Sendable {
    /// The host's links, addresses and routes.
    public var links: @Sendable () throws(ClientError) -> any LinkConfiguring
    /// The userspace implementation, where the kernel has no WireGuard.
    public var userspace: any UserspaceWireGuardControl
    /// Every address of a host name (the discovery endpoint), or why there is none.
    public var resolve: @Sendable (_ host: String) throws(ClientError) -> [IPAddress]
    /// Sends one DNS query through the tunnel to the discovery node's server, so that
    /// WireGuard has a packet to send and starts a handshake; its answer does not matter.
    public var nudge: @Sendable (_ server: Endpoint, _ zone: DNSName) async -> Void
    /// The device, the registry, the API and the clock, shared with the first sync.
    public var sync: SyncEnvironment

    public init(
        links: @escaping @Sendable () throws(ClientError) -> any LinkConfiguring,
        userspace: any UserspaceWireGuardControl,
        resolve: @escaping @Sendable (String) throws(ClientError) -> [IPAddress],
        nudge: @escaping @Sendable (Endpoint, DNSName) async -> Void,
        sync: SyncEnvironment
    ) {
        self.links = links
        self.userspace = userspace
        self.resolve = resolve
        self.nudge = nudge
        self.sync = sync
    }

    /// The real system: rtnetlink, wireguard-go, the resolver, and ``SyncEnvironment/system``.
    public static let system = BootstrapEnvironment(
        links: { () throws(ClientError) in try LocalNetwork().routes },
        userspace: SystemUserspaceWireGuard(),
        resolve: { host throws(ClientError) in try HostResolution.addresses(of: host) },
        nudge: { server, zone in
            _ = try? await RegistryReader(server: server, zone: zone, timeout: .milliseconds(300), attempts: 1).serial()
        },
        sync: .system
    )
}
