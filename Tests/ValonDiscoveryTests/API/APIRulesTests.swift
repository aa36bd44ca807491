import Testing
@testable import ValonDiscovery
import ValonKit

/// The DDNS API's pure rules: endpoint validation (422), body decoding (400), the
/// per-peer token bucket (429) and the status each refusal maps to (docs/ARCHITECTURE.md §7).
@Suite struct APIRulesTests {
    static let tunnel = [IPNetwork("100.100.0.0/24")!]

    @Test(arguments: [
        ("192.168.1.50:51820", true),
        ("[2001:db8::1]:51820", true),
        ("203.0.113.10:1", true),
        ("192.168.1.50", false),            // no port
        ("192.168.1.50:0", false),          // port 0
        ("192.168.1.50:65536", false),      // port out of range
        ("host.example:51820", false),      // names are refused
        ("0.0.0.0:51820", false),           // unspecified
        ("127.0.0.1:51820", false),         // loopback
        ("224.0.0.1:51820", false),         // multicast
        ("255.255.255.255:51820", false),   // broadcast
        ("[::1]:51820", false),             // loopback
        ("[::]:51820", false),              // unspecified
        ("[ff02::1]:51820", false),         // multicast
        ("100.100.0.7:51820", false),       // inside the WireGuard network
        ("", false),
    ])
    func endpointRule(text: String, accepted: Bool) {
        let result = Result { () throws(DDNSError) in try DDNSEndpointRule.validate(text, tunnelNetworks: Self.tunnel) }
        switch result {
        case .success(let endpoint): #expect(accepted, "accepted \(endpoint)")
        case .failure(let error):
            #expect(!accepted, "refused: \(error)")
            #expect(error.code == .invalidEndpoint)
            #expect(error.status.code == 422)
        }
    }

    /// The original client's offline markers clear; everything else is an endpoint or 422.
    @Test(arguments: [
        ("", "clear"),
        ("0.0.0.0:0", "clear"),
        ("192.168.1.50:51820", "set 192.168.1.50:51820"),
        ("0.0.0.0:51820", "422"),
        ("0.0.0.0", "422"),
        ("0.0.0.0:00", "422"),
        ("[::]:0", "422"),
        (" ", "422"),
        ("0.0.0.0:0 ", "422"),
        ("192.168.1.50:0", "422"),
    ])
    func offlineMarkers(text: String, expected: String) {
        let result = Result { () throws(DDNSError) in try DDNSEndpointRule.update(text, tunnelNetworks: Self.tunnel) }
        switch result {
        case .success(.clear(let marker)):
            #expect(expected == "clear")
            #expect(marker == text)
        case .success(.set(let endpoint)):
            #expect(expected == "set \(endpoint)")
        case .failure(let error):
            #expect(expected == "422", "\(error)")
            #expect(error.status.code == 422)
        }
    }

    @Test(arguments: [
        (#"{"pubkey":"k","lan_endpoint":"1.2.3.4:5","alias":"a"}"#, nil),
        (#"{"pubkey":"k","lan_endpoint":"1.2.3.4:5"}"#, nil),
        (#"{"pubkey":"k","lan_endpoint":"1.2.3.4:5","extra":1}"#, nil),
        (#"{"pubkey":"k"}"#, "lan_endpoint"),
        (#"{"pubkey":5,"lan_endpoint":"1.2.3.4:5"}"#, "pubkey"),
        (#"{"pubkey":null,"lan_endpoint":"1.2.3.4:5"}"#, "pubkey"),
        (#"{"pubkey":"k","lan_endpoint":"1.2.3.4:5""#, "not a JSON object"),
        (#"["pubkey"]"#, "wrong type"),
        ("", "no body"),
    ] as [(String, String?)])
    func bodyDecoding(body: String, refusalMentions: String?) {
        let result = Result { () throws(DDNSError) in try DDNSBodyDecoder.decode(EndpointUpdateBody.self, from: Array(body.utf8)) }
        switch result {
        case .success(let decoded):
            #expect(refusalMentions == nil)
            #expect(decoded.pubkey == "k" && decoded.lanEndpoint == "1.2.3.4:5")
        case .failure(let error):
            #expect(error.code == .malformedRequest)
            #expect(error.status.code == 400)
            #expect(error.message.contains(refusalMentions ?? "<accepted>"), "\(error.message)")
        }
    }

    @Test func tokenBucketRefusesPastTheBurstAndRefills() {
        let limiter = TokenBucketLimiter(requestsPerSecond: 2)  // burst 4
        let start = ContinuousClock.now
        let peer = IPAddress("100.100.0.2")!, other = IPAddress("100.100.0.3")!
        let first = (0..<6).map { _ in limiter.allow(peer, now: start) }
        #expect(first == [true, true, true, true, false, false])
        #expect(limiter.allow(other, now: start), "each peer has its own bucket")
        #expect(!limiter.allow(peer, now: start + .milliseconds(400)), "0.8 tokens is not a whole one")
        #expect(limiter.allow(peer, now: start + .milliseconds(500)), "one token back after half a second at 2/s")
        #expect(!limiter.allow(peer, now: start + .milliseconds(500)))
        let later = start + .seconds(60)
        #expect((0..<5).map { _ in limiter.allow(peer, now: later) } == [true, true, true, true, false],
                "an idle peer saves up the burst, no more")
    }

    @Test(arguments: [
        (DDNSError.Code.malformedRequest, 400), (.bodyTooLarge, 413), (.unknownKey, 404), (.forbidden, 403),
        (.invalidEndpoint, 422), (.tooManyRequests, 429), (.unavailable, 503), (.conflict, 409),
    ])
    func statuses(code: DDNSError.Code, status: Int) {
        #expect(DDNSError(code, "x").status.code == status)
    }

    @Test func registryFailuresMapToStatuses() {
        let etcdDown = DDNSError(registry: RegistryError(.etcd, "read"), "look up")
        #expect(etcdDown.code == .unavailable)
        #expect(DDNSReply.response(for: etcdDown).headers[.retryAfter] == String(DDNSLimits.retryAfterSeconds))
        #expect(DDNSError(registry: RegistryError(.peerNotFound, "gone"), "set").code == .unknownKey)
        #expect(DDNSError(registry: RegistryError(.conflict, "busy"), "set").code == .conflict)
    }
}
