#if canImport(Glibc)
import Glibc
#endif

/// Links, addresses and routes over rtnetlink (`NETLINK_ROUTE`), what `ip link`,
/// `ip address` and `ip route` do, without running them.
///
/// Acts in the network namespace its ``NetlinkSocket`` was opened in.
public final class RouteNetlinkClient: Sendable {
    public let socket: NetlinkSocket

    /// Opens a `NETLINK_ROUTE` socket in the calling thread's network namespace.
    public convenience init() throws(NetlinkError) {
        self.init(socket: try NetlinkSocket(bus: Netlink.Bus.route))
    }

    public init(socket: NetlinkSocket) {
        self.socket = socket
    }

    // MARK: Links

    /// Creates a link of `kind` (`ip link add NAME type KIND`).
    ///
    /// - Throws: ``NetlinkError/Code/noWireGuardInKernel`` when `kind` is `wireguard` and the
    ///   kernel does not know it (`EOPNOTSUPP`: no module), so callers can fall back to a
    ///   userspace implementation; otherwise ``NetlinkError/Code/kernel`` (`EEXIST`, …).
    public func createLink(name: String, kind: String) throws(NetlinkError) {
        do {
            _ = try socket.request(RouteNetlinkRequest.newLink(name: name, kind: kind),
                                   operation: "RTM_NEWLINK type \(kind)", target: name)
        } catch where error.code == .kernel && error.errno == EOPNOTSUPP && kind == WireGuardNetlink.familyName {
            throw NetlinkError(.noWireGuardInKernel,
                               "cannot create \(name): the kernel has no WireGuard (link kind \"wireguard\" unknown)",
                               cause: error.cause)
        }
    }

    /// Creates a WireGuard interface (`ip link add NAME type wireguard`).
    public func createWireGuardLink(name: String) throws(NetlinkError) {
        try createLink(name: name, kind: WireGuardNetlink.familyName)
    }

    /// Deletes the link `name` (`ip link del NAME`).
    public func deleteLink(name: String) throws(NetlinkError) {
        let index = try interfaceIndex(name: name)
        _ = try socket.request(RouteNetlinkRequest.deleteLink(index: index), operation: "RTM_DELLINK", target: name)
    }

    /// The index of interface `name`; `ENODEV` as a ``NetlinkError/Code/kernel`` error when
    /// there is none.
    public func interfaceIndex(name: String) throws(NetlinkError) -> Int32 {
        let replies = try socket.request(RouteNetlinkRequest.getLink(name: name), operation: "RTM_GETLINK", target: name)
        guard let reply = replies.first(where: { $0.type == RouteNetlink.MessageType.newLink }),
              let index = NetlinkReader.integer(Int32.self, reply.payload.dropFirst(4).prefix(4)) else {
            throw NetlinkError(.malformedReply, "RTM_GETLINK \(name): no link in the reply")
        }
        return index
    }

    /// Every link with its index, name and kind (`ip -d link show`).
    public func links() throws(NetlinkError) -> [NetworkLink] {
        try socket.request(RouteNetlinkRequest.dumpLinks(), operation: "RTM_GETLINK dump")
            .filter { $0.type == RouteNetlink.MessageType.newLink }
            .map { reply throws(NetlinkError) in try NetworkLink(reply: reply) }
    }

    /// Brings the link up or down (`ip link set NAME up|down`).
    public func setUp(_ up: Bool, name: String) throws(NetlinkError) {
        let index = try interfaceIndex(name: name)
        _ = try socket.request(RouteNetlinkRequest.setLink(index: index, up: up),
                               operation: up ? "RTM_NEWLINK up" : "RTM_NEWLINK down", target: name)
    }

    /// Sets the MTU (`ip link set NAME mtu N`).
    public func setMTU(_ mtu: UInt32, name: String) throws(NetlinkError) {
        let index = try interfaceIndex(name: name)
        _ = try socket.request(RouteNetlinkRequest.setLink(index: index, mtu: mtu),
                               operation: "RTM_NEWLINK mtu \(mtu)", target: name)
    }

    // MARK: Addresses

    /// Adds `network` (an interface address with its prefix, `10.0.0.1/24`) to `interface`.
    public func addAddress(_ network: IPNetwork, interface: String) throws(NetlinkError) {
        let index = try interfaceIndex(name: interface)
        _ = try socket.request(RouteNetlinkRequest.address(add: true, network, index: index),
                               operation: "RTM_NEWADDR \(network)", target: interface)
    }

    /// Removes `network` from `interface`.
    public func removeAddress(_ network: IPNetwork, interface: String) throws(NetlinkError) {
        let index = try interfaceIndex(name: interface)
        _ = try socket.request(RouteNetlinkRequest.address(add: false, network, index: index),
                               operation: "RTM_DELADDR \(network)", target: interface)
    }

    /// Every address with its prefix (the connected subnets), of one interface or of all.
    public func addresses(interface: String? = nil) throws(NetlinkError) -> [InterfaceAddress] {
        let index = try interface.map { name throws(NetlinkError) in try interfaceIndex(name: name) }
        let replies = try socket.request(RouteNetlinkRequest.dumpAddresses(), operation: "RTM_GETADDR",
                                         target: interface ?? "")
        var result = [InterfaceAddress]()
        for reply in replies where reply.type == RouteNetlink.MessageType.newAddress {
            let address = try InterfaceAddress(reply: reply)
            if index == nil || address.interfaceIndex == index { result.append(address) }
        }
        return result
    }

    // MARK: Routes

    /// Adds a route to `destination` through `interface` (`ip route add DEST dev IF [via GW]`).
    public func addRoute(_ destination: IPNetwork, interface: String, gateway: IPAddress? = nil,
                         metric: UInt32? = nil) throws(NetlinkError) {
        let index = try interfaceIndex(name: interface)
        _ = try socket.request(
            RouteNetlinkRequest.route(add: true, destination, index: index, gateway: gateway, metric: metric),
            operation: "RTM_NEWROUTE \(destination)", target: interface)
    }

    /// Removes the route to `destination` through `interface`.
    public func removeRoute(_ destination: IPNetwork, interface: String, gateway: IPAddress? = nil,
                            metric: UInt32? = nil) throws(NetlinkError) {
        let index = try interfaceIndex(name: interface)
        _ = try socket.request(
            RouteNetlinkRequest.route(add: false, destination, index: index, gateway: gateway, metric: metric),
            operation: "RTM_DELROUTE \(destination)", target: interface)
    }

    /// The route the kernel would use toward `destination` (`ip route get`): the output
    /// interface, the source address it would pick, and the gateway if any.
    /// `ENETUNREACH` as a ``NetlinkError/Code/kernel`` error when there is no route.
    public func lookupRoute(to destination: IPAddress) throws(NetlinkError) -> RouteLookup {
        let replies = try socket.request(RouteNetlinkRequest.getRoute(to: destination),
                                         operation: "RTM_GETROUTE", target: destination.description)
        guard let reply = replies.first(where: { $0.type == RouteNetlink.MessageType.newRoute }) else {
            throw NetlinkError(.malformedReply, "RTM_GETROUTE \(destination): no route in the reply")
        }
        return try RouteLookup(reply: reply)
    }
}
