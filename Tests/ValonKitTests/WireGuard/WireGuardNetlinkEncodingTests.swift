import Testing
@testable import ValonKit

/// WireGuard's generic netlink messages byte for byte, and the splitting of large updates.
@Suite("WireGuard netlink encoding")
struct WireGuardNetlinkEncodingTests {

    @Test("CTRL_CMD_GETFAMILY wireguard")
    func getFamily() {
        #expect(hexString(WireGuardNetlink.getFamilyRequest().bytes) == hexString(hexBytes("""
        24000000 1000 0100 00000000 00000000  # len 36, GENL_ID_CTRL, REQUEST
        03 01 0000                            # genlmsghdr: CTRL_CMD_GETFAMILY, version 1
        0e00 0200 776972656775617264 00 0000  # CTRL_ATTR_FAMILY_NAME "wireguard\\0", padded
        """)))
    }

    @Test("WG_CMD_GET_DEVICE is a dump by interface name")
    func getDevice() {
        #expect(hexString(WireGuardNetlink.getDeviceRequest(family: 0x15, name: "wg0").bytes)
            == hexString(hexBytes("""
            1c000000 1500 0103 00000000 00000000  # len 28, family id 0x15, REQUEST|DUMP
            00 01 0000                            # WG_CMD_GET_DEVICE, WG_GENL_VERSION 1
            0800 0200 77673000                    # WGDEVICE_A_IFNAME "wg0\\0"
            """)))
    }

    @Test("WG_CMD_SET_DEVICE with every device and peer attribute")
    func setDeviceEverything() {
        let update = WireGuardDevice(
            name: "ignored", privateKey: WireGuardKey.repeating(0xaa), listenPort: 51820, fwmark: 0x42,
            peers: [WireGuardPeer(
                publicKey: WireGuardKey.repeating(0xbb), presharedKey: WireGuardKey.repeating(0xcc), endpoint: Endpoint("192.0.2.1:51820"),
                persistentKeepalive: 25, allowedIPs: [IPNetwork("10.0.0.7/24")!, IPNetwork("fd00::/64")!],
                flags: [.replaceAllowedIPs])],
            flags: [.replacePeers])
        let messages = WireGuardNetlink.setDeviceRequests(update, name: "wg0", family: 0x15)
        #expect(messages.count == 1)
        #expect(hexString(messages[0].bytes) == hexString(hexBytes("""
        14010000 1500 0100 00000000 00000000  # len 276, family 0x15, REQUEST (the socket adds ACK)
        01 01 0000                            # WG_CMD_SET_DEVICE, version 1
        0800 0200 77673000                    # WGDEVICE_A_IFNAME "wg0\\0"
        2400 0300 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # WGDEVICE_A_PRIVATE_KEY
        0600 0600 6cca 0000                   # WGDEVICE_A_LISTEN_PORT 51820 (host order), padded
        0800 0700 42000000                    # WGDEVICE_A_FWMARK 0x42
        0800 0500 01000000                    # WGDEVICE_A_FLAGS WGDEVICE_F_REPLACE_PEERS
        bc00 0880                             # WGDEVICE_A_PEERS | NLA_F_NESTED, 188 bytes
          b800 0080                           # peer 0, 184 bytes
            2400 0100 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb # WGPEER_A_PUBLIC_KEY
            2400 0200 cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc # WGPEER_A_PRESHARED_KEY
            1400 0400 0200 ca6c c0000201 0000000000000000 # WGPEER_A_ENDPOINT sockaddr_in: AF_INET, port 51820 big-endian, 192.0.2.1
            0600 0500 1900 0000               # WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL 25
            0800 0300 02000000                # WGPEER_A_FLAGS WGPEER_F_REPLACE_ALLOWEDIPS
            4800 0980                         # WGPEER_A_ALLOWEDIPS | NLA_F_NESTED, 72 bytes
              1c00 0080                       # allowed IP 0
                0600 0100 0200 0000           # WGALLOWEDIP_A_FAMILY AF_INET
                0800 0200 0a000000            # WGALLOWEDIP_A_IPADDR 10.0.0.0 (host bits cleared)
                0500 0300 18 000000           # WGALLOWEDIP_A_CIDR_MASK 24
              2800 0080                       # allowed IP 1
                0600 0100 0a00 0000           # AF_INET6
                1400 0200 fd000000000000000000000000000000 # fd00::
                0500 0300 40 000000           # /64
        """)))
    }

    @Test("a removal carries only the key and WGPEER_F_REMOVE_ME; an IPv6 endpoint is a sockaddr_in6")
    func removalAndIPv6Endpoint() {
        let update = WireGuardDevice(name: "x", peers: [
            .removal(of: WireGuardKey.repeating(0x01)),
            WireGuardPeer(publicKey: WireGuardKey.repeating(0x02), endpoint: Endpoint("[2001:db8::1]:443"), flags: [.updateOnly]),
        ])
        let messages = WireGuardNetlink.setDeviceRequests(update, name: "wg1", family: 0x15)
        #expect(hexString(messages[0].bytes) == hexString(hexBytes("""
        a0000000 1500 0100 00000000 00000000  # len 160
        01 01 0000
        0800 0200 77673100                    # "wg1\\0"; no device attributes: nothing to change
        8400 0880                             # WGDEVICE_A_PEERS, 132 bytes
          3000 0080                           # peer 0, 48 bytes
            2400 0100 0101010101010101010101010101010101010101010101010101010101010101
            0800 0300 01000000                # WGPEER_F_REMOVE_ME
          5000 0080                           # peer 1, 80 bytes
            2400 0100 0202020202020202020202020202020202020202020202020202020202020202
            2000 0400 0a00 01bb 00000000 20010db8000000000000000000000001 00000000 # sockaddr_in6: AF_INET6, port 443, flowinfo 0, address, scope 0
            0800 0300 04000000                # WGPEER_F_UPDATE_ONLY
        """)))
    }

    /// Large updates: every message within the limit, device attributes only in the
    /// first, and the messages read back in order give exactly the update again.
    @Test("large updates split across messages and resume at the same peer and allowed IP",
          arguments: [(1000, 2, 8192), (200, 1, 1024), (3, 700, 8192), (1, 3000, 4096)])
    func splits(peerCount: Int, allowedIPsPerPeer: Int, limit: Int) throws {
        var peers = [WireGuardPeer]()
        for index in 0..<peerCount {
            let ips = (0..<allowedIPsPerPeer).map { ip in
                ip % 2 == 0
                    ? IPNetwork(address: .v4(IPv4Address(value: 0x0a00_0000 | UInt32(index) << 12 | UInt32(ip))), prefixLength: 32)!
                    : IPNetwork(address: IPAddress("fd00::\(String(index, radix: 16)):\(String(ip, radix: 16))")!, prefixLength: 128)!
            }
            peers.append(WireGuardPeer(
                publicKey: WireGuardKey.generatePrivate(), presharedKey: index % 3 == 0 ? WireGuardKey.generatePreshared() : nil,
                endpoint: index % 2 == 0 ? Endpoint("192.0.2.\(index % 250 + 1):\(1000 + index)") : Endpoint("[2001:db8::\(index)]:51820"),
                persistentKeepalive: index % 4 == 0 ? 25 : nil, allowedIPs: ips, flags: [.replaceAllowedIPs]))
        }
        let update = WireGuardDevice(name: "wg0", privateKey: WireGuardKey.generatePrivate(), listenPort: 51820,
                                     peers: peers, flags: [.replacePeers])
        let messages = WireGuardNetlink.setDeviceRequests(update, name: "wg0", family: 0x15, limit: limit)

        #expect(messages.count > 1)
        #expect(messages.allSatisfy { $0.count <= limit })
        var replies = [NetlinkReply]()
        for message in messages { replies += try NetlinkReader.messages(message.bytes[...]) }
        #expect(replies.count == messages.count)
        // Only the first message names the private key, port and WGDEVICE_F_REPLACE_PEERS.
        for (index, reply) in replies.enumerated() {
            let attributes = try reply.attributes(after: GenericNetlink.headerSize)
            #expect((attributes.first(WireGuardNetlink.DeviceAttribute.flags) != nil) == (index == 0))
            #expect((attributes.first(WireGuardNetlink.DeviceAttribute.privateKey) != nil) == (index == 0))
            #expect(attributes.first(WireGuardNetlink.DeviceAttribute.ifname)?.string == "wg0")
        }
        // Read back in order (the merge the get path does), the parts are the update again.
        let merged = try WireGuardNetlink.device(from: replies, name: "wg0")
        #expect(merged.peers.count == peerCount)
        for (sent, read) in zip(peers, merged.peers) {
            #expect(read.publicKey == sent.publicKey)
            #expect(read.allowedIPs == sent.allowedIPs)
            #expect(read.presharedKey == sent.presharedKey)
            #expect(read.endpoint == sent.endpoint)
            #expect(read.persistentKeepalive == sent.persistentKeepalive)
        }
        // A peer continued in a later message has no WGPEER_F_REPLACE_ALLOWEDIPS there
        // (it would drop the allowed IPs already sent) and no preshared key or endpoint.
        for reply in replies.dropFirst() {
            let peersAttribute = try reply.attributes(after: GenericNetlink.headerSize).first(WireGuardNetlink.DeviceAttribute.peers)
            guard let first = try peersAttribute?.nested().first?.nested() else { continue }
            let key = try WireGuardKey(bytes: try #require(first.first(WireGuardNetlink.PeerAttribute.publicKey)).payload)
            let previous = try WireGuardNetlink.device(from: [replies[replies.firstIndex(of: reply)! - 1]], name: "wg0")
            if previous.peers.last?.publicKey == key {
                #expect(first.first(WireGuardNetlink.PeerAttribute.flags) == nil)
                #expect(first.first(WireGuardNetlink.PeerAttribute.endpoint) == nil)
            }
        }
    }

    @Test("a get-device dump whose peer continues in the next message is merged into one peer")
    func mergesDumpParts() throws {
        let first = hexBytes("""
        58000000 1500 0200 01000000 00000000  # len 88, MULTI
        00 01 0000
        0800 0200 77673000                    # WGDEVICE_A_IFNAME
        0600 0600 6cca 0000                   # WGDEVICE_A_LISTEN_PORT 51820
        3c00 0880                             # WGDEVICE_A_PEERS
          3800 0080
            2400 0100 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
            1000 0980                         # WGPEER_A_ALLOWEDIPS
              0c00 0080 0800 0200 0a000001    # an entry without a mask: malformed
        """)
        #expect(throws: NetlinkError.self) {
            try WireGuardNetlink.device(from: NetlinkReader.messages(first[...]), name: "wg0")
        }
        var peerA = WireGuardPeer(publicKey: WireGuardKey.repeating(0xbb), allowedIPs: [IPNetwork("10.0.0.1/32")!])
        peerA.persistentKeepalive = 5
        let peerB = WireGuardPeer(publicKey: WireGuardKey.repeating(0xbb), allowedIPs: [IPNetwork("10.0.0.2/32")!])
        let peerC = WireGuardPeer(publicKey: WireGuardKey.repeating(0xcc), allowedIPs: [IPNetwork("10.0.0.3/32")!])
        // Encode the parts with the set encoder (same attribute layout as a get reply).
        let messages = [
            WireGuardNetlink.setDeviceRequests(WireGuardDevice(name: "wg0", listenPort: 51820, peers: [peerA]), name: "wg0", family: 0x15)[0],
            WireGuardNetlink.setDeviceRequests(WireGuardDevice(name: "wg0", peers: [peerB, peerC]), name: "wg0", family: 0x15)[0],
        ]
        var replies = [NetlinkReply]()
        for message in messages { replies += try NetlinkReader.messages(message.bytes[...]) }
        let device = try WireGuardNetlink.device(from: replies, name: "wg0")
        #expect(device.listenPort == 51820)
        #expect(device.peers.map(\.publicKey) == [WireGuardKey.repeating(0xbb), WireGuardKey.repeating(0xcc)])
        #expect(device.peers[0].allowedIPs == [IPNetwork("10.0.0.1/32")!, IPNetwork("10.0.0.2/32")!])
        #expect(device.peers[0].persistentKeepalive == 5)
    }
}
