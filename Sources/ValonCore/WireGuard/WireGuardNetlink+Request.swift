/// WireGuard's generic netlink requests (`<linux/wireguard.h>`) as bytes.
///
/// `WG_CMD_SET_DEVICE` carries the whole update in nested attributes; one netlink message
/// must fit the socket buffer, so a large update is split across several messages, as
/// wireguard-tools' `kernel_set_device` does: the first carries the device attributes and
/// flags, each later one only the interface name and the peers from where the previous
/// stopped — at the same peer and the same allowed IP. A peer continued in a later message
/// is sent again with its public key and the allowed IPs that did not fit; its other
/// attributes and `WGPEER_F_REPLACE_ALLOWEDIPS` travel only in its first part, so the kernel
/// appends the rest.
extension WireGuardNetlink {
    /// The size one request may reach: libmnl's ideal socket buffer size (8 KiB), what
    /// wireguard-tools uses.
    public static let defaultMessageLimit = 8192

    /// A generic netlink message: `nlmsghdr` with the family id as its type, then
    /// `struct genlmsghdr` (command, version, reserved).
    static func genericMessage(family: UInt16, command: UInt8, flags: UInt16, version: UInt8 = version) -> NetlinkMessage {
        var message = NetlinkMessage(type: family, flags: flags)
        message.appendHeader([command, version, 0, 0])
        return message
    }

    /// `CTRL_CMD_GETFAMILY` for a family name: the reply carries `CTRL_ATTR_FAMILY_ID`.
    public static func getFamilyRequest(name: String = familyName) -> NetlinkMessage {
        var message = genericMessage(family: GenericNetlink.controllerID, command: GenericNetlink.getFamilyCommand,
                                     flags: Netlink.Flag.request, version: 1)
        message.put(GenericNetlink.familyNameAttribute, string: name)
        return message
    }

    /// `WG_CMD_GET_DEVICE` for `name`: a dump, because the kernel spreads a device with
    /// many peers over several messages.
    public static func getDeviceRequest(family: UInt16, name: String) -> NetlinkMessage {
        var message = genericMessage(family: family, command: Command.getDevice,
                                     flags: Netlink.Flag.request | Netlink.Flag.dump)
        message.put(DeviceAttribute.ifname, string: name)
        return message
    }

    /// The `WG_CMD_SET_DEVICE` messages that apply `update` to interface `name`, each at
    /// most `limit` bytes, in the order they must be sent.
    public static func setDeviceRequests(
        _ update: WireGuardDevice, name: String, family: UInt16, limit: Int = defaultMessageLimit
    ) -> [NetlinkMessage] {
        precondition(limit >= 512, "a netlink message limit below 512 bytes cannot hold one peer")
        var messages = [NetlinkMessage]()
        var peerIndex = 0, allowedIPIndex = 0
        repeat {
            var message = genericMessage(family: family, command: Command.setDevice, flags: Netlink.Flag.request)
            message.put(DeviceAttribute.ifname, string: name)
            if messages.isEmpty { putDeviceAttributes(update, into: &message) }
            if peerIndex < update.peers.count {
                let peers = message.beginNest(DeviceAttribute.peers)
                let start = (peerIndex, allowedIPIndex)
                putPeers(update.peers, from: &peerIndex, allowedIP: &allowedIPIndex, into: &message, limit: limit)
                precondition(start != (peerIndex, allowedIPIndex) || peerIndex >= update.peers.count,
                             "a set-device message made no progress")
                message.endNest(peers)
            }
            messages.append(message)
        } while peerIndex < update.peers.count
        return messages
    }

    private static func putDeviceAttributes(_ update: WireGuardDevice, into message: inout NetlinkMessage) {
        if let key = update.privateKey { message.put(DeviceAttribute.privateKey, key.bytes) }
        if let port = update.listenPort { message.put(DeviceAttribute.listenPort, u16: port) }
        if let fwmark = update.fwmark { message.put(DeviceAttribute.fwmark, u32: fwmark) }
        if update.flags.contains(.replacePeers) { message.put(DeviceAttribute.flags, u32: deviceReplacePeers) }
    }

    /// Appends peers from `peerIndex` (and its allowed IPs from `allowedIP`) until the
    /// message is full or the peers run out; leaves both indexes at the resume point.
    private static func putPeers(
        _ peers: [WireGuardPeer], from peerIndex: inout Int, allowedIP allowedIPIndex: inout Int,
        into message: inout NetlinkMessage, limit: Int
    ) {
        while peerIndex < peers.count {
            let peer = peers[peerIndex]
            let peerStart = message.count
            let nest = message.beginNest(0)
            putPeerHeader(peer, continued: allowedIPIndex > 0, into: &message)
            // Room for closing the nests after the header; otherwise resume with this peer.
            guard message.count <= limit else {
                message.truncate(to: peerStart)
                return
            }
            if allowedIPIndex < peer.allowedIPs.count {
                let list = message.beginNest(PeerAttribute.allowedIPs)
                let firstIP = allowedIPIndex
                while allowedIPIndex < peer.allowedIPs.count {
                    let ipStart = message.count
                    putAllowedIP(peer.allowedIPs[allowedIPIndex], into: &message)
                    if message.count > limit {
                        if allowedIPIndex == firstIP {
                            // Not one allowed IP fits after this peer: move all of it on.
                            message.truncate(to: peerStart)
                        } else {
                            message.truncate(to: ipStart)
                            message.endNest(list)
                            message.endNest(nest)
                        }
                        return
                    }
                    allowedIPIndex += 1
                }
                message.endNest(list)
            }
            message.endNest(nest)
            peerIndex += 1
            allowedIPIndex = 0
        }
    }

    /// The public key, flags and (in a peer's first part) its other attributes.
    private static func putPeerHeader(_ peer: WireGuardPeer, continued: Bool, into message: inout NetlinkMessage) {
        message.put(PeerAttribute.publicKey, peer.publicKey.bytes)
        var flags = peer.flags.rawValue & (PeerFlag.removeMe | PeerFlag.updateOnly)
        if !continued {
            if peer.flags.contains(.replaceAllowedIPs) { flags |= PeerFlag.replaceAllowedIPs }
            if let key = peer.presharedKey { message.put(PeerAttribute.presharedKey, key.bytes) }
            if let endpoint = peer.endpoint { message.put(PeerAttribute.endpoint, socketAddress(endpoint)) }
            if let keepalive = peer.persistentKeepalive { message.put(PeerAttribute.persistentKeepalive, u16: keepalive) }
            if let version = peer.protocolVersion { message.put(PeerAttribute.protocolVersion, u32: version) }
        }
        if flags != 0 { message.put(PeerAttribute.flags, u32: flags) }
    }

    /// `{ WGALLOWEDIP_A_FAMILY, WGALLOWEDIP_A_IPADDR, WGALLOWEDIP_A_CIDR_MASK }`.
    private static func putAllowedIP(_ network: IPNetwork, into message: inout NetlinkMessage) {
        let nest = message.beginNest(0)
        message.put(AllowedIPAttribute.family, u16: UInt16(network.address.isIPv4 ? Netlink.Family.inet : Netlink.Family.inet6))
        message.put(AllowedIPAttribute.address, network.networkAddress.bytes)
        message.put(AllowedIPAttribute.cidrMask, u8: UInt8(network.prefixLength))
        message.endNest(nest)
    }

    /// `struct sockaddr_in` (16 bytes) or `struct sockaddr_in6` (28 bytes): family in host
    /// order, port in network order, flow info and scope id 0.
    static func socketAddress(_ endpoint: Endpoint) -> [UInt8] {
        let port = [UInt8(endpoint.port >> 8), UInt8(endpoint.port & 0xff)]
        switch endpoint.address {
        case .v4(let address):
            return NetlinkMessage.hostBytes(UInt16(Netlink.Family.inet)) + port + address.bytes + [UInt8](repeating: 0, count: 8)
        case .v6(let address):
            return NetlinkMessage.hostBytes(UInt16(Netlink.Family.inet6)) + port + [0, 0, 0, 0] + address.bytes + [0, 0, 0, 0]
        }
    }
}
