import Testing
@testable import ValonKit

/// Keys whose base64 forms hold '/' and '+', which the key schema must never split on.
enum TestKeys {
    static let slashes = WireGuardKey.repeating(0xff)   // "/////…/8="
    static let pluses = WireGuardKey.repeating(0xfb)   // "+/v7+/v7…"
    static func random() -> WireGuardKey { WireGuardKey.generatePreshared() }
}

@Suite("Registry: alias, key and endpoint validation")
struct PeerValidationTests {
    @Test("valid aliases", arguments: ["client01", "a", "a-b", "0", "x9-y", String(repeating: "a", count: 63)])
    func valid(alias: String) throws {
        try PeerValidation.alias(alias)
    }

    @Test("invalid aliases say why", arguments: [
        ("", "is empty"),
        (String(repeating: "a", count: 64), "at most 63"),
        ("-a", "starts or ends with '-'"),
        ("a-", "starts or ends with '-'"),
        ("lan", "reserved"),
        ("nated", "reserved"),
        ("discovery", "reserved"),
        ("_wireguard", "starts with '_'"),
        ("Client", "uppercase"),
        ("a.b", "the character \".\""),
        ("a_b", "the character \"_\""),
        ("é", "only a-z"),
        (TestKeys.slashes.dnsLabel, "key label"),
    ])
    func invalid(alias: String, reason: String) {
        let error = #expect(throws: RegistryError.self) { try PeerValidation.alias(alias) }
        #expect(error?.code == .invalidAlias)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test("keys are base64 of exactly 32 bytes")
    func keys() throws {
        #expect(try PeerValidation.key(TestKeys.slashes.base64) == TestKeys.slashes)
        for bad in ["", "abc", String(TestKeys.slashes.base64.dropLast()), "A" + TestKeys.slashes.base64,
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="] {
            #expect(throws: RegistryError.self) { try PeerValidation.key(bad) }
        }
    }

    @Test("endpoints", arguments: [("192.168.1.50:51820", true), ("[2001:db8::1]:51820", true), ("2001:db8::1:51820", false),
                                   ("host:51820", false), ("1.2.3.4:0", false), ("1.2.3.4", false), ("1.2.3.4:65536", false)])
    func endpoints(text: String, valid: Bool) {
        if valid {
            #expect((try? PeerValidation.endpoint(text))?.description == text)
        } else {
            let error = #expect(throws: RegistryError.self) { try PeerValidation.endpoint(text) }
            #expect(error?.code == .invalidEndpoint)
        }
    }
}

@Suite("Registry: the etcd key schema")
struct RegistryKeysTests {
    @Test("peer keys are the prefix, 44 characters and a field, never split on '/'", arguments: [
        ("/valon/peers/\(TestKeys.slashes.base64)/wg_ip", "/valon/", TestKeys.slashes.base64, "wg_ip"),
        ("/valon/peers/\(TestKeys.pluses.base64)/alias", "/valon/", TestKeys.pluses.base64, "alias"),
        ("/valon/peers/\(TestKeys.slashes.base64)/endpoints/lan", "/valon/", TestKeys.slashes.base64, "endpoints/lan"),
        ("/other/peers/\(TestKeys.pluses.base64)/nat_endpoint", "/other", TestKeys.pluses.base64, "nat_endpoint"),
    ])
    func parse(etcdKey: String, prefix: String, key: String, field: String) throws {
        let parsed = try #require(RegistryKeys(prefix: prefix).parsePeerKey(Array(etcdKey.utf8)))
        #expect(parsed.key == Substring(key))
        #expect(parsed.field == Substring(field))
    }

    @Test("other keys are not peer keys", arguments: [
        "/valon/peers/short/wg_ip",
        "/valon/peers/\(TestKeys.slashes.base64)",
        "/valon/peers/\(TestKeys.slashes.base64)/",
        "/valon/peers/\(TestKeys.slashes.base64)xwg_ip",
        "/valon/aliases/client01",
        "/valonx/peers/\(TestKeys.slashes.base64)/wg_ip",
    ])
    func notPeerKeys(etcdKey: String) {
        #expect(RegistryKeys().parsePeerKey(Array(etcdKey.utf8)) == nil)
    }

    @Test("the keys written for a peer")
    func written() {
        let keys = RegistryKeys(prefix: "/valon")
        #expect(keys.field(.wgIP, of: TestKeys.pluses) == "/valon/peers/\(TestKeys.pluses.base64)/wg_ip")
        #expect(keys.field(.lanEndpoint, of: TestKeys.pluses).hasSuffix("/lan_endpoint"))
        #expect(keys.alias("client01") == "/valon/aliases/client01")
        #expect(keys.ip(IPAddress("100.100.0.2")!) == "/valon/ips/100.100.0.2")
    }
}

@Suite("Registry: address allocation")
struct AddressAllocatorTests {
    static func ips(_ texts: [String]) -> Set<IPAddress> { Set(texts.map { IPAddress($0)! }) }

    @Test("the lowest free address", arguments: [
        ("100.100.0.0/24", ["100.100.0.1"], [String](), "100.100.0.2"),
        ("100.100.0.0/24", [], [], "100.100.0.1"),
        ("100.100.0.0/24", ["100.100.0.1"], ["100.100.0.2", "100.100.0.3", "100.100.0.5"], "100.100.0.4"),
        ("100.100.0.77/24", ["100.100.0.1"], [], "100.100.0.2"),
        ("10.0.0.0/30", ["10.0.0.1"], [], "10.0.0.2"),
        ("10.0.1.0/23", [], (1...255).map { "10.0.0.\($0)" }, "10.0.1.0"),
        ("fd00::/120", ["fd00::1"], ["fd00::2"], "fd00::3"),
    ])
    func lowest(network: String, reserved: [String], taken: [String], expected: String) {
        let allocator = AddressAllocator(network: IPNetwork(network)!, reserved: Self.ips(reserved))
        #expect(allocator.lowestFree(taken: Self.ips(taken)) == IPAddress(expected))
    }

    @Test("a full network has no free address; the broadcast address is never given")
    func full() {
        let allocator = AddressAllocator(network: IPNetwork("10.0.0.0/30")!, reserved: Self.ips(["10.0.0.1"]))
        #expect(allocator.lowestFree(taken: Self.ips(["10.0.0.2"])) == nil)
        let wide = AddressAllocator(network: IPNetwork("10.0.0.0/24")!)
        #expect(wide.lowestFree(taken: Set((1...254).map { IPAddress("10.0.0.\($0)")! })) == nil)
    }

    @Test("requested addresses are checked", arguments: [
        ("100.100.0.10", nil), ("100.100.1.10", "outside"), ("100.100.0.0", "network address"),
        ("100.100.0.255", "broadcast"), ("100.100.0.1", "discovery"), ("fd00::1", "outside"),
    ])
    func requested(address: String, problem: String?) {
        let allocator = AddressAllocator(network: IPNetwork("100.100.0.0/24")!, reserved: Self.ips(["100.100.0.1"]))
        if let problem {
            let error = #expect(throws: RegistryError.self) { try allocator.validate(IPAddress(address)!) }
            #expect(error?.code == .invalidAddress)
            #expect(error?.message.contains(problem) == true)
        } else {
            #expect(throws: Never.self) { try allocator.validate(IPAddress(address)!) }
        }
    }
}

@Suite("Registry: reading peer records")
struct PeerRecordsTests {
    static func kv(_ key: String, _ value: String) -> EtcdKeyValue {
        EtcdKeyValue(key: Array(key.utf8), value: Array(value.utf8))
    }

    @Test("the original layout (endpoints/lan, endpoints/nated) is read; documented names win")
    func originalLayout() {
        let a = TestKeys.slashes.base64, b = TestKeys.pluses.base64
        let kvs = [
            Self.kv("/valon/peers/\(a)/alias", "old"),
            Self.kv("/valon/peers/\(a)/endpoints/lan", "192.168.1.50:51820"),
            Self.kv("/valon/peers/\(a)/endpoints/nated", "203.0.113.10:51820"),
            Self.kv("/valon/peers/\(a)/wg_ip", "100.100.0.2"),
            Self.kv("/valon/peers/\(b)/alias", "new"),
            Self.kv("/valon/peers/\(b)/endpoints/lan", "192.168.1.51:1"),
            Self.kv("/valon/peers/\(b)/lan_endpoint", "192.168.1.52:2"),
            Self.kv("/valon/peers/\(b)/wg_ip", "100.100.0.3"),
        ]
        let (peers, problems) = PeerRecords.peers(from: kvs, keys: RegistryKeys())
        #expect(problems.isEmpty)
        #expect(peers == [
            Peer(publicKey: TestKeys.slashes, alias: "old", wgIP: IPAddress("100.100.0.2")!,
                 lanEndpoint: Endpoint("192.168.1.50:51820"), natEndpoint: Endpoint("203.0.113.10:51820")),
            Peer(publicKey: TestKeys.pluses, alias: "new", wgIP: IPAddress("100.100.0.3")!, lanEndpoint: Endpoint("192.168.1.52:2")),
        ])
    }

    @Test("damaged records are reported, not silently dropped")
    func damaged() {
        let a = TestKeys.slashes.base64, b = TestKeys.pluses.base64
        let kvs = [
            Self.kv("/valon/peers/\(a)/alias", "noip"),
            Self.kv("/valon/peers/\(b)/alias", "badendpoint"),
            Self.kv("/valon/peers/\(b)/nat_endpoint", "nowhere"),
            Self.kv("/valon/peers/\(b)/wg_ip", "100.100.0.3"),
            Self.kv("/valon/peers/\(String(repeating: "!", count: 44))/wg_ip", "100.100.0.4"),
        ]
        let (peers, problems) = PeerRecords.peers(from: kvs, keys: RegistryKeys())
        #expect(peers.map(\.alias) == ["badendpoint"])
        #expect(peers.first?.natEndpoint == nil)
        #expect(problems.count == 3)
        #expect(problems.allSatisfy { $0.code == .invalidRecord })
        #expect(problems.contains { $0.message.contains("no wg_ip") && $0.holder == a })
        #expect(problems.contains { $0.message.contains("\"nowhere\"") })
        #expect(problems.contains { $0.message.contains("not base64") })
    }
}
