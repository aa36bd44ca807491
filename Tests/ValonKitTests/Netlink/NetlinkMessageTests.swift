import CMnl
import Testing
@testable import ValonKit

/// The message builder against libmnl building the same request, and the reader on
/// well-formed and malformed replies.
@Suite("netlink message builder and reader")
struct NetlinkMessageTests {
    @Test("a nested request matches libmnl's mnl_attr_* output byte for byte")
    func matchesLibmnl() {
        var ours = NetlinkMessage(type: RouteNetlink.MessageType.newLink,
                                  flags: Netlink.Flag.request | Netlink.Flag.create)
        ours.appendHeader(RouteNetlinkRequest.linkHeader(index: 5))
        ours.put(RouteNetlink.LinkAttribute.ifname, string: "valon-test0")
        ours.put(RouteNetlink.LinkAttribute.mtu, u32: 1280)
        let nest = ours.beginNest(RouteNetlink.LinkAttribute.linkInfo)
        ours.put(RouteNetlink.LinkAttribute.infoKind, string: "dummy")
        ours.put(99, u8: 7)
        ours.put(98, u16: 0xabcd)
        ours.put(97, u64: 0x0102030405060708)
        ours.endNest(nest)

        var buffer = [UInt8](repeating: 0, count: 512)
        let theirs = buffer.withUnsafeMutableBytes { raw -> [UInt8] in
            let header = mnl_nlmsg_put_header(raw.baseAddress)!
            header.pointee.nlmsg_type = UInt16(RTM_NEWLINK)
            header.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_CREATE)
            let info = mnl_nlmsg_put_extra_header(header, MemoryLayout<ifinfomsg>.size)!
                .assumingMemoryBound(to: ifinfomsg.self)
            info.pointee.ifi_index = 5
            mnl_attr_put_strz(header, UInt16(IFLA_IFNAME), "valon-test0")
            mnl_attr_put_u32(header, UInt16(IFLA_MTU), 1280)
            let nested = mnl_attr_nest_start(header, UInt16(IFLA_LINKINFO))
            mnl_attr_put_strz(header, UInt16(IFLA_INFO_KIND), "dummy")
            mnl_attr_put_u8(header, 99, 7)
            mnl_attr_put_u16(header, 98, 0xabcd)
            mnl_attr_put_u64(header, 97, 0x0102030405060708)
            mnl_attr_nest_end(header, nested)
            return Array(raw.prefix(Int(header.pointee.nlmsg_len)))
        }
        #expect(hexString(ours.bytes) == hexString(theirs))
    }

    @Test("truncate drops a nest that did not fit and keeps the length current")
    func truncate() {
        var message = NetlinkMessage(type: 1, flags: 0)
        message.put(1, u32: 1)
        let mark = message.count
        let nest = message.beginNest(2)
        message.put(3, u32: 3)
        message.endNest(nest)
        message.truncate(to: mark)
        #expect(message.count == 24)
        #expect(Array(message.bytes[0..<4]) == [24, 0, 0, 0])
    }

    @Test("the reader splits a two-message datagram and its nested attributes")
    func readsMessages() throws {
        let datagram = hexBytes("""
        1c000000 1000 0200 05000000 00000000  # RTM_NEWLINK, MULTI, seq 5, len 28
        0c00 1280                             # nest 18, 12 bytes
          0800 0100 64756d00                  # "dum\\0"
        14000000 0300 0200 05000000 00000000  # NLMSG_DONE, len 20
        00000000
        """)
        let messages = try NetlinkReader.messages(datagram[...])
        #expect(messages.map(\.type) == [16, 3])
        #expect(messages[0].sequence == 5)
        let attributes = try NetlinkReader.attributes(messages[0].payload)
        #expect(attributes.map(\.type) == [18])  // NLA_F_NESTED masked off
        #expect(try attributes[0].nested().first(1)?.string == "dum")
    }

    @Test("a length past the end of the datagram is a malformed reply, not a crash",
          arguments: [
              "ff000000 1000 0000 00000000 00000000",           // nlmsg_len 255 in a 16-byte datagram
              "0c000000 1000 0000 00000000 00000000",           // nlmsg_len 12 < header size
          ])
    func rejectsBadMessageLength(_ hex: String) {
        #expect(throws: NetlinkError.self) { try NetlinkReader.messages(hexBytes(hex)[...]) }
    }

    @Test("an attribute length past its container is a malformed reply",
          arguments: ["0900 0100 00000000", "0200 0100", "4000 0100 0000"])
    func rejectsBadAttributeLength(_ hex: String) {
        #expect(throws: NetlinkError.self) { try NetlinkReader.attributes(hexBytes(hex)[...]) }
    }
}
