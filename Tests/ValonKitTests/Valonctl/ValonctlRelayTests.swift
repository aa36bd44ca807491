import Foundation
import Testing
import ValonKit
import ValonTestSupport

/// `valonctl relay list` and `relay remove` run as processes against a real etcd; etcdctl
/// checks what they left behind.
@Suite("valonctl relay commands", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ValonctlRelayRootTests {
    @Test("relay list shows each pair by alias in text and JSON; relay remove deletes one pair and its port's claim")
    func listAndRemove() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let keys = try (0..<3).map { _ in try WireGuardKey.generatePrivate().publicKey() }
        for (key, alias) in zip(keys, ["alice", "bob", "carol"]) {
            let added = try node.valonctl(["peer", "add", key.base64, "--alias", alias])
            #expect(added.status == 0, "\(added.stderr)")
        }
        let empty = try node.valonctl(["relay", "list"])
        #expect(empty.status == 0 && empty.stdout == "No relayed pairs.\n", "\(empty.stdout)\(empty.stderr)")

        let registry = PeerRegistry(etcd: try EtcdClient(EtcdConfiguration(endpoints: node.etcd.clientURLs)),
                                    configuration: PeerRegistry.Configuration(network: IPNetwork("100.100.0.0/24")!))
        _ = try await registry.allocateRelay(between: keys[0], and: keys[1], ports: 51821...51830)
        _ = try await registry.allocateRelay(between: keys[2], and: keys[0], ports: 51821...51830)

        let text = try node.valonctl(["relay", "list"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("PORT") == true)
        #expect(lines[1].hasPrefix("51821") && lines[1].contains("alice") && lines[1].contains("bob"), "\(text.stdout)")
        #expect(lines[2].hasPrefix("51822") && lines[2].contains("alice") && lines[2].contains("carol"), "\(text.stdout)")

        let json = try node.valonctl(["relay", "list", "--json"])
        let pairs = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(pairs.map { $0["port"] as? Int } == [51821, 51822])
        #expect(Set(pairs[0].compactMap { $0.key.hasSuffix("_alias") ? $0.value as? String : nil }) == ["alice", "bob"])
        #expect(Set(pairs[1].compactMap { $0.key.hasSuffix("_pubkey") ? $0.value as? String : nil }) == [keys[0].base64, keys[2].base64])

        let removed = try node.valonctl(["relay", "remove", "bob", keys[0].base64])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("port 51821"), "\(removed.stdout)")
        let left = try node.registry()
        #expect(!left.keys.contains { $0.hasPrefix("/valon/relay-ports/51821") })
        #expect(left["/valon/relay-ports/51822"] != nil)
        #expect(left.keys.filter { $0.hasPrefix("/valon/relays/") }.count == 1)

        let again = try node.valonctl(["relay", "remove", "alice", "bob"])
        #expect(again.status == 4, "no relay is notFound: \(again.stderr)")
        #expect(again.stderr.contains("alice and bob have no relay"))
        let unknown = try node.valonctl(["relay", "remove", "alice", "nobody"])
        #expect(unknown.status == 4)
        #expect(unknown.stderr.contains("nobody"))
    }
}
