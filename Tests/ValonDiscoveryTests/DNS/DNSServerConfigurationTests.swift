import Testing
import ValonDiscovery
import ValonKit

/// The DNS server's configuration from the discovery node's YAML file.
@Suite("DNS server configuration from DiscoveryConfig")
struct DNSServerConfigurationTests {
    @Test("zone, TTL, binds, port, upstreams and transfer networks carry over; forwarding turns RA on")
    func fromYAML() throws {
        let config = try DiscoveryConfig(parsing: """
            zone: Mesh.Example
            bind: [100.100.0.1, 127.0.0.1]
            port: 5353
            cache: 30
            forward: [9.9.9.9, "1.1.1.1:5300"]
            axfr_allow: [10.0.0.0/8]
            """, file: "discovery.yml")
        let configuration = try DNSServer.Configuration(config, discoveryAddresses: [IPAddress("100.100.0.1")!],
                                                        extraTransferNetworks: [IPNetwork("100.100.0.0/24")!])
        #expect(configuration.zone.name == (try DNSName("mesh.example")))
        #expect(configuration.zone.ttl == 30)
        #expect(configuration.bindAddresses == [IPAddress("100.100.0.1")!, IPAddress("127.0.0.1")!])
        #expect(configuration.port == 5353)
        #expect(configuration.forwarders == [Endpoint("9.9.9.9:53")!, Endpoint("1.1.1.1:5300")!])
        #expect(configuration.zone.forwarding)
        #expect(configuration.zone.axfrAllow == [IPNetwork("10.0.0.0/8")!, IPNetwork("100.100.0.0/24")!])
        #expect(configuration.zone.discoveryAddresses == [IPAddress("100.100.0.1")!])
    }

    @Test("defaults: TTL 2, port 53, loopback may transfer, no forwarding")
    func defaults() throws {
        let configuration = try DNSServer.Configuration(DiscoveryConfig(), discoveryAddresses: [])
        #expect(configuration.zone.ttl == 2)
        #expect(configuration.port == 53)
        #expect(!configuration.zone.forwarding)
        #expect(configuration.zone.axfrAllow == [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!])
        #expect(configuration.zone.name == (try DNSName("valon.internal")))
    }
}
