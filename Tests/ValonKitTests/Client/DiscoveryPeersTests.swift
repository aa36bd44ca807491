import Testing
import ValonKit

/// The other discovery nodes as the client's WireGuard peers (docs/ARCHITECTURE.md §11), and
/// `DISCOVERY_FALLBACKS` in client.conf.
@Suite("discovery node peers and fallbacks")
struct DiscoveryPeersTests {
    static let configured = try! WireGuardKey(bytes: [UInt8](repeating: 1, count: 32))
    static let two = try! WireGuardKey(bytes: [UInt8](repeating: 2, count: 32))
    static let three = try! WireGuardKey(bytes: [UInt8](repeating: 3, count: 32))
    static let me = try! WireGuardKey(bytes: [UInt8](repeating: 9, count: 32))
    static let nodeTwo = DiscoveryPeers.Node(publicKey: two, wgIP: IPAddress("100.100.0.2")!, endpoint: Endpoint("203.0.113.2:51820"))
    static let skip: Set<WireGuardKey> = [configured, me]

    static func update(_ device: [WireGuardPeer], wanted: [DiscoveryPeers.Node], learned: Set<WireGuardKey> = [], now: Int64 = 1000) -> [WireGuardPeer] {
        DiscoveryPeers.update(device: WireGuardDevice(name: "wg0", peers: device), wanted: wanted, learnedBefore: learned, skip: skip, now: now)
    }

    @Test("a new node is added with its /32, endpoint and keepalive 25; the configured node and the own key are never touched")
    func adds() {
        let updates = Self.update([], wanted: [Self.nodeTwo, .init(publicKey: Self.configured, wgIP: IPAddress("100.100.0.1")!, endpoint: nil),
                                               .init(publicKey: Self.me, wgIP: IPAddress("100.100.0.9")!, endpoint: nil)])
        #expect(updates == [WireGuardPeer(publicKey: Self.two, endpoint: Endpoint("203.0.113.2:51820"), persistentKeepalive: 25,
                                          allowedIPs: [IPNetwork("100.100.0.2/32")!], flags: .replaceAllowedIPs)])
    }

    @Test("a present node is left alone; its endpoint changes only when it has not been heard for 180 s")
    func hysteresis() {
        var present = WireGuardPeer(publicKey: Self.two, endpoint: Endpoint("198.51.100.7:40000"), persistentKeepalive: 25,
                                    allowedIPs: [IPNetwork("100.100.0.2/32")!], lastHandshake: .init(seconds: 990))
        #expect(Self.update([present], wanted: [Self.nodeTwo]).isEmpty, "heard 10 s ago on a roamed endpoint: kept")
        present.lastHandshake = .init(seconds: 700)
        #expect(Self.update([present], wanted: [Self.nodeTwo]).map(\.endpoint) == [Endpoint("203.0.113.2:51820")])
        present.endpoint = Endpoint("203.0.113.2:51820")
        #expect(Self.update([present], wanted: [Self.nodeTwo]).isEmpty, "equal: nothing")
        present.allowedIPs = [IPNetwork("100.100.0.0/24")!]
        #expect(Self.update([present], wanted: [Self.nodeTwo]).map(\.allowedIPs) == [[IPNetwork("100.100.0.2/32")!]])
    }

    @Test("a learned node that left the zone is removed; one still wanted, or never learned, is not")
    func removals() {
        let present = [WireGuardPeer(publicKey: Self.two, persistentKeepalive: 25, allowedIPs: [IPNetwork("100.100.0.2/32")!]),
                       WireGuardPeer(publicKey: Self.three, allowedIPs: [IPNetwork("100.100.0.3/32")!])]
        #expect(Self.update(present, wanted: [], learned: [Self.two]) == [.removal(of: Self.two)])
        #expect(Self.update(present, wanted: [Self.nodeTwo.with(endpoint: nil)], learned: [Self.two, Self.three]) == [.removal(of: Self.three)])
        #expect(Self.update(present, wanted: [], learned: [Self.configured]).isEmpty, "the configured node is bootstrap's")
    }

    static let fallbackLines: [(String, String?)] = [
        ("\(two.base64)@203.0.113.2:51820@100.100.0.2", nil),
        ("\(two.base64)@vpn2.example.net:51820@100.100.0.2,\(three.base64)@[2001:db8::3]:51820@fd00::3", nil),
        ("\(two.base64)@203.0.113.2:51820", "is not pubkey@host:port@wg_ip"),
        ("nokey@203.0.113.2:51820@100.100.0.2", "is not pubkey@host:port@wg_ip"),
        ("\(two.base64)@203.0.113.2:51820@not-an-ip", "is not pubkey@host:port@wg_ip"),
    ]

    @Test("DISCOVERY_FALLBACKS: entries parse, render back, and a bad one names the key and the entry", arguments: fallbackLines)
    func fallbacks(line: String, problem: String?) throws {
        let text = """
            WG_INTERFACE=wg0
            DISCOVERY_PUBKEY=\(Self.configured.base64)
            DISCOVERY_ENDPOINT=203.0.113.1:51820
            OWN_WG_IP=100.100.0.11
            DISCOVERY_FALLBACKS=\(line)
            """
        do {
            let config = try ClientConfig(parsing: text, file: "client.conf")
            #expect(problem == nil)
            #expect(config.discoveryFallbacks.count == line.split(separator: ",").count)
            #expect(config.discoveryFallbacks.first?.publicKey == Self.two && config.discoveryFallbacks.first?.wgIP == IPAddress("100.100.0.2"))
            let again = try ClientConfig(parsing: config.rendered(), file: "rendered")
            #expect(again.discoveryFallbacks == config.discoveryFallbacks)
        } catch {
            let expected = try #require(problem, "unexpected: \(error)")
            #expect("\(error)".contains("DISCOVERY_FALLBACKS") && "\(error)".contains(expected), "\(error)")
        }
    }
}

extension DiscoveryPeers.Node {
    func with(endpoint: Endpoint?) -> Self { .init(publicKey: publicKey, wgIP: wgIP, endpoint: endpoint) }
}
