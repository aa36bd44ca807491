/// rtnetlink requests (`<linux/rtnetlink.h>`) as bytes: links, addresses and routes.
/// Pure functions of their arguments, so every request is golden-tested; the client
/// (``RouteNetlinkClient``) sends them and parses the replies.
public enum RouteNetlinkRequest {
    /// `RTM_NEWLINK` creating a link of `kind` (`wireguard`, `dummy`), as
    /// `ip link add NAME type KIND`: `NLM_F_CREATE | NLM_F_EXCL`, `IFLA_IFNAME`,
    /// and `IFLA_LINKINFO { IFLA_INFO_KIND }`.
    public static func newLink(name: String, kind: String) -> NetlinkMessage {
        var message = NetlinkMessage(
            type: RouteNetlink.MessageType.newLink,
            flags: Netlink.Flag.request | Netlink.Flag.create | Netlink.Flag.exclusive)
        message.appendHeader(linkHeader(index: 0))
        message.put(RouteNetlink.LinkAttribute.ifname, string: name)
        let info = message.beginNest(RouteNetlink.LinkAttribute.linkInfo)
        message.put(RouteNetlink.LinkAttribute.infoKind, string: kind)
        message.endNest(info)
        return message
    }

    /// `RTM_DELLINK` for the interface with `index`.
    public static func deleteLink(index: Int32) -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteNetlink.MessageType.deleteLink, flags: Netlink.Flag.request)
        message.appendHeader(linkHeader(index: index))
        return message
    }

    /// `RTM_GETLINK` by name (`IFLA_IFNAME`): the reply carries the index.
    public static func getLink(name: String) -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteNetlink.MessageType.getLink, flags: Netlink.Flag.request)
        message.appendHeader(linkHeader(index: 0))
        message.put(RouteNetlink.LinkAttribute.ifname, string: name)
        return message
    }

    /// `RTM_GETLINK` dump of every link (`ip link show`).
    public static func dumpLinks() -> NetlinkMessage {
        var message = NetlinkMessage(
            type: RouteNetlink.MessageType.getLink, flags: Netlink.Flag.request | Netlink.Flag.dump)
        message.appendHeader(linkHeader(index: 0))
        return message
    }

    /// `RTM_NEWLINK` changing an existing link: `IFF_UP` in `ifi_flags` under an
    /// `ifi_change` mask when `up` is given, `IFLA_MTU` when `mtu` is given.
    public static func setLink(index: Int32, up: Bool? = nil, mtu: UInt32? = nil) -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteNetlink.MessageType.newLink, flags: Netlink.Flag.request)
        let flags: UInt32 = up == true ? RouteNetlink.interfaceUp : 0
        let change: UInt32 = up == nil ? 0 : RouteNetlink.interfaceUp
        message.appendHeader(linkHeader(index: index, flags: flags, change: change))
        if let mtu { message.put(RouteNetlink.LinkAttribute.mtu, u32: mtu) }
        return message
    }

    /// `RTM_NEWADDR` (`add`) or `RTM_DELADDR`: `ifaddrmsg` with the prefix length, and
    /// `IFA_LOCAL` plus `IFA_ADDRESS` both set to the address, as `ip address add` does.
    public static func address(add: Bool, _ network: IPNetwork, index: Int32) -> NetlinkMessage {
        var message = NetlinkMessage(
            type: add ? RouteNetlink.MessageType.newAddress : RouteNetlink.MessageType.deleteAddress,
            flags: add ? Netlink.Flag.request | Netlink.Flag.create | Netlink.Flag.exclusive : Netlink.Flag.request)
        var header = [family(network.address), UInt8(network.prefixLength), 0, 0]  // flags, scope universe
        header += NetlinkMessage.hostBytes(UInt32(bitPattern: index))
        message.appendHeader(header)
        message.put(RouteNetlink.AddressAttribute.local, network.address.bytes)
        message.put(RouteNetlink.AddressAttribute.address, network.address.bytes)
        return message
    }

    /// `RTM_GETADDR` dump of every address of every interface.
    public static func dumpAddresses() -> NetlinkMessage {
        var message = NetlinkMessage(
            type: RouteNetlink.MessageType.getAddress, flags: Netlink.Flag.request | Netlink.Flag.dump)
        message.appendHeader([Netlink.Family.unspecified, 0, 0, 0, 0, 0, 0, 0])
        return message
    }

    /// `RTM_NEWROUTE` (`add`) or `RTM_DELROUTE` in the main table: `RTA_DST` (omitted
    /// for a default route), `RTA_OIF`, and `RTA_GATEWAY` when routed via a gateway.
    /// A route without a gateway has link scope, as `ip route add … dev X` gives it;
    /// deletion uses `RT_SCOPE_NOWHERE` so that it matches any scope, as `ip route del` does.
    public static func route(
        add: Bool, _ destination: IPNetwork, index: Int32, gateway: IPAddress? = nil, metric: UInt32? = nil
    ) -> NetlinkMessage {
        var message = NetlinkMessage(
            type: add ? RouteNetlink.MessageType.newRoute : RouteNetlink.MessageType.deleteRoute,
            flags: add ? Netlink.Flag.request | Netlink.Flag.create | Netlink.Flag.exclusive : Netlink.Flag.request)
        let scope = !add ? RouteNetlink.Route.scopeNowhere
            : gateway == nil ? RouteNetlink.Route.scopeLink : RouteNetlink.Route.scopeUniverse
        message.appendHeader(routeHeader(
            family: family(destination.address), destinationLength: UInt8(destination.prefixLength),
            protocol: add ? RouteNetlink.Route.protocolBoot : 0, scope: scope,
            type: add ? RouteNetlink.Route.typeUnicast : 0))
        if destination.prefixLength > 0 {
            message.put(RouteNetlink.RouteAttribute.destination, destination.networkAddress.bytes)
        }
        message.put(RouteNetlink.RouteAttribute.outputInterface, u32: UInt32(bitPattern: index))
        if let gateway { message.put(RouteNetlink.RouteAttribute.gateway, gateway.bytes) }
        if let metric { message.put(RouteNetlink.RouteAttribute.priority, u32: metric) }
        return message
    }

    /// `RTM_GETROUTE` for one destination (`RTA_DST`, full-length prefix), as
    /// `ip route get ADDRESS`: the kernel answers with the route it would use.
    public static func getRoute(to destination: IPAddress) -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteNetlink.MessageType.getRoute, flags: Netlink.Flag.request)
        message.appendHeader(routeHeader(
            family: family(destination), destinationLength: UInt8(destination.bytes.count * 8),
            protocol: 0, scope: 0, type: 0, table: 0))
        message.put(RouteNetlink.RouteAttribute.destination, destination.bytes)
        return message
    }

    // MARK: Family headers

    /// `struct ifinfomsg`: family, pad, type, index, flags, change.
    package static func linkHeader(index: Int32, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [Netlink.Family.unspecified, 0, 0, 0]
            + NetlinkMessage.hostBytes(index)
            + NetlinkMessage.hostBytes(flags)
            + NetlinkMessage.hostBytes(change)
    }

    /// `struct rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
    static func routeHeader(
        family: UInt8, destinationLength: UInt8, protocol: UInt8, scope: UInt8, type: UInt8,
        table: UInt8 = RouteNetlink.Route.mainTable
    ) -> [UInt8] {
        [family, destinationLength, 0, 0, table, `protocol`, scope, type] + NetlinkMessage.hostBytes(UInt32(0))
    }

    static func family(_ address: IPAddress) -> UInt8 {
        address.isIPv4 ? Netlink.Family.inet : Netlink.Family.inet6
    }
}
