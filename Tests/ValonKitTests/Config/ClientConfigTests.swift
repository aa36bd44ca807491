import Foundation
import Testing
@testable import ValonKit

@Suite("client.conf")
struct ClientConfigTests {
    static let key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
    /// As the original client scripts' example has it.
    static let example = """
    # VALON client configuration
    WG_INTERFACE=wg0
    DISCOVERY_PUBKEY="\(key)"
    DISCOVERY_ENDPOINT=192.168.1.100:51820
    DISCOVERY_ALLOWED_IPS=100.100.0.1/32
    DISCOVERY_DNS=100.100.0.1
    DISCOVERY_API=http://100.100.0.1:8053
    DNS_ZONE=valon.internal
    OWN_WG_IP=100.100.0.2
    OWN_ALIAS=client01
    WG_PORT=51820
    ALLOWED_IPS=100.100.0.0/24
    """

    @Test("the original example reads as written")
    func example() throws {
        let config = try ClientConfig(parsing: Self.example, file: "client.conf")
        #expect(config.interface == "wg0")
        #expect(config.discoveryPublicKey.base64 == Self.key)
        #expect(config.discoveryEndpoint == HostPort(host: "192.168.1.100", port: 51820))
        #expect(config.discoveryAllowedIPs == [IPNetwork("100.100.0.1/32")!])
        #expect(config.discoveryDNS == HostPort(host: "100.100.0.1", port: 53))
        #expect(config.discoveryAPI == "http://100.100.0.1:8053")
        #expect(config.ownWireGuardIP == IPAddress("100.100.0.2"))
        #expect(config.ownAlias == "client01")
        #expect(config.listenPort == 51820)
        #expect(config.allowedIPs == [IPNetwork("100.100.0.0/24")!])
        #expect(config.privateKeyFile == "/etc/wireguard/wg0.key")
    }

    @Test("defaults follow from the keys given")
    func defaults() throws {
        let text = """
        WG_INTERFACE=valon1
        DISCOVERY_PUBKEY=\(Self.key)
        DISCOVERY_ENDPOINT=discovery.example.net:51820
        DISCOVERY_ALLOWED_IPS=10.9.0.1/32
        OWN_WG_IP=10.9.0.7/24
        """
        let config = try ClientConfig(parsing: text, file: "c")
        #expect(config.discoveryEndpoint == HostPort(host: "discovery.example.net", port: 51820))
        #expect(config.discoveryDNS == HostPort(host: "10.9.0.1", port: 53))
        #expect(config.discoveryAPI == "http://10.9.0.1:8053")
        #expect(config.privateKeyFile == "/etc/wireguard/valon1.key")
        #expect(config.ownWireGuardIP == IPAddress("10.9.0.7"))
        #expect(config.dnsZone == "valon.internal")
    }

    @Test("VALON_* environment variables override the file")
    func environment() throws {
        let config = try ClientConfig(parsing: Self.example, file: "c", environment: [
            "VALON_WG_INTERFACE": "wg9", "VALON_WG_PORT": "51999", "VALON_DISCOVERY_DNS": "100.100.0.1:5353",
            "WG_PORT": "1",  // without the prefix: ignored
        ])
        #expect(config.interface == "wg9")
        #expect(config.listenPort == 51999)
        #expect(config.discoveryDNS == HostPort(host: "100.100.0.1", port: 5353))
        do {
            _ = try ClientConfig(parsing: Self.example, file: "c", environment: ["VALON_WG_PORT": "99999"])
            Issue.record("a bad override was accepted")
        } catch {
            #expect(error.key == "WG_PORT")
            #expect(error.file.contains("VALON_WG_PORT"))
        }
    }

    @Test("bad values name the key and the line", arguments: [
        ("DISCOVERY_PUBKEY=notakey", "DISCOVERY_PUBKEY"),
        ("DISCOVERY_ENDPOINT=nohostport", "DISCOVERY_ENDPOINT"),
        ("OWN_WG_IP=100.100.0.300", "OWN_WG_IP"),
        ("WG_PORT=0", "WG_PORT"),
        ("ALLOWED_IPS=100.100.0.0/24,banana", "ALLOWED_IPS"),
        ("WG_INTERFACE=this-name-is-too-long", "WG_INTERFACE"),
        ("DISCOVERY_API=ftp://x", "DISCOVERY_API"),
        ("DISCOVERY_DNS=dns.example", "DISCOVERY_DNS"),
        ("DNS_ZONE=bad_zone!", "DNS_ZONE"),
    ])
    func badValues(_ replacement: String, _ key: String) {
        var lines = Self.example.split(separator: "\n").map(String.init)
        let index = lines.firstIndex { $0.hasPrefix(key + "=") }!
        lines[index] = replacement
        do {
            _ = try ClientConfig(parsing: lines.joined(separator: "\n"), file: "client.conf")
            Issue.record("accepted \(replacement)")
        } catch {
            #expect(error.code == .invalidValue)
            #expect(error.key == key)
            #expect(error.line == index + 1)
        }
    }

    @Test("missing required keys are named", arguments: ["DISCOVERY_PUBKEY", "DISCOVERY_ENDPOINT", "OWN_WG_IP"])
    func missing(_ key: String) {
        let text = Self.example.split(separator: "\n").filter { !$0.hasPrefix(key + "=") }.joined(separator: "\n")
        do {
            _ = try ClientConfig(parsing: text, file: "client.conf")
            Issue.record("accepted without \(key)")
        } catch {
            #expect(error.code == .missingKey)
            #expect(error.key == key)
        }
    }

    @Test("NOTIFY_PORT: 53530 when absent (the original's files have none), 0 turns NOTIFY off, else the port")
    func notifyPort() throws {
        #expect(try ClientConfig(parsing: Self.example, file: "c").notifyPort == 53530)
        #expect(try ClientConfig(parsing: Self.example + "\nNOTIFY_PORT=0", file: "c").notifyPort == 0)
        #expect(try ClientConfig(parsing: Self.example + "\nNOTIFY_PORT=5353", file: "c").notifyPort == 5353)
        #expect(try ClientConfig(parsing: Self.example, file: "c", environment: ["VALON_NOTIFY_PORT": "0"]).notifyPort == 0)
        for bad in ["NOTIFY_PORT=65536", "NOTIFY_PORT=-1", "NOTIFY_PORT=udp"] {
            do {
                _ = try ClientConfig(parsing: Self.example + "\n" + bad, file: "client.conf")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.key == "NOTIFY_PORT")
                #expect(error.line == 13)
            }
        }
        // Rendered only when it is not the default, so valonctl's output stays as it was.
        var config = try ClientConfig(parsing: Self.example, file: "c")
        #expect(!config.rendered().contains("NOTIFY_PORT"))
        config.notifyPort = 0
        #expect(config.rendered().contains("NOTIFY_PORT=0\n"))
        #expect(try ClientConfig(parsing: config.rendered(), file: "rendered") == config)
    }

    @Test("rendered text reads back to the same configuration")
    func renderRoundTrip() throws {
        var config = try ClientConfig(parsing: Self.example, file: "c")
        config.ownAlias = "odd alias$"
        config.privateKeyFile = "/etc/wire guard/k.key"
        let again = try ClientConfig(parsing: config.rendered(), file: "rendered")
        #expect(again == config)
    }

    @Test("search order: explicit path, then VALON_CONFIG; a missing file is an error naming it")
    func searchOrder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("a.conf").path
        let second = directory.appendingPathComponent("b.conf").path
        try Self.example.write(toFile: first, atomically: true, encoding: .utf8)
        try Self.example.replacingOccurrences(of: "WG_INTERFACE=wg0", with: "WG_INTERFACE=wg5").write(toFile: second, atomically: true, encoding: .utf8)
        #expect(try ClientConfig.load(path: first, environment: ["VALON_CONFIG": second]).interface == "wg0")
        #expect(try ClientConfig.load(environment: ["VALON_CONFIG": second]).interface == "wg5")
        let missing = directory.appendingPathComponent("missing.conf").path
        do {
            _ = try ClientConfig.load(path: missing, environment: [:])
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.code == .fileAccess)
            #expect(error.file == missing)
        }
    }
}
