import Testing
@testable import ValonKit

@Suite("discovery config: YAML and the original Corefile")
struct DiscoveryConfigTests {
    /// The original plugin's Corefile example, unchanged.
    static let seedCorefile = """
    valon.internal:53 {
        valon {
            etcd_endpoints http://127.0.0.1:2379
            wg_interface wg0
            ddns_listen 100.100.0.1:8053
            wg_poll_interval 1s
            etcd_sync_interval 10s
        }
        cache 2
        log
        errors
    }
    """

    @Test("the original Corefile reads as the plugin read it")
    func seedCorefile() throws {
        let config = try DiscoveryConfig(corefile: Self.seedCorefile, file: "Corefile")
        #expect(config.zone == "valon.internal")
        #expect(config.port == 53)
        #expect(config.etcd.endpoints == ["http://127.0.0.1:2379"])
        #expect(config.interface == "wg0")
        #expect(config.apiListen == HostPort(host: "100.100.0.1", port: 8053))
        #expect(config.wireGuardPollInterval == .seconds(1))
        #expect(config.etcdSyncInterval == .seconds(10))
        #expect(config.ttl == 2)
        #expect(config.forward.isEmpty)
    }

    @Test("forwarding, bind and several endpoints in a Corefile")
    func corefileForward() throws {
        let text = """
        # comment
        valon.example.:5353 {
            bind 127.0.0.1 ::1
            valon {
                etcd_endpoints http://10.0.0.1:2379 http://10.0.0.2:2379 "http://10.0.0.3:2379"
            }
        }
        .:5353 {
            forward . 9.9.9.9 dns://1.1.1.1:53
        }
        """
        let config = try DiscoveryConfig(corefile: text, file: "Corefile")
        #expect(config.zone == "valon.example")
        #expect(config.port == 5353)
        #expect(config.bind == [IPAddress("127.0.0.1")!, IPAddress("::1")!])
        #expect(config.etcd.endpoints.count == 3)
        #expect(config.forward == [HostPort(host: "9.9.9.9", port: 53), HostPort(host: "1.1.1.1", port: 53)])
    }

    @Test("Corefile errors name the line", arguments: [
        ("valon.internal:53 {\n  valon {\n    wg_poll_interval fast\n  }\n}", 3, "wg_poll_interval"),
        ("valon.internal:53 {\n  valon {\n    nonsense 1\n  }\n}", 3, "valon.nonsense"),
        ("valon.internal:53 {\n  valon\n  rewrite name a b\n}", 3, "rewrite"),
        ("valon.internal:53 {\n  valon {\n  }\n", 1, nil),
        ("example.org {\n  whoami\n}", nil, "valon"),
    ] as [(String, Int?, String?)])
    func corefileErrors(_ text: String, _ line: Int?, _ key: String?) {
        do {
            _ = try DiscoveryConfig(corefile: text, file: "Corefile")
            Issue.record("accepted")
        } catch {
            #expect(error.line == line)
            #expect(error.key == key)
        }
    }

    @Test("YAML with the Corefile's option names")
    func yaml() throws {
        let text = """
        zone: valon.internal
        etcd_endpoints: [http://127.0.0.1:2379, http://127.0.0.2:2379]
        etcd:
          prefix: /valon
          username: root
          password: pw
        wg_interface: wg1
        ddns_listen: 100.100.0.1:8053
        ddns_bind_device: true
        wg_poll_interval: 500ms
        etcd_sync_interval: 1m
        bind: [100.100.0.1, 127.0.0.1]
        port: 5300
        cache: 5
        forward: 9.9.9.9
        axfr_allow: [100.100.0.0/24, 127.0.0.0/8]
        state_dir: /srv/valon/state
        relay: off
        relay_ports: 40000-40099
        relay_idle_timeout: 2m
        ixfr_history: 16
        ixfr_history_bytes: 8M
        notify: false
        notify_port: 5353
        """
        let config = try DiscoveryConfig(parsing: text, file: "discovery.yml")
        #expect(config.ixfrHistoryCount == 16 && config.ixfrHistoryBytes == 8 << 20)
        #expect(DiscoveryConfig().ixfrHistoryCount == 64 && DiscoveryConfig().ixfrHistoryBytes == 64 << 20)
        #expect(!config.notifyEnabled && config.notifyPort == 5353)
        #expect(DiscoveryConfig().notifyEnabled && DiscoveryConfig().notifyPort == 53530)
        #expect(config.stateDirectory == "/srv/valon/state")
        #expect(!config.relayEnabled && config.relayPorts == 40000...40099 && config.relayIdleTimeout == .seconds(120))
        let defaults = DiscoveryConfig()
        #expect(defaults.relayEnabled && defaults.relayPorts == 51821...52820 && defaults.relayIdleTimeout == .seconds(600))
        #expect(DiscoveryConfig().stateDirectory == "/var/lib/valon/discovery")
        #expect(config.etcd.endpoints.count == 2)
        #expect(config.etcd.prefix == "/valon/")
        #expect(config.etcd.username == "root")
        #expect(config.interface == "wg1")
        #expect(config.apiBindToDevice)
        #expect(config.wireGuardPollInterval == .milliseconds(500))
        #expect(config.etcdSyncInterval == .seconds(60))
        #expect(config.port == 5300)
        #expect(config.ttl == 5)
        #expect(config.forward == [HostPort(host: "9.9.9.9", port: 53)])
        #expect(config.axfrAllow.count == 2)
    }

    @Test("YAML errors name the key and line", arguments: [
        ("port: 70000", "port", 1),
        ("zone: valon.internal\nbind: [eth0]", "bind", 2),
        ("wg_poll_interval: -1s", "wg_poll_interval", 1),
        ("zone: valon.internal\n\nunknown_option: 1", "unknown_option", 3),
        ("etcd_endpoints: localhost:2379", "etcd_endpoints", 1),
        ("zone: valon.internal\nstate_dir: var/lib/valon", "state_dir", 2),
        ("relay: maybe", "relay", 1),
        ("relay_ports: 52820-51821", "relay_ports", 1),
        ("relay_ports: 0-10", "relay_ports", 1),
        ("relay_ports: 51821", "relay_ports", 1),
        ("relay_idle_timeout: soon", "relay_idle_timeout", 1),
        ("ixfr_history: -1", "ixfr_history", 1),
        ("ixfr_history: many", "ixfr_history", 1),
        ("zone: valon.internal\nixfr_history_bytes: 8X", "ixfr_history_bytes", 2),
        ("ixfr_history_bytes: 99999999999999999G", "ixfr_history_bytes", 1),
        ("ixfr_history_bytes: M", "ixfr_history_bytes", 1),
        ("notify: sometimes", "notify", 1),
        ("zone: valon.internal\nnotify_port: 0", "notify_port", 2),
        ("notify_port: 65536", "notify_port", 1),
    ])
    func yamlErrors(_ text: String, _ key: String, _ line: Int) {
        do {
            _ = try DiscoveryConfig(parsing: text, file: "discovery.yml")
            Issue.record("accepted")
        } catch {
            #expect(error.key == key)
            #expect(error.line == line)
        }
    }

    @Test("durations as Go writes them", arguments: [
        ("1s", Duration.seconds(1)), ("500ms", .milliseconds(500)), ("1m30s", .seconds(90)), ("2h", .seconds(7200)),
        ("1.5s", .milliseconds(1500)), ("10", .seconds(10)), ("250us", .microseconds(250)),
    ])
    func durations(_ text: String, _ expected: Duration) {
        #expect(ConfigDuration.parse(text) == expected)
    }

    @Test("not durations", arguments: ["", "s", "1x", "-1s", "1s2", "1 s", "..s"])
    func badDurations(_ text: String) {
        #expect(ConfigDuration.parse(text) == nil)
    }
}
