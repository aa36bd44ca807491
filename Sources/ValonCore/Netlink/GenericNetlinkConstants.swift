/// Generic netlink constants from `<linux/genetlink.h>` and WireGuard's family from
/// `<linux/wireguard.h>`.
public enum GenericNetlink {
    /// `GENL_ID_CTRL`: the controller family that resolves family names to ids.
    public static let controllerID: UInt16 = 16
    /// `CTRL_CMD_GETFAMILY`.
    public static let getFamilyCommand: UInt8 = 3
    /// `CTRL_ATTR_FAMILY_ID` (u16) and `CTRL_ATTR_FAMILY_NAME` (string).
    public static let familyIDAttribute: UInt16 = 1
    public static let familyNameAttribute: UInt16 = 2
    /// `sizeof(struct genlmsghdr)`: command, version, two reserved bytes.
    public static let headerSize = 4
}

/// `<linux/wireguard.h>`: the `wireguard` generic netlink family.
public enum WireGuardNetlink {
    public static let familyName = "wireguard"      // WG_GENL_NAME
    public static let version: UInt8 = 1           // WG_GENL_VERSION

    public enum Command {
        public static let getDevice: UInt8 = 0      // WG_CMD_GET_DEVICE
        public static let setDevice: UInt8 = 1      // WG_CMD_SET_DEVICE
    }

    /// `WGDEVICE_A_*`.
    public enum DeviceAttribute {
        public static let ifindex: UInt16 = 1
        public static let ifname: UInt16 = 2
        public static let privateKey: UInt16 = 3
        public static let publicKey: UInt16 = 4
        public static let flags: UInt16 = 5
        public static let listenPort: UInt16 = 6
        public static let fwmark: UInt16 = 7
        public static let peers: UInt16 = 8
    }

    /// `WGDEVICE_F_REPLACE_PEERS`.
    public static let deviceReplacePeers: UInt32 = 1

    /// `WGPEER_A_*`.
    public enum PeerAttribute {
        public static let publicKey: UInt16 = 1
        public static let presharedKey: UInt16 = 2
        public static let flags: UInt16 = 3
        public static let endpoint: UInt16 = 4
        public static let persistentKeepalive: UInt16 = 5
        public static let lastHandshakeTime: UInt16 = 6
        public static let rxBytes: UInt16 = 7
        public static let txBytes: UInt16 = 8
        public static let allowedIPs: UInt16 = 9
        public static let protocolVersion: UInt16 = 10
    }

    /// `WGPEER_F_*`.
    public enum PeerFlag {
        public static let removeMe: UInt32 = 1
        public static let replaceAllowedIPs: UInt32 = 2
        public static let updateOnly: UInt32 = 4
    }

    /// `WGALLOWEDIP_A_*`.
    public enum AllowedIPAttribute {
        public static let family: UInt16 = 1
        public static let address: UInt16 = 2
        public static let cidrMask: UInt16 = 3
    }
}
