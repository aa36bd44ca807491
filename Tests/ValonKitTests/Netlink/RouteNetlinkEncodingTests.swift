import Testing
@testable import ValonKit

/// rtnetlink requests byte for byte (x86-64: integers little-endian, as the kernel reads
/// them on this host). Layouts: `struct nlmsghdr` (len, type, flags, seq, pid), then
/// `ifinfomsg` / `ifaddrmsg` / `rtmsg`, then `struct nlattr` TLVs padded to 4 bytes.
@Suite("rtnetlink request encoding")
struct RouteNetlinkEncodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var message: NetlinkMessage
        var golden: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ip link add wg0 type wireguard",
             message: RouteNetlinkRequest.newLink(name: "wg0", kind: "wireguard"),
             golden: """
             3c000000 1000 0106 00000000 00000000  # len 60, RTM_NEWLINK, REQUEST|EXCL|CREATE, seq 0, pid 0
             00 00 0000 00000000 00000000 00000000 # ifinfomsg: AF_UNSPEC, type 0, index 0, flags 0, change 0
             0800 0300 77673000                    # IFLA_IFNAME "wg0\\0"
             1400 1280                             # IFLA_LINKINFO | NLA_F_NESTED, 20 bytes
               0e00 0100 776972656775617264 00 0000 # IFLA_INFO_KIND "wireguard\\0" + 2 bytes padding
             """),
        Case(name: "ip link set index 7 up",
             message: RouteNetlinkRequest.setLink(index: 7, up: true),
             golden: """
             20000000 1000 0100 00000000 00000000  # len 32, RTM_NEWLINK, REQUEST
             00 00 0000 07000000 01000000 01000000 # ifinfomsg: index 7, flags IFF_UP, change IFF_UP
             """),
        Case(name: "ip link set index 7 down",
             message: RouteNetlinkRequest.setLink(index: 7, up: false),
             golden: """
             20000000 1000 0100 00000000 00000000
             00 00 0000 07000000 00000000 01000000 # flags 0 under the IFF_UP change mask
             """),
        Case(name: "ip link set index 7 mtu 1420",
             message: RouteNetlinkRequest.setLink(index: 7, mtu: 1420),
             golden: """
             28000000 1000 0100 00000000 00000000  # len 40
             00 00 0000 07000000 00000000 00000000 # no flag change
             0800 0400 8c050000                    # IFLA_MTU 1420
             """),
        Case(name: "ip link del index 9",
             message: RouteNetlinkRequest.deleteLink(index: 9),
             golden: """
             20000000 1100 0100 00000000 00000000  # RTM_DELLINK
             00 00 0000 09000000 00000000 00000000
             """),
        Case(name: "ip address add 10.0.0.1/24 dev index 3",
             message: RouteNetlinkRequest.address(add: true, IPNetwork("10.0.0.1/24")!, index: 3),
             golden: """
             28000000 1400 0106 00000000 00000000  # len 40, RTM_NEWADDR, REQUEST|EXCL|CREATE
             02 18 00 00 03000000                  # ifaddrmsg: AF_INET, /24, flags 0, scope universe, index 3
             0800 0200 0a000001                    # IFA_LOCAL 10.0.0.1 (network order)
             0800 0100 0a000001                    # IFA_ADDRESS 10.0.0.1
             """),
        Case(name: "ip address del fd00::1/64 dev index 3",
             message: RouteNetlinkRequest.address(add: false, IPNetwork("fd00::1/64")!, index: 3),
             golden: """
             40000000 1500 0100 00000000 00000000  # len 64, RTM_DELADDR, REQUEST
             0a 40 00 00 03000000                  # AF_INET6, /64
             1400 0200 fd000000000000000000000000000001 # IFA_LOCAL
             1400 0100 fd000000000000000000000000000001 # IFA_ADDRESS
             """),
        Case(name: "ip address show (dump)",
             message: RouteNetlinkRequest.dumpAddresses(),
             golden: """
             18000000 1600 0103 00000000 00000000  # len 24, RTM_GETADDR, REQUEST|DUMP (ROOT|MATCH)
             00 00 00 00 00000000                  # ifaddrmsg: AF_UNSPEC, every interface
             """),
        Case(name: "ip route add 10.99.0.0/16 via 10.0.0.254 dev index 3",
             message: RouteNetlinkRequest.route(add: true, IPNetwork("10.99.1.2/16")!, index: 3,
                                                gateway: IPAddress("10.0.0.254")),
             golden: """
             34000000 1800 0106 00000000 00000000  # len 52, RTM_NEWROUTE, REQUEST|EXCL|CREATE
             02 10 00 00 fe 03 00 01 00000000      # rtmsg: AF_INET, dst /16, main table, RTPROT_BOOT, scope universe, RTN_UNICAST
             0800 0100 0a630000                    # RTA_DST 10.99.0.0 (host bits cleared)
             0800 0400 03000000                    # RTA_OIF 3
             0800 0500 0a0000fe                    # RTA_GATEWAY 10.0.0.254
             """),
        Case(name: "ip route add default dev index 3 metric 50",
             message: RouteNetlinkRequest.route(add: true, IPNetwork("0.0.0.0/0")!, index: 3, metric: 50),
             golden: """
             2c000000 1800 0106 00000000 00000000  # len 44
             02 00 00 00 fe 03 fd 01 00000000      # dst /0 (no RTA_DST), scope link: no gateway
             0800 0400 03000000                    # RTA_OIF 3
             0800 0600 32000000                    # RTA_PRIORITY 50
             """),
        Case(name: "ip route del fd00:1::/64 dev index 4",
             message: RouteNetlinkRequest.route(add: false, IPNetwork("fd00:1::/64")!, index: 4),
             golden: """
             38000000 1900 0100 00000000 00000000  # len 56, RTM_DELROUTE, REQUEST
             0a 40 00 00 fe 00 ff 00 00000000      # AF_INET6 /64, main table, scope nowhere: match any
             1400 0100 fd000001000000000000000000000000 # RTA_DST fd00:1::
             0800 0400 04000000                    # RTA_OIF 4
             """),
        Case(name: "ip route get 2001:db8::1",
             message: RouteNetlinkRequest.getRoute(to: IPAddress("2001:db8::1")!),
             golden: """
             30000000 1a00 0100 00000000 00000000  # len 48, RTM_GETROUTE, REQUEST (not a dump)
             0a 80 00 00 00 00 00 00 00000000      # AF_INET6, dst /128, table unspecified
             1400 0100 20010db8000000000000000000000001 # RTA_DST
             """),
    ]

    @Test(arguments: cases)
    func encodes(_ testCase: Case) {
        #expect(hexString(testCase.message.bytes) == hexString(hexBytes(testCase.golden)))
    }
}
