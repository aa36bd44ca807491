import Testing
@testable import ValonKit

@Suite("valonctl.yml")
struct ValonctlConfigTests {
    /// The original's valonctl.yml.example, unchanged.
    static let seedExample = """
    wireguard:
      interface: wg0
      ip: 100.100.0.1
      endpoint: 192.168.1.100:51820  # Discovery Role の LAN IP
      network: 100.100.0.0/24        # IP 自動割り当て範囲

    etcd:
      endpoints:
        - http://127.0.0.1:2379

    ddns:
      api_url: http://100.100.0.1:8053
    """

    @Test("the original example works unchanged")
    func seedExample() throws {
        let config = try ValonctlConfig(parsing: Self.seedExample, file: "valonctl.yml")
        #expect(config.interface == "wg0")
        #expect(config.discoveryIP == IPAddress("100.100.0.1"))
        #expect(config.discoveryEndpoint == HostPort(host: "192.168.1.100", port: 51820))
        #expect(config.network == IPNetwork("100.100.0.0/24"))
        #expect(config.dnsZone == "valon.internal")
        #expect(config.etcd.endpoints == ["http://127.0.0.1:2379"])
        #expect(config.etcd.prefix == "/valon/")
        #expect(config.apiURL == "http://100.100.0.1:8053")
    }

    @Test("TLS and authentication settings")
    func tlsAndAuth() throws {
        let etcd = [
            "    - https://10.0.0.5:2379",
            "    - https://10.0.0.6:2379",
            "  tls:",
            "    ca_cert: /etc/valon/ca.pem",
            "    client_cert: /etc/valon/client.pem",
            "    client_key: /etc/valon/client-key.pem",
            "  username: valon",
            "  password: secret",
        ].joined(separator: "\n")
        let text = Self.seedExample.replacingOccurrences(of: "    - http://127.0.0.1:2379", with: etcd)
        let config = try ValonctlConfig(parsing: text, file: "v.yml")
        #expect(config.etcd.endpoints == ["https://10.0.0.5:2379", "https://10.0.0.6:2379"])
        #expect(config.etcd.caCertificate == "/etc/valon/ca.pem")
        #expect(config.etcd.clientKey == "/etc/valon/client-key.pem")
        #expect(config.etcd.username == "valon")
        #expect(config.etcd.password == "secret")
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var from: String
        var to: String
        var code: ConfigError.Code
        var key: String
        var line: Int?
        var testDescription: String { "\(key): \(to)" }
    }

    @Test("errors name the key and the line", arguments: [
        Bad(from: "network: 100.100.0.0/24", to: "network: 100.100.0.0/33", code: .invalidValue, key: "wireguard.network", line: 5),
        Bad(from: "ip: 100.100.0.1", to: "ip: 10.0.0.1", code: .invalidValue, key: "wireguard.ip", line: 3),
        Bad(from: "ip: 100.100.0.1", to: "ipp: 100.100.0.1", code: .unknownKey, key: "wireguard.ipp", line: 3),
        Bad(from: "  endpoint: 192.168.1.100:51820", to: "  endpoint: 192.168.1.100", code: .invalidValue, key: "wireguard.endpoint", line: 4),
        Bad(from: "- http://127.0.0.1:2379", to: "- 127.0.0.1:2379", code: .invalidValue, key: "etcd.endpoints", line: 9),
        Bad(from: "interface: wg0", to: "interface: wg0/evil", code: .invalidValue, key: "wireguard.interface", line: 2),
        Bad(from: "api_url: http://100.100.0.1:8053", to: "api_url: nope", code: .invalidValue, key: "ddns.api_url", line: 12),
    ])
    func errors(_ bad: Bad) {
        let text = Self.seedExample.replacingOccurrences(of: bad.from, with: bad.to)
        do {
            _ = try ValonctlConfig(parsing: text, file: "valonctl.yml")
            Issue.record("accepted")
        } catch {
            #expect(error.code == bad.code)
            #expect(error.key == bad.key)
            #expect(error.line == bad.line)
            #expect(error.description.hasPrefix("valonctl.yml:"))
        }
    }

    @Test("missing keys and broken YAML")
    func missingAndBroken() {
        #expect(throws: ConfigError.self) { try ValonctlConfig(parsing: "wireguard:\n  interface: wg0\n", file: "v") }
        do {
            _ = try ValonctlConfig(parsing: "wireguard:\n  ip: [unclosed\n", file: "v.yml")
            Issue.record("accepted")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.line != nil)
        }
    }
}
