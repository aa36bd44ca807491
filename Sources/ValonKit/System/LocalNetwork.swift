/// What this host's own network says, over rtnetlink: the LAN address the kernel would send
/// from toward the discovery node (docs/ARCHITECTURE.md §5 step 1, `ip route get`), and the directly
/// connected subnets for endpoint selection (docs/ARCHITECTURE.md §4, `ip address`).
public struct LocalNetwork: Sendable {
    public let routes: RouteNetlinkClient

    public init(routes: RouteNetlinkClient) {
        self.routes = routes
    }

    /// Opens an rtnetlink socket in the calling thread's network namespace.
    public init() throws(ClientError) {
        do {
            routes = try RouteNetlinkClient()
        } catch {
            throw ClientError(.network, "cannot open an rtnetlink socket", cause: error)
        }
    }

    /// The source address of the route toward `destination`.
    public func sourceAddress(toward destination: IPAddress) throws(ClientError) -> IPAddress {
        let lookup: RouteLookup
        do {
            lookup = try routes.lookupRoute(to: destination)
        } catch {
            throw ClientError(.network, "no route toward the discovery endpoint \(destination)", cause: error)
        }
        guard let source = lookup.source else {
            throw ClientError(.network, "the route toward the discovery endpoint \(destination) has no source address")
        }
        return source
    }

    /// The subnets of every interface address except those of `excluded` (the WireGuard
    /// interface itself), loopback and link-local ones.
    public func connectedSubnets(excluding excluded: String) throws(ClientError) -> [IPNetwork] {
        do {
            let index = try? routes.interfaceIndex(name: excluded)
            return Self.connectedSubnets(try routes.addresses(), excludingInterface: index)
        } catch {
            throw ClientError(.network, "cannot list the interface addresses", cause: error)
        }
    }

    /// The connected subnets among `addresses` (pure): canonical, without duplicates,
    /// without loopback (127.0.0.0/8, ::1) and link-local (169.254.0.0/16, fe80::/10)
    /// subnets, and without those of interface `excludingInterface`.
    public static func connectedSubnets(_ addresses: [InterfaceAddress], excludingInterface: Int32?) -> [IPNetwork] {
        let unusable = ["127.0.0.0/8", "169.254.0.0/16", "::1/128", "fe80::/10"].compactMap { IPNetwork($0) }
        var result = [IPNetwork]()
        for address in addresses where address.interfaceIndex != excludingInterface {
            let subnet = address.network.canonical
            if unusable.contains(where: { $0.contains(subnet.address) }) || result.contains(subnet) { continue }
            result.append(subnet)
        }
        return result
    }
}
