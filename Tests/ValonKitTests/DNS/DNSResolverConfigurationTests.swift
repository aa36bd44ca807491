import Testing
import ValonKit

/// How a DNS server is written on a command line (`dns-browse SERVER[:PORT] ZONE`).
@Suite struct DNSResolverConfigurationTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1:53"),
        ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("::1", "[::1]:53"),
        ("2001:db8::53", "[2001:db8::53]:53"),
        ("[::1]:5300", "[::1]:5300"),
        ("[::1]", "[::1]:53"),
        ("[2001:db8::53]:53", "[2001:db8::53]:53"),
    ])
    func serversParse(text: String, endpoint: String) {
        #expect(Endpoint(dnsServer: text)?.description == endpoint)
    }

    @Test(arguments: ["", "ns1.example.com", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "[127.0.0.1]", "[::1", "::1:53:x", "1.2.3"])
    func nonServersAreRefused(text: String) {
        #expect(Endpoint(dnsServer: text) == nil)
    }

    @Test func defaultsFollowCommonPractice() throws {
        let configuration = DNSResolver.Configuration(server: try #require(Endpoint(dnsServer: "192.0.2.53")))
        #expect(configuration.server.port == 53)
        #expect(configuration.ednsPayloadSize == 1232)
        #expect(configuration.transport == .udp)
        #expect(configuration.attempts >= 1)
    }
}
