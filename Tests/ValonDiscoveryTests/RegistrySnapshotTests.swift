import Testing
import ValonKit
@testable import ValonDiscovery

@Suite("registry snapshot")
struct RegistrySnapshotTests {
    static func peer(_ alias: String, _ ip: String) -> Peer {
        Peer(publicKey: try! WireGuardKey.generatePrivate().publicKey(), alias: alias, wgIP: IPAddress(ip)!)
    }

    @Test("lookups by alias, key label, address and key")
    func lookups() {
        let a = Self.peer("client01", "100.100.0.2"), b = Self.peer("Laptop", "100.100.0.3")
        let snapshot = RegistrySnapshot(peers: [a, b], revision: 42)
        #expect(snapshot.peer(named: "client01") == a)
        #expect(snapshot.peer(named: "CLIENT01") == a)
        #expect(snapshot.peer(named: "laptop") == b)
        #expect(snapshot.peer(named: a.publicKey.dnsLabel) == a)
        #expect(snapshot.peer(named: b.publicKey.dnsLabel.uppercased()) == b)
        #expect(snapshot.peer(named: "nobody") == nil)
        #expect(snapshot.peer(address: IPAddress("100.100.0.3")!) == b)
        #expect(snapshot.peer(address: IPAddress("100.100.0.9")!) == nil)
        #expect(snapshot.peer(key: a.publicKey) == a)
        #expect(snapshot.serial == 42)
    }

    @Test("the serial is the revision reduced to 32 bits")
    func serialWraps() {
        #expect(RegistrySnapshot(peers: [], revision: (1 << 32) + 7).serial == 7)
    }

    @Test("a key label wins over an alias that spells another peer's label")
    func labelWins() {
        let a = Self.peer("client01", "100.100.0.2")
        let impostor = Self.peer(a.publicKey.dnsLabel, "100.100.0.3")
        let snapshot = RegistrySnapshot(peers: [impostor, a], revision: 1)
        #expect(snapshot.peer(named: a.publicKey.dnsLabel) == a)
    }
}
