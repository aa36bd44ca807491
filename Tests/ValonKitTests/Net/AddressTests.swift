import Testing
@testable import ValonKit

@Suite("IP addresses, networks and endpoints")
struct AddressTests {
    @Test("IPv4 parsing", arguments: [
        ("100.100.0.2", true), ("0.0.0.0", true), ("255.255.255.255", true),
        ("256.0.0.1", false), ("1.2.3", false), ("1.2.3.4.5", false), ("01.2.3.4", false),
        ("1..2.3", false), ("", false), ("a.b.c.d", false), (" 1.2.3.4", false), ("1.2.3.4 ", false),
    ])
    func ipv4(_ text: String, _ valid: Bool) {
        #expect((IPv4Address(text) != nil) == valid)
        if valid { #expect(IPv4Address(text)!.description == text) }
    }

    @Test("IPv6 parsing and RFC 5952 canonical form", arguments: [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"), ("::1", "::1"), ("fe80::", "fe80::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // one zero group is not shortened
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run wins
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // the first of equal runs wins
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ])
    func ipv6(_ text: String, _ canonical: String) {
        #expect(IPv6Address(text)?.description == canonical)
    }

    @Test("invalid IPv6 is refused", arguments: [
        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", ":1:2:3:4:5:6:7", "fe80::1%eth0", "1.2.3.4",
    ])
    func badIPv6(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test("networks: containment, network and last address")
    func networks() throws {
        let network = try #require(IPNetwork("100.100.0.0/24"))
        #expect(network.contains(IPAddress("100.100.0.254")!))
        #expect(!network.contains(IPAddress("100.100.1.1")!))
        #expect(!network.contains(IPAddress("::1")!))
        #expect(network.networkAddress.description == "100.100.0.0")
        #expect(network.lastAddress.description == "100.100.0.255")
        let odd = try #require(IPNetwork("10.1.2.3/20"))
        #expect(odd.canonical.description == "10.1.0.0/20")
        #expect(odd.lastAddress.description == "10.1.15.255")
        #expect(IPNetwork("fd00::5/64")!.canonical.description == "fd00::/64")
        #expect(IPNetwork("fd00::/64")!.contains(IPAddress("fd00::ffff")!))
        #expect(IPNetwork("1.2.3.4")!.prefixLength == 32)
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        for bad in ["1.2.3.4/33", "::/129", "1.2.3.4/", "1.2.3.4/-1", "x/8", "1.2.3.4/08x"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test("endpoints", arguments: [
        ("192.168.1.50:51820", "192.168.1.50:51820"),
        ("[2001:db8::1]:51820", "[2001:db8::1]:51820"),
        ("[2001:DB8:0::1]:1", "[2001:db8::1]:1"),
    ])
    func endpoints(_ text: String, _ canonical: String) {
        #expect(Endpoint(text)?.description == canonical)
    }

    @Test("invalid endpoints are refused", arguments: [
        "192.168.1.50", "192.168.1.50:0", "192.168.1.50:65536", "host.example:51820", "2001:db8::1:51820",
        "[2001:db8::1]", "[2001:db8::1]51820", ":51820", "1.2.3.4:+5", "[1.2.3.4]:5",
    ])
    func badEndpoints(_ text: String) {
        #expect(Endpoint(text) == nil)
    }

    @Test("a host network is a /32 or a /128", arguments: [
        ("100.100.0.2", "100.100.0.2/32"), ("0.0.0.0", "0.0.0.0/32"), ("fd00:100::2", "fd00:100::2/128"), ("::", "::/128"),
    ])
    func hostNetworks(_ address: String, _ network: String) {
        let host = IPNetwork.host(IPAddress(address)!)
        #expect(host == IPNetwork(network)!)
        #expect(host == IPNetwork(address)!)
        #expect(host.contains(IPAddress(address)!))
    }
}
