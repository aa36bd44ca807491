import Foundation
import Testing
import ValonKit

/// `valonctl peer …` run as a process against a real etcd and a real wireguard-go
/// interface; etcdctl and `wg show dump` check what it left behind.
@Suite("valonctl peer commands", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ValonctlPeerRootTests {
    @Test("peer add allocates, registers in etcd, adds to the interface and prints the client's configuration")
    func addText() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let key = try newPublicKey()
        let result = try node.valonctl(["peer", "add", key.base64, "--alias", "client01"])
        #expect(result.status == 0, "\(result.stderr)")
        let discoveryKey = try node.discoveryPrivateKey.publicKey()
        let expectedWG = """
            [Interface]
            Address = 100.100.0.2/24
            PrivateKey = <INSERT_YOUR_PRIVATE_KEY_HERE>
            MTU = 1420

            [Peer]
            # Discovery Role
            PublicKey = \(discoveryKey.base64)
            Endpoint = 192.168.1.100:51820
            AllowedIPs = 100.100.0.1/32
            PersistentKeepalive = 25

            """
        #expect(result.stdout.contains("  Allocated IP: 100.100.0.2\n"))
        #expect(result.stdout.contains("✓ Successfully added peer \(key.base64) (alias: client01, IP: 100.100.0.2)"))
        #expect(result.stdout.contains("Save this as /etc/wireguard/\(node.interface).conf on the client:\n\n" + expectedWG))
        #expect(result.stdout.contains("DISCOVERY_PUBKEY=\(discoveryKey.base64)\n"))
        #expect(result.stdout.contains("OWN_WG_IP=100.100.0.2\nOWN_ALIAS=client01\n"))
        #expect(!result.stdout.contains(node.discoveryPrivateKey.base64))
        #expect(result.stderr.isEmpty)

        // The client.conf printed parses as the client's configuration.
        let conf = try #require(result.stdout.components(separatedBy: "on the client:\n\n").last?
            .components(separatedBy: "==========").first)
        let client = try ClientConfig(parsing: conf, file: "printed")
        #expect(client.discoveryPublicKey == discoveryKey)
        #expect(client.ownWireGuardIP == IPAddress("100.100.0.2"))
        #expect(client.discoveryAllowedIPs == [IPNetwork("100.100.0.1/32")!])
        #expect(client.allowedIPs == [IPNetwork("100.100.0.0/24")!])

        #expect(try node.registry() == [
            "/valon/peers/\(key.base64)/wg_ip": "100.100.0.2",
            "/valon/peers/\(key.base64)/alias": "client01",
            "/valon/aliases/client01": key.base64,
            "/valon/ips/100.100.0.2": key.base64,
        ])
        let dump = try node.wgDump()
        #expect(dump.peers.map(\.publicKey) == [key])
        #expect(dump.peers.first?.allowedIPs == [IPNetwork("100.100.0.2/32")!])
    }

    @Test("peer add --json with --wg-ip, then list, show, export and remove in text and JSON")
    func lifecycle() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let first = try newPublicKey(), second = try newPublicKey()

        let added = try node.valonctl(["peer", "add", first.base64, "--alias", "nas", "--wg-ip", "100.100.0.10", "--json"])
        #expect(added.status == 0, "\(added.stderr)")
        let addJSON = try #require(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any])
        let peerJSON = try #require(addJSON["peer"] as? [String: Any])
        #expect(peerJSON["pubkey"] as? String == first.base64)
        #expect(peerJSON["wg_ip"] as? String == "100.100.0.10")
        #expect(peerJSON["alias"] as? String == "nas")
        #expect(addJSON["allocated"] as? Bool == false)
        #expect(addJSON["interface_updated"] as? Bool == true)
        #expect((addJSON["wireguard_config"] as? String)?.contains("Address = 100.100.0.10/24\n") == true)
        #expect((addJSON["client_conf"] as? String)?.contains("OWN_ALIAS=nas\n") == true)
        #expect(try node.valonctl(["peer", "add", second.base64, "--alias", "laptop"]).status == 0)
        // Endpoints as the DDNS API and the discovery poller write them, one in the
        // original Go code's layout.
        try node.etcd.etcdctl(["put", "/valon/peers/\(second.base64)/lan_endpoint", "192.168.1.50:51820"])
        try node.etcd.etcdctl(["put", "/valon/peers/\(second.base64)/endpoints/nated", "203.0.113.10:40001"])

        // list: text table and JSON.
        let list = try node.valonctl(["peer", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first == ["ALIAS", "PUBKEY", "WG", "IP", "LAN", "NAT", "LAST", "HANDSHAKE", "RELAYED", "WITH"])
        let byAlias = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0) })
        #expect(byAlias["nas"] == ["nas", first.base64, "100.100.0.10", "-", "-", "never", "-"])
        #expect(byAlias["laptop"] == ["laptop", second.base64, "100.100.0.2", "192.168.1.50:51820", "203.0.113.10:40001", "never", "-"])

        let listJSON = try node.valonctl(["peer", "list", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["alias"] as? String }) == ["nas", "laptop"])
        let nas = try #require(entries.first { $0["alias"] as? String == "nas" })
        #expect(nas["lan_endpoint"] is NSNull)
        let nasInterface = try #require(nas["interface"] as? [String: Any])
        #expect(nasInterface["allowed_ips"] as? [String] == ["100.100.0.10/32"])
        #expect(nasInterface["last_handshake"] is NSNull)

        // show by alias and by key.
        let show = try node.valonctl(["peer", "show", "nas"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("WireGuard IP:"))
        #expect(show.stdout.contains("100.100.0.10"))
        #expect(show.stdout.contains(first.dnsLabel))
        let showJSON = try node.valonctl(["peer", "show", second.base64, "--json"])
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(showJSON.stdout.utf8)) as? [String: Any])
        #expect(shown["alias"] as? String == "laptop")
        #expect(shown["wg_ip"] as? String == "100.100.0.2")
        #expect(shown["lan_endpoint"] as? String == "192.168.1.50:51820")
        #expect(shown["nat_endpoint"] as? String == "203.0.113.10:40001")

        // export to stdout and to a file: the seed's format.
        let export = try node.valonctl(["peer", "export"])
        #expect(export.status == 0)
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [[String: String]])
        #expect(Set(exported) == [["pubkey": first.base64, "ip": "100.100.0.10", "alias": "nas"],
                                  ["pubkey": second.base64, "ip": "100.100.0.2", "alias": "laptop"]])
        let file = node.directory + "/peers.json"
        #expect(try node.valonctl(["peer", "export", file]).stdout.isEmpty)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == export.stdout)

        // remove by alias (text) and by key (JSON): registry and interface emptied.
        let removed = try node.valonctl(["peer", "remove", "nas"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("✓ Successfully removed peer \(first.base64) (alias: nas, IP: 100.100.0.10)"))
        #expect(try node.wgDump().peers.map(\.publicKey) == [second])
        let removedJSON = try node.valonctl(["peer", "remove", second.base64, "--json"])
        let removal = try #require(try JSONSerialization.jsonObject(with: Data(removedJSON.stdout.utf8)) as? [String: Any])
        #expect(removal["removed_from_interface"] as? Bool == true)
        #expect((removal["removed"] as? [String: String])?["alias"] == "laptop")
        #expect(try node.registry().isEmpty)
        #expect(try node.wgDump().peers.isEmpty)
        let emptyList = try node.valonctl(["peer", "list", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(emptyList.stdout.utf8)) as? [Any])?.isEmpty == true)
    }

    @Test("a damaged record is reported by list and removed by remove")
    func damagedRecord() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let key = try newPublicKey()
        try node.etcd.etcdctl(["put", "/valon/peers/\(key.base64)/alias", "broken"])
        try node.etcd.etcdctl(["put", "/valon/aliases/broken", key.base64])
        let list = try node.valonctl(["peer", "list", "--json"])
        #expect(list.status == 0)
        #expect(list.stderr.contains("warning: peer record \(key.base64): no wg_ip"), "\(list.stderr)")
        let removed = try node.valonctl(["peer", "remove", key.base64, "--json"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(removed.stdout.utf8)) as? [String: Any])
        #expect(json["removed"] is NSNull)
        #expect(json["name"] as? String == key.base64)
        #expect(try node.registry()["/valon/peers/\(key.base64)/alias"] == nil)
    }

    @Test("20 valonctl peer add processes started at once get 20 distinct addresses")
    func concurrentAdds() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let keys = try (0..<20).map { _ in try newPublicKey() }
        let results = try await withThrowingTaskGroup(of: (Int, Command.Result).self) { group in
            for (index, key) in keys.enumerated() {
                group.addTask {
                    (index, try node.valonctl(["peer", "add", key.base64, "--alias", "c\(index)", "--json"]))
                }
            }
            var results: [Int: Command.Result] = [:]
            for try await (index, result) in group { results[index] = result }
            return results
        }
        var addresses: [String: String] = [:]
        for (index, result) in results {
            #expect(result.status == 0, "c\(index): \(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let peer = try #require(json["peer"] as? [String: Any])
            addresses["c\(index)"] = peer["wg_ip"] as? String
        }
        #expect(Set(addresses.values).count == 20)
        #expect(Set(addresses.values) == Set((2...21).map { "100.100.0.\($0)" }))
        let stored = try node.registry()
        for (index, key) in keys.enumerated() {
            let address = try #require(addresses["c\(index)"])
            #expect(stored["/valon/aliases/c\(index)"] == key.base64)
            #expect(stored["/valon/ips/\(address)"] == key.base64)
            #expect(stored["/valon/peers/\(key.base64)/wg_ip"] == address)
        }
        let dump = try node.wgDump()
        #expect(Set(dump.peers.map(\.publicKey)) == Set(keys))
        for peer in dump.peers {
            let index = try #require(keys.firstIndex(of: peer.publicKey))
            #expect(peer.allowedIPs.map(\.description) == ["\(addresses["c\(index)"]!)/32"])
        }
    }

    @Test("a valonctl.yml in the seed's example form works unchanged")
    func seedExampleConfig() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        // configs/valonctl.yml.example of the original, with this test's interface and etcd.
        let text = """
            wireguard:
              interface: \(node.interface)
              ip: 100.100.0.1
              endpoint: 192.168.1.100:51820  # Discovery Role の LAN IP
              network: 100.100.0.0/24        # IP 自動割り当て範囲

            etcd:
              endpoints:
                - \(node.etcd.clientURLs[0])

            ddns:
              api_url: http://100.100.0.1:8053

            """
        let path = node.directory + "/seed.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let key = try newPublicKey()
        let result = try ValonctlRunner.run(["peer", "add", key.base64, "--alias", "client01", "--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("DISCOVERY_API=http://100.100.0.1:8053\n"))
        #expect(result.stdout.contains("DNS_ZONE=valon.internal\n"))
        #expect(try node.registry()["/valon/aliases/client01"] == key.base64)
    }
}
