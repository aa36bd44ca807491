/// An address assigned to an interface, with its prefix: `network.canonical` is the
/// connected subnet. Parsed from `RTM_NEWADDR` (`struct ifaddrmsg` and `IFA_*`).
public struct InterfaceAddress: Hashable, Sendable {
    public var interfaceIndex: Int32
    /// The local address and prefix length (`10.0.0.1/24`).
    public var network: IPNetwork
    /// `IFA_LABEL` (IPv4 only): the interface name or its alias.
    public var label: String?

    public init(interfaceIndex: Int32, network: IPNetwork, label: String? = nil) {
        self.interfaceIndex = interfaceIndex
        self.network = network
        self.label = label
    }

    package init(reply: NetlinkReply) throws(NetlinkError) {
        let header = Array(reply.payload.prefix(RouteNetlink.addressHeaderSize))
        guard header.count == RouteNetlink.addressHeaderSize,
              let index = NetlinkReader.integer(Int32.self, header[4..<8]) else {
            throw NetlinkError(.malformedReply, "RTM_NEWADDR shorter than struct ifaddrmsg")
        }
        let attributes = try reply.attributes(after: RouteNetlink.addressHeaderSize)
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on a
        // point-to-point link, and the only one IPv6 sends.
        let raw = attributes.first(RouteNetlink.AddressAttribute.local)
            ?? attributes.first(RouteNetlink.AddressAttribute.address)
        guard let raw, let address = IPAddress(bytes: raw.payload),
              let network = IPNetwork(address: address, prefixLength: Int(header[1])) else {
            throw NetlinkError(.malformedReply, "RTM_NEWADDR on interface \(index) without a valid address")
        }
        self.init(interfaceIndex: index, network: network,
                  label: attributes.first(RouteNetlink.AddressAttribute.label)?.string)
    }
}

/// The kernel's answer to a route lookup (`RTM_GETROUTE`, `ip route get`).
public struct RouteLookup: Hashable, Sendable {
    /// `RTA_OIF`: the interface packets would leave by.
    public var interfaceIndex: Int32
    /// `RTA_PREFSRC`: the source address the kernel would choose.
    public var source: IPAddress?
    /// `RTA_GATEWAY`: the next hop, when not on-link.
    public var gateway: IPAddress?

    public init(interfaceIndex: Int32, source: IPAddress?, gateway: IPAddress?) {
        self.interfaceIndex = interfaceIndex
        self.source = source
        self.gateway = gateway
    }

    package init(reply: NetlinkReply) throws(NetlinkError) {
        let attributes = try reply.attributes(after: RouteNetlink.routeHeaderSize)
        guard let index = attributes.first(RouteNetlink.RouteAttribute.outputInterface)?.int32 else {
            throw NetlinkError(.malformedReply, "RTM_GETROUTE reply without RTA_OIF")
        }
        self.init(
            interfaceIndex: index,
            source: attributes.first(RouteNetlink.RouteAttribute.preferredSource).flatMap { IPAddress(bytes: $0.payload) },
            gateway: attributes.first(RouteNetlink.RouteAttribute.gateway).flatMap { IPAddress(bytes: $0.payload) })
    }
}

/// A network interface as `RTM_NEWLINK` describes it (`struct ifinfomsg` and `IFLA_*`).
public struct NetworkLink: Hashable, Sendable {
    public var index: Int32
    public var name: String
    /// `IFLA_INFO_KIND` (`wireguard`, `veth`, `bridge`); `nil` for a physical device.
    public var kind: String?
    /// `ifi_flags` (`IFF_UP` is 0x1).
    public var flags: UInt32
    public var mtu: UInt32?

    public var isUp: Bool { flags & RouteNetlink.interfaceUp != 0 }

    public init(index: Int32, name: String, kind: String? = nil, flags: UInt32 = 0, mtu: UInt32? = nil) {
        self.index = index
        self.name = name
        self.kind = kind
        self.flags = flags
        self.mtu = mtu
    }

    package init(reply: NetlinkReply) throws(NetlinkError) {
        let header = Array(reply.payload.prefix(RouteNetlink.linkHeaderSize))
        guard header.count == RouteNetlink.linkHeaderSize,
              let index = NetlinkReader.integer(Int32.self, header[4..<8]),
              let flags = NetlinkReader.integer(UInt32.self, header[8..<12]) else {
            throw NetlinkError(.malformedReply, "RTM_NEWLINK shorter than struct ifinfomsg")
        }
        let attributes = try reply.attributes(after: RouteNetlink.linkHeaderSize)
        self.index = index
        self.flags = flags
        name = attributes.first(RouteNetlink.LinkAttribute.ifname)?.string ?? ""
        mtu = attributes.first(RouteNetlink.LinkAttribute.mtu)?.u32
        kind = try attributes.first(RouteNetlink.LinkAttribute.linkInfo)?.nested()
            .first(RouteNetlink.LinkAttribute.infoKind)?.string
    }
}
