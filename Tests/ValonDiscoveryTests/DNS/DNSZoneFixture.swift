import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The registry every responder test answers from: three peers at revision 7.
///
///     client01  100.100.0.2  lan 192.168.1.50:51820    nat 203.0.113.10:40000
///     laptop    100.100.0.3  lan —                      nat [2001:db8::5]:51820
///     bare      100.100.0.4  no endpoints
///
/// Expectations write key labels as `{k1}`, `{k2}`, `{k3}` and base64 keys as `{b1}` …
enum DNSZoneFixture {
    static let keys = (1...3).map { WireGuardKey.repeating(UInt8($0)) }

    static let peers = [
        Peer(publicKey: keys[0], alias: "client01", wgIP: IPAddress("100.100.0.2")!,
             lanEndpoint: Endpoint("192.168.1.50:51820"), natEndpoint: Endpoint("203.0.113.10:40000")),
        Peer(publicKey: keys[1], alias: "laptop", wgIP: IPAddress("100.100.0.3")!,
             natEndpoint: Endpoint("[2001:db8::5]:51820")),
        Peer(publicKey: keys[2], alias: "bare", wgIP: IPAddress("100.100.0.4")!),
    ]

    static let snapshot = RegistrySnapshot(peers: peers, revision: 7)

    static let zone = DNSZone(name: try! DNSName("valon.internal"), ttl: 2,
                              discoveryAddresses: [IPAddress("100.100.0.1")!, IPAddress("fd00::1")!])

    /// `text` with `{k1}`… replaced by the key labels and `{b1}`… by the base64 keys.
    static func expand(_ text: String) -> String {
        var result = text
        for (index, key) in keys.enumerated() {
            result = result.replacingOccurrences(of: "{k\(index + 1)}", with: key.dnsLabel)
                .replacingOccurrences(of: "{b\(index + 1)}", with: key.base64)
        }
        return result
    }

    static let soa = "valon.internal. 2 IN SOA discovery.valon.internal. hostmaster.valon.internal. 7 60 10 3600 2"
}
