/// Parsing `WG_CMD_GET_DEVICE` replies (`<linux/wireguard.h>`) into a ``WireGuardDevice``.
///
/// The kernel answers a get as a dump: each message repeats the device attributes and
/// carries the next slice of `WGDEVICE_A_PEERS`; a peer whose allowed IPs did not fit
/// continues at the start of the next message under the same public key. The parts are
/// merged in order, as wireguard-tools' `coalesce_peers` does. Values read back follow the
/// model's normalisation: an all-zero key, port 0, fwmark 0, keepalive 0 and a 0/0
/// handshake time are `nil`.
extension WireGuardNetlink {
    /// The device described by the data messages of one get-device dump.
    public static func device(from replies: [NetlinkReply], name: String) throws(NetlinkError) -> WireGuardDevice {
        var device = WireGuardDevice(name: name)
        for (index, reply) in replies.enumerated() {
            let attributes = try reply.attributes(after: GenericNetlink.headerSize)
            if index == 0 { try readDeviceAttributes(attributes, into: &device) }
            guard let peers = attributes.first(DeviceAttribute.peers) else { continue }
            for (position, entry) in try peers.nested().enumerated() {
                let peer = try self.peer(from: try entry.nested())
                if position == 0, let last = device.peers.last, last.publicKey == peer.publicKey {
                    device.peers[device.peers.count - 1].allowedIPs += peer.allowedIPs
                } else {
                    device.peers.append(peer)
                }
            }
        }
        return device
    }

    private static func readDeviceAttributes(_ attributes: [NetlinkAttribute], into device: inout WireGuardDevice) throws(NetlinkError) {
        for attribute in attributes {
            switch attribute.type {
            case DeviceAttribute.ifname:
                device.name = attribute.string
            case DeviceAttribute.privateKey:
                let key = try self.key(attribute, "WGDEVICE_A_PRIVATE_KEY")
                device.privateKey = key.isZero ? nil : key
            case DeviceAttribute.listenPort:
                device.listenPort = attribute.u16.flatMap { $0 == 0 ? nil : $0 }
            case DeviceAttribute.fwmark:
                device.fwmark = attribute.u32.flatMap { $0 == 0 ? nil : $0 }
            default:
                continue
            }
        }
    }

    static func peer(from attributes: [NetlinkAttribute]) throws(NetlinkError) -> WireGuardPeer {
        guard let publicKey = attributes.first(PeerAttribute.publicKey) else {
            throw NetlinkError(.malformedReply, "WG_CMD_GET_DEVICE: a peer without WGPEER_A_PUBLIC_KEY")
        }
        var peer = WireGuardPeer(publicKey: try key(publicKey, "WGPEER_A_PUBLIC_KEY"))
        for attribute in attributes {
            switch attribute.type {
            case PeerAttribute.presharedKey:
                let key = try self.key(attribute, "WGPEER_A_PRESHARED_KEY")
                peer.presharedKey = key.isZero ? nil : key
            case PeerAttribute.endpoint:
                peer.endpoint = endpoint(fromSocketAddress: attribute.payload)
            case PeerAttribute.persistentKeepalive:
                peer.persistentKeepalive = attribute.u16.flatMap { $0 == 0 ? nil : $0 }
            case PeerAttribute.lastHandshakeTime where attribute.payload.count == 16:
                let seconds = NetlinkReader.integer(Int64.self, attribute.payload.prefix(8)) ?? 0
                let nanoseconds = NetlinkReader.integer(Int64.self, attribute.payload.suffix(8)) ?? 0
                peer.lastHandshake = seconds == 0 && nanoseconds == 0
                    ? nil : WireGuardPeer.HandshakeTime(seconds: seconds, nanoseconds: nanoseconds)
            case PeerAttribute.rxBytes:
                peer.rxBytes = attribute.u64 ?? 0
            case PeerAttribute.txBytes:
                peer.txBytes = attribute.u64 ?? 0
            case PeerAttribute.protocolVersion:
                peer.protocolVersion = attribute.u32
            case PeerAttribute.allowedIPs:
                for entry in try attribute.nested() {
                    peer.allowedIPs.append(try allowedIP(from: try entry.nested()))
                }
            default:
                continue
            }
        }
        return peer
    }

    private static func allowedIP(from attributes: [NetlinkAttribute]) throws(NetlinkError) -> IPNetwork {
        guard let raw = attributes.first(AllowedIPAttribute.address), let address = IPAddress(bytes: raw.payload),
              let length = attributes.first(AllowedIPAttribute.cidrMask)?.u8,
              let network = IPNetwork(address: address, prefixLength: Int(length)) else {
            throw NetlinkError(.malformedReply, "WG_CMD_GET_DEVICE: an allowed IP without a valid address and mask")
        }
        return network
    }

    private static func key(_ attribute: NetlinkAttribute, _ name: String) throws(NetlinkError) -> WireGuardKey {
        do {
            return try WireGuardKey(bytes: attribute.payload)
        } catch {
            throw NetlinkError(.malformedReply, "WG_CMD_GET_DEVICE: \(name) has \(attribute.payload.count) bytes, not 32")
        }
    }

    /// A `sockaddr_in` / `sockaddr_in6` payload as an endpoint; `nil` for `AF_UNSPEC`.
    static func endpoint(fromSocketAddress bytes: ArraySlice<UInt8>) -> Endpoint? {
        guard bytes.count >= 4, let family = NetlinkReader.integer(UInt16.self, bytes.prefix(2)) else { return nil }
        let start = bytes.startIndex
        let port = UInt16(bytes[start + 2]) << 8 | UInt16(bytes[start + 3])
        switch UInt8(truncatingIfNeeded: family) {
        case Netlink.Family.inet where bytes.count >= 8:
            return Endpoint(address: .v4(IPv4Address(bytes: Array(bytes[(start + 4)..<(start + 8)]))), port: port)
        case Netlink.Family.inet6 where bytes.count >= 24:
            return Endpoint(address: .v6(IPv6Address(bytes: Array(bytes[(start + 8)..<(start + 24)]))), port: port)
        default:
            return nil
        }
    }
}
