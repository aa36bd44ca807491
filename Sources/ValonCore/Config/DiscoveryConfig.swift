import FoundationEssentials
import Yams

/// The discovery node's configuration. It is read from a YAML file whose keys are the
/// option names of the original CoreDNS plugin's Corefile, or from that Corefile itself
/// (``init(corefile:file:)``), so `valon-discovery` drops in where the plugin ran.
///
/// ```yaml
/// zone: valon.internal
/// etcd_endpoints: [http://127.0.0.1:2379]
/// etcd: {tls: {ca_cert: …, client_cert: …, client_key: …}, username: …, password: …, prefix: /valon/}
/// wg_interface: wg0
/// ddns_listen: 100.100.0.1:8053
/// wg_poll_interval: 1s
/// etcd_sync_interval: 10s
/// bind: [100.100.0.1, 127.0.0.1]
/// port: 53
/// cache: 2                      # the TTL of answers, seconds
/// forward: [9.9.9.9, 1.1.1.1]   # names outside the zone; REFUSED when absent
/// axfr_allow: [100.100.0.0/24, 127.0.0.0/8]
/// state_dir: /var/lib/valon/discovery   # the persisted registry snapshot
/// notify: true                  # DNS NOTIFY to every peer on each zone change (RFC 1996)
/// notify_port: 53530            # where the peers' valon-sync --follow listens
/// ```
public struct DiscoveryConfig: Hashable, Sendable {
    /// The zone served (default `valon.internal`).
    public var zone = "valon.internal"
    public var etcd = EtcdSettings()
    /// The WireGuard interface whose peers are observed and reconciled (default `wg0`).
    public var interface = "wg0"
    /// Where the DDNS API listens (default `100.100.0.1:8053`).
    public var apiListen = HostPort(host: "100.100.0.1", port: 8053)
    /// Bind the API's socket to the WireGuard interface (SO_BINDTODEVICE).
    public var apiBindToDevice = false
    /// How often the interface's observed endpoints are read (default 1 s).
    public var wireGuardPollInterval: Duration = .seconds(1)
    /// How often the whole registry is re-read besides the watch (default 10 s).
    public var etcdSyncInterval: Duration = .seconds(10)
    /// Addresses the DNS server binds (default: all, `0.0.0.0` and `::`).
    public var bind: [IPAddress] = []
    /// The DNS port (default 53).
    public var port: UInt16 = 53
    /// TTL of answers in seconds (the Corefile's `cache N`; default 2).
    public var ttl: UInt32 = 2
    /// Upstream resolvers for names outside the zone; empty means REFUSED.
    public var forward: [HostPort] = []
    /// Networks allowed to transfer the zone (AXFR). Default: loopback; the WireGuard
    /// network is added at start-up from the interface's addresses.
    public var axfrAllow: [IPNetwork] = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!]
    /// Requests per second one peer may make to the DDNS API (a burst of twice as many).
    public var apiRateLimit: Double = 5
    /// Where the node persists the registry snapshot it serves after a restart while etcd
    /// is unreachable (docs/ARCHITECTURE.md §9); default `/var/lib/valon/discovery`.
    public var stateDirectory = DiscoveryConfig.defaultStateDirectory
    /// Whether the node relays WireGuard ciphertext for pairs that cannot connect directly
    /// (docs/ARCHITECTURE.md §10); on by default.
    public var relayEnabled = true
    /// The UDP ports the relay gives to relayed pairs, one each (default 51821-52820, next
    /// to WireGuard's 51820).
    public var relayPorts: ClosedRange<UInt16> = 51821...52820
    /// How long an allocated relay may forward nothing before it is reclaimed.
    public var relayIdleTimeout: Duration = .seconds(600)
    /// `advertise_endpoint`: `host:port` where clients reach this node's WireGuard interface,
    /// published in the node's registration (docs/ARCHITECTURE.md §11) so that clients can
    /// fail over to it; `nil` registers the node without one (clients then reach it only as
    /// their configured node).
    public var advertiseEndpoint: HostPort?
    /// `discovery_lease_ttl`: the TTL of the etcd lease the node's registration hangs on; a
    /// node that dies leaves the zone this long after its last renewal (default 10 s).
    public var discoveryLeaseTTL: Duration = .seconds(10)
    /// `ixfr_history`: how many earlier registry snapshots the node keeps in memory to answer
    /// IXFR from (RFC 1995; docs/ARCHITECTURE.md §12); older serials are read from etcd at
    /// their revision, or answered with the whole zone. Default 64; 0 keeps none.
    public var ixfrHistoryCount = 64
    /// `ixfr_history_bytes`: the most memory those snapshots may take, estimated (default
    /// 64 MiB; a suffix k, M or G multiplies by 1024, 1024², 1024³).
    public var ixfrHistoryBytes = 64 << 20
    /// `notify`: send DNS NOTIFY (RFC 1996) to every registered peer's WireGuard address on
    /// each change of the zone (docs/ARCHITECTURE.md §12); on by default.
    public var notifyEnabled = true
    /// `notify_port`: the UDP port the peers' `valon-sync --follow` listens on for NOTIFY
    /// (default 53530, the client's `NOTIFY_PORT` default).
    public var notifyPort: UInt16 = ClientConfig.defaultNotifyPort

    /// The state directory of a packaged node.
    public static let defaultStateDirectory = "/var/lib/valon/discovery"

    public init() {}

    static let yamlKeys: Set<String> = [
        "zone", "etcd_endpoints", "etcd", "wg_interface", "ddns_listen", "ddns_bind_device", "wg_poll_interval",
        "etcd_sync_interval", "bind", "port", "cache", "forward", "axfr_allow", "ddns_rate_limit",
        "state_dir", "relay", "relay_ports", "relay_idle_timeout", "advertise_endpoint", "discovery_lease_ttl",
        "ixfr_history", "ixfr_history_bytes",
        "notify", "notify_port",
    ]

    /// Parses the YAML form.
    public init(parsing text: String, file: String) throws(ConfigError) {
        let document = try YAMLDocument(text: text, file: file)
        let top = document.top
        try top.allowOnly(Self.yamlKeys)
        let etcdMapping = try top.mapping("etcd")
        try etcdMapping.allowOnly(["tls", "username", "password", "prefix"])
        etcd = try EtcdSettings.read(etcdMapping)
        for key in Self.yamlKeys.sorted() where key != "etcd" {
            guard let words = try top.strings(key) else { continue }
            let node = top.value(key)
            try apply(option: key, arguments: words, file: file, line: node?.mark?.line)
        }
    }

    /// Reads the original plugin's Corefile: the server block holding a `valon { … }`
    /// directive gives the zone and port, its options, `bind`, `cache` and `forward`; a `.`
    /// block's `forward` gives upstream resolvers. `log`, `errors`, `health`, `prometheus`,
    /// `reload`, `ready` and `loadbalance` are accepted and have no effect here.
    public init(corefile text: String, file: String) throws(ConfigError) {
        let corefile = try Corefile(parsing: text, file: file)
        guard let block = corefile.serverBlocks.first(where: { $0.directives.contains { $0.name == "valon" } }) else {
            throw ConfigError(.missingKey, file: file, key: "valon", "no server block has a 'valon { … }' directive")
        }
        let key = block.keys[0].replacingAll("dns://", with: "")
        let (zoneText, portText) = Self.splitZoneKey(key)
        guard let zoneName = Self.zoneName(zoneText) else {
            throw ConfigError(.invalidValue, file: file, line: block.line, key: "zone", "\"\(zoneText)\" is not a DNS zone")
        }
        zone = zoneName
        if let portText {
            guard let parsed = UInt16(portText), parsed != 0 else {
                throw ConfigError(.invalidValue, file: file, line: block.line, key: "port", "\"\(portText)\" is not a port")
            }
            port = parsed
        }
        let ignored: Set<String> = ["log", "errors", "health", "prometheus", "reload", "ready", "loadbalance", "debug"]
        for directive in block.directives {
            switch directive.name {
            case "valon":
                for option in directive.block ?? [] {
                    guard Self.corefileValonOptions.contains(option.name) else {
                        throw ConfigError(.unknownKey, file: file, line: option.line, key: "valon.\(option.name)",
                                          "unknown valon option (known: \(Self.corefileValonOptions.sorted().joined(separator: ", ")))")
                    }
                    try apply(option: option.name, arguments: option.arguments, file: file, line: option.line)
                }
            case "bind", "cache":
                try apply(option: directive.name, arguments: directive.arguments, file: file, line: directive.line)
            case "forward":
                try applyForward(directive, file: file)
            case let name where ignored.contains(name):
                continue
            default:
                throw ConfigError(.unknownKey, file: file, line: directive.line, key: directive.name,
                                  "plugin '\(directive.name)' is not supported by valon-discovery")
            }
        }
        // Forwarding configured in a root block (`.:53 { forward . 8.8.8.8 }`).
        for other in corefile.serverBlocks where other.keys.contains(where: { Self.splitZoneKey($0.replacingAll("dns://", with: "")).0 == "." }) {
            for directive in other.directives where directive.name == "forward" && forward.isEmpty {
                try applyForward(directive, file: file)
            }
        }
    }

    static let corefileValonOptions: Set<String> = [
        "etcd_endpoints", "wg_interface", "ddns_listen", "ddns_bind_device", "wg_poll_interval", "etcd_sync_interval",
        "axfr_allow", "ddns_rate_limit",
        "state_dir", "relay", "relay_ports", "relay_idle_timeout", "advertise_endpoint", "discovery_lease_ttl",
        "ixfr_history", "ixfr_history_bytes",
        "notify", "notify_port",
    ]

    private mutating func applyForward(_ directive: Corefile.Directive, file: String) throws(ConfigError) {
        guard directive.arguments.count >= 2, directive.arguments[0] == "." else {
            throw ConfigError(.invalidValue, file: file, line: directive.line, key: "forward", "expected: forward . UPSTREAM…")
        }
        try apply(option: "forward", arguments: Array(directive.arguments.dropFirst()), file: file, line: directive.line)
    }

    /// Applies one option given as words, shared by the YAML and the Corefile readers.
    mutating func apply(option: String, arguments: [String], file: String, line: Int?) throws(ConfigError) {
        func invalid(_ message: String) -> ConfigError {
            ConfigError(.invalidValue, file: file, line: line, key: option, message)
        }
        func single() throws(ConfigError) -> String {
            guard arguments.count == 1 else { throw invalid("expected one value, got \(arguments.count)") }
            return arguments[0]
        }
        func boolean() throws(ConfigError) -> Bool {
            let text = try single().lowercased()
            guard ["true", "false", "yes", "no", "on", "off"].contains(text) else { throw invalid("\"\(text)\" is not true or false") }
            return ["true", "yes", "on"].contains(text)
        }
        func duration() throws(ConfigError) -> Duration {
            let text = try single()
            guard let value = ConfigDuration.parse(text), value > .zero else { throw invalid("\"\(text)\" is not a duration like 1s or 500ms") }
            return value
        }
        switch option {
        case "zone":
            let text = try single()
            guard let name = Self.zoneName(text) else { throw invalid("\"\(text)\" is not a DNS zone") }
            zone = name
        case "etcd_endpoints":
            guard !arguments.isEmpty else { throw invalid("at least one endpoint is needed") }
            for endpoint in arguments where !EtcdSettings.isEndpointURL(endpoint) {
                throw invalid("\"\(endpoint)\" is not an http:// or https:// URL with a host")
            }
            etcd.endpoints = arguments
        case "wg_interface":
            let name = try single()
            guard WireGuardInterfaceName.isValid(name) else { throw invalid("\"\(name)\" is not an interface name") }
            interface = name
        case "ddns_listen":
            let text = try single()
            guard let value = HostPort(text), value.address != nil else { throw invalid("\"\(text)\" is not ip:port") }
            apiListen = value
        case "ddns_bind_device":
            apiBindToDevice = try boolean()
        case "ddns_rate_limit":
            let text = try single()
            guard let value = Double(text), value > 0, value.isFinite else { throw invalid("\"\(text)\" is not a positive number") }
            apiRateLimit = value
        case "wg_poll_interval":
            wireGuardPollInterval = try duration()
        case "etcd_sync_interval":
            etcdSyncInterval = try duration()
        case "bind":
            var addresses = [IPAddress]()
            for word in arguments {
                guard let address = IPAddress(word) else { throw invalid("\"\(word)\" is not an IP address (interface names are not supported)") }
                addresses.append(address)
            }
            guard !addresses.isEmpty else { throw invalid("expected at least one address") }
            bind = addresses
        case "port":
            let text = try single()
            guard let value = UInt16(text), value != 0 else { throw invalid("\"\(text)\" is not a port") }
            port = value
        case "cache":
            // CoreDNS's `cache [TTL]`: the TTL caps how long answers are cached.
            guard arguments.count <= 1 else { throw invalid("expected: cache [TTL]") }
            if let text = arguments.first {
                guard let value = UInt32(text) else { throw invalid("\"\(text)\" is not a TTL in seconds") }
                ttl = value
            }
        case "forward":
            var upstreams = [HostPort]()
            for word in arguments {
                let trimmed = word.replacingAll("dns://", with: "")
                guard let upstream = HostPort(trimmed, defaultPort: 53), upstream.address != nil else {
                    throw invalid("\"\(word)\" is not an upstream resolver address")
                }
                upstreams.append(upstream)
            }
            guard !upstreams.isEmpty else { throw invalid("expected at least one upstream") }
            forward = upstreams
        case "axfr_allow":
            var networks = [IPNetwork]()
            for word in arguments {
                guard let network = IPNetwork(word) else { throw invalid("\"\(word)\" is not an IP network") }
                networks.append(network.canonical)
            }
            axfrAllow = networks
        case "relay":
            relayEnabled = try boolean()
        case "relay_ports":
            let text = try single()
            let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, let low = UInt16(bounds[0]), let high = UInt16(bounds[1]), low > 0, low <= high else {
                throw invalid("\"\(text)\" is not a port range like 51821-52820")
            }
            relayPorts = low...high
        case "relay_idle_timeout":
            relayIdleTimeout = try duration()
        case "advertise_endpoint":
            let text = try single()
            guard let endpoint = HostPort(text), endpoint.port > 0 else { throw invalid("\"\(text)\" is not host:port") }
            advertiseEndpoint = endpoint
        case "discovery_lease_ttl":
            let ttl = try duration()
            guard ttl >= .seconds(2) else { throw invalid("a lease of less than 2 s cannot be renewed in time") }
            discoveryLeaseTTL = ttl
        case "ixfr_history":
            let text = try single()
            guard let count = Int(text), count >= 0 else { throw invalid("\"\(text)\" is not a count of snapshots (0 or more)") }
            ixfrHistoryCount = count
        case "ixfr_history_bytes":
            let text = try single()
            guard let bytes = Self.byteSize(text) else { throw invalid("\"\(text)\" is not a size like 65536, 512k or 64M") }
            ixfrHistoryBytes = bytes
        case "notify":
            notifyEnabled = try boolean()
        case "notify_port":
            let text = try single()
            guard let value = UInt16(text), value != 0 else { throw invalid("\"\(text)\" is not a port (1-65535; notify: false turns NOTIFY off)") }
            notifyPort = value
        case "state_dir":
            let path = try single()
            guard path.hasPrefix("/"), !path.utf8.contains(0) else { throw invalid("\"\(path)\" is not an absolute path") }
            stateDirectory = path
        default:
            throw ConfigError(.unknownKey, file: file, line: line, key: option, "unknown option")
        }
    }

    /// A size in bytes: digits, optionally followed by k, M or G (powers of 1024).
    static func byteSize(_ text: String) -> Int? {
        let units: [Character: Int] = ["k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30]
        var digits = Substring(text), multiplier = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int(digits), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    static func splitZoneKey(_ key: String) -> (String, String?) {
        guard let colon = key.lastIndex(of: ":"), !key.hasSuffix("]") else { return (key, nil) }
        return (String(key[..<colon]), String(key[key.index(after: colon)...]))
    }

    static func zoneName(_ text: String) -> String? {
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        return HostPort.isHostName(Substring(trimmed)) ? trimmed.lowercased() : nil
    }
}
