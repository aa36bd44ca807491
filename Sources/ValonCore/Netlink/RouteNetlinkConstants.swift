/// rtnetlink constants from `<linux/rtnetlink.h>`, `<linux/if_link.h>`, `<linux/if_addr.h>`
/// and `<linux/if.h>`.
public enum RouteNetlink {
    /// `<linux/rtnetlink.h>`: message types.
    public enum MessageType {
        public static let newLink: UInt16 = 16      // RTM_NEWLINK
        public static let deleteLink: UInt16 = 17   // RTM_DELLINK
        public static let getLink: UInt16 = 18      // RTM_GETLINK
        public static let newAddress: UInt16 = 20   // RTM_NEWADDR
        public static let deleteAddress: UInt16 = 21  // RTM_DELADDR
        public static let getAddress: UInt16 = 22   // RTM_GETADDR
        public static let newRoute: UInt16 = 24     // RTM_NEWROUTE
        public static let deleteRoute: UInt16 = 25  // RTM_DELROUTE
        public static let getRoute: UInt16 = 26     // RTM_GETROUTE
    }

    /// `<linux/if_link.h>`: `IFLA_*` link attributes.
    public enum LinkAttribute {
        public static let ifname: UInt16 = 3        // IFLA_IFNAME
        public static let mtu: UInt16 = 4           // IFLA_MTU
        public static let linkInfo: UInt16 = 18     // IFLA_LINKINFO
        /// Inside `IFLA_LINKINFO`.
        public static let infoKind: UInt16 = 1      // IFLA_INFO_KIND
    }

    /// `<linux/if_addr.h>`: `IFA_*` address attributes.
    public enum AddressAttribute {
        public static let address: UInt16 = 1       // IFA_ADDRESS
        public static let local: UInt16 = 2         // IFA_LOCAL
        public static let label: UInt16 = 3         // IFA_LABEL
    }

    /// `<linux/rtnetlink.h>`: `RTA_*` route attributes.
    public enum RouteAttribute {
        public static let destination: UInt16 = 1   // RTA_DST
        public static let outputInterface: UInt16 = 4  // RTA_OIF
        public static let gateway: UInt16 = 5       // RTA_GATEWAY
        public static let priority: UInt16 = 6      // RTA_PRIORITY
        public static let preferredSource: UInt16 = 7  // RTA_PREFSRC
        public static let table: UInt16 = 15        // RTA_TABLE
    }

    /// `<linux/rtnetlink.h>`: `rtmsg` field values.
    public enum Route {
        public static let mainTable: UInt8 = 254    // RT_TABLE_MAIN
        public static let protocolBoot: UInt8 = 3   // RTPROT_BOOT (what `ip route add` uses)
        public static let scopeUniverse: UInt8 = 0  // RT_SCOPE_UNIVERSE
        public static let scopeLink: UInt8 = 253    // RT_SCOPE_LINK
        public static let scopeNowhere: UInt8 = 255 // RT_SCOPE_NOWHERE
        public static let typeUnicast: UInt8 = 1   // RTN_UNICAST
    }

    /// `<linux/if.h>`: `IFF_UP`.
    public static let interfaceUp: UInt32 = 0x1

    /// `sizeof(struct ifinfomsg)`, `sizeof(struct ifaddrmsg)`, `sizeof(struct rtmsg)`.
    public static let linkHeaderSize = 16
    public static let addressHeaderSize = 8
    public static let routeHeaderSize = 12
}
