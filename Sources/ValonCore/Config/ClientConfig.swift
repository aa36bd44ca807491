import FoundationEssentials

/// The client's `/etc/valon/client.conf`, in the original client scripts' `KEY=value`
/// form (see ``ShellAssignments``), read by `valon-bootstrap` and `valon-sync`.
///
/// Every key can be overridden by an environment variable of the same name prefixed
/// with `VALON_` (`VALON_WG_INTERFACE=wg1`). Keys the file does not know are ignored, as
/// the shell would ignore unused variables.
public struct ClientConfig: Hashable, Sendable {
    /// `WG_INTERFACE`: the WireGuard interface (default `wg0`).
    public var interface: String = "wg0"
    /// `DISCOVERY_PUBKEY`: the discovery node's public key (required).
    public var discoveryPublicKey: WireGuardKey
    /// `DISCOVERY_ENDPOINT`: where the discovery node's WireGuard listens (required).
    public var discoveryEndpoint: HostPort
    /// `DISCOVERY_ALLOWED_IPS`: the discovery peer's allowed IPs (default: `DISCOVERY_DNS`/32).
    public var discoveryAllowedIPs: [IPNetwork]
    /// `DISCOVERY_DNS`: the discovery node's DNS server inside the tunnel (default `100.100.0.1`, port 53).
    public var discoveryDNS: HostPort
    /// `DISCOVERY_API`: the DDNS API's base URL (default `http://<DISCOVERY_DNS address>:8053`).
    public var discoveryAPI: String
    /// `DNS_ZONE`: the VALON zone (default `valon.internal`).
    public var dnsZone: String = "valon.internal"
    /// `OWN_WG_IP`: this client's WireGuard address, with or without a prefix (required).
    public var ownWireGuardIP: IPAddress
    /// `OWN_ALIAS`: this client's alias, sent with endpoint reports (optional).
    public var ownAlias: String?
    /// `WG_PORT`: the local WireGuard listen port (default 51820).
    public var listenPort: UInt16 = 51820
    /// `ALLOWED_IPS`: the VALON network(s), comma-separated (default `100.100.0.0/24`).
    /// Peers outside these networks are never touched by `valon-sync`.
    public var allowedIPs: [IPNetwork]
    /// `PRIVATE_KEY_FILE`: the private key file (default `/etc/wireguard/<WG_INTERFACE>.key`).
    public var privateKeyFile: String
    /// `DISCOVERY_FALLBACKS`: more discovery nodes (docs/ARCHITECTURE.md §11), comma-separated
    /// `pubkey@host:port@wg_ip`; used when the configured node does not answer (optional).
    public var discoveryFallbacks: [DiscoveryFallback] = []
    /// `NOTIFY_PORT`: the UDP port on `OWN_WG_IP` where `valon-sync --follow` listens for
    /// DNS NOTIFY (RFC 1996) from the discovery nodes (docs/ARCHITECTURE.md §12); 0 turns the
    /// listener off (default ``defaultNotifyPort``).
    public var notifyPort: UInt16 = ClientConfig.defaultNotifyPort

    /// The NOTIFY port the discovery node sends to and `valon-sync --follow` listens on.
    public static let defaultNotifyPort: UInt16 = 53530

    /// One `DISCOVERY_FALLBACKS` entry: a discovery node's key, WireGuard endpoint and address.
    public struct DiscoveryFallback: Sendable, Hashable {
        public var publicKey: WireGuardKey
        public var endpoint: HostPort
        public var wgIP: IPAddress

        public init(publicKey: WireGuardKey, endpoint: HostPort, wgIP: IPAddress) {
            self.publicKey = publicKey
            self.endpoint = endpoint
            self.wgIP = wgIP
        }

        /// Parses `pubkey@host:port@wg_ip`; `nil` names nothing, so callers say which part failed.
        public init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 3, let key = try? WireGuardKey(base64: String(parts[0]).trimmingSpaces()),
                  let endpoint = HostPort(parts[1]), endpoint.port > 0, let address = IPAddress(String(parts[2]).trimmingSpaces())
            else { return nil }
            self.init(publicKey: key, endpoint: endpoint, wgIP: address)
        }

        public var description: String { "\(publicKey.base64)@\(endpoint)@\(wgIP)" }
    }

    /// Where ``load(path:environment:)`` looks when no path is given, in order: the file
    /// named by `$VALON_CONFIG`, then these.
    public static let searchPaths = ["/etc/valon/client.conf", "/usr/local/etc/valon/client.conf"]

    /// The keys this file knows.
    public static let keys = [
        "WG_INTERFACE", "DISCOVERY_PUBKEY", "DISCOVERY_ENDPOINT", "DISCOVERY_ALLOWED_IPS", "DISCOVERY_DNS",
        "DISCOVERY_API", "DNS_ZONE", "OWN_WG_IP", "OWN_ALIAS", "WG_PORT", "ALLOWED_IPS", "PRIVATE_KEY_FILE",
        "DISCOVERY_FALLBACKS", "NOTIFY_PORT",
    ]

    /// Parses a file's text, then applies `VALON_*` overrides from `environment`.
    public init(parsing text: String, file: String, environment: [String: String] = [:]) throws(ConfigError) {
        var values = [String: (value: String, line: Int?, source: String)]()
        for assignment in try ShellAssignments.parse(text, file: file) where Self.keys.contains(assignment.key) {
            values[assignment.key] = (assignment.value, assignment.line, file)
        }
        for key in Self.keys {
            if let override = environment["VALON_" + key] {
                values[key] = (override, nil, "environment (VALON_\(key))")
            }
        }

        func error(_ key: String, _ message: String) -> ConfigError {
            let entry = values[key]
            return ConfigError(.invalidValue, file: entry?.source ?? file, line: entry?.line, key: key, message)
        }
        func required(_ key: String) throws(ConfigError) -> String {
            guard let value = values[key]?.value, !value.isEmpty else {
                throw ConfigError(.missingKey, file: file, key: key, "\(key) is required")
            }
            return value
        }
        func optional(_ key: String) -> String? {
            values[key].flatMap { $0.value.isEmpty ? nil : $0.value }
        }
        func networks(_ key: String, _ text: String) throws(ConfigError) -> [IPNetwork] {
            var result = [IPNetwork]()
            for part in text.split(separator: ",") {
                let trimmed = part.trimmingSpaces()
                guard let network = IPNetwork(trimmed) else { throw error(key, "\"\(trimmed)\" is not an IP network (like 100.100.0.0/24)") }
                result.append(network)
            }
            guard !result.isEmpty else { throw error(key, "no networks given") }
            return result
        }

        if let name = optional("WG_INTERFACE") {
            guard WireGuardInterfaceName.isValid(name) else {
                throw error("WG_INTERFACE", "\"\(name)\" is not an interface name (1-15 characters, no '/', ':' or white space)")
            }
            interface = name
        }
        let keyText = try required("DISCOVERY_PUBKEY")
        do {
            discoveryPublicKey = try WireGuardKey(base64: keyText)
        } catch let keyError {
            throw error("DISCOVERY_PUBKEY", "not a WireGuard public key: \(keyError)")
        }
        let endpointText = try required("DISCOVERY_ENDPOINT")
        guard let endpoint = HostPort(endpointText) else {
            throw error("DISCOVERY_ENDPOINT", "\"\(endpointText)\" is not host:port")
        }
        discoveryEndpoint = endpoint

        let ownText = try required("OWN_WG_IP")
        guard let own = IPNetwork(ownText) else { throw error("OWN_WG_IP", "\"\(ownText)\" is not an IP address") }
        ownWireGuardIP = own.address

        if let dns = optional("DISCOVERY_DNS") {
            guard let parsed = HostPort(dns, defaultPort: 53), parsed.address != nil else {
                throw error("DISCOVERY_DNS", "\"\(dns)\" is not an IP address (with an optional :port)")
            }
            discoveryDNS = parsed
        } else if let first = optional("DISCOVERY_ALLOWED_IPS").flatMap({ IPNetwork(String($0.split(separator: ",")[0]).trimmingSpaces()) }) {
            discoveryDNS = HostPort(host: first.address.description, port: 53)
        } else {
            discoveryDNS = HostPort(host: "100.100.0.1", port: 53)
        }

        if let allowed = optional("DISCOVERY_ALLOWED_IPS") {
            discoveryAllowedIPs = try networks("DISCOVERY_ALLOWED_IPS", allowed)
        } else {
            discoveryAllowedIPs = [IPNetwork(discoveryDNS.host)!]
        }

        if let api = optional("DISCOVERY_API") {
            guard api.hasPrefix("http://") || api.hasPrefix("https://"), URL(string: api)?.host != nil else {
                throw error("DISCOVERY_API", "\"\(api)\" is not an http:// or https:// URL")
            }
            discoveryAPI = api.hasSuffix("/") ? String(api.dropLast()) : api
        } else {
            discoveryAPI = "http://\(discoveryDNS.host.contains(":") ? "[\(discoveryDNS.host)]" : discoveryDNS.host):8053"
        }

        if let zone = optional("DNS_ZONE") {
            let trimmed = zone.hasSuffix(".") ? String(zone.dropLast()) : zone
            guard HostPort.isHostName(Substring(trimmed)) else { throw error("DNS_ZONE", "\"\(zone)\" is not a DNS name") }
            dnsZone = trimmed.lowercased()
        }
        ownAlias = optional("OWN_ALIAS")
        if let fallbacks = optional("DISCOVERY_FALLBACKS") {
            for entry in fallbacks.split(separator: ",") where !entry.allSatisfy({ $0 == " " }) {
                guard let fallback = DiscoveryFallback(entry) else {
                    throw error("DISCOVERY_FALLBACKS", "\"\(entry.prefix(160))\" is not pubkey@host:port@wg_ip")
                }
                discoveryFallbacks.append(fallback)
            }
        }
        if let port = optional("WG_PORT") {
            guard let parsed = UInt16(port), parsed != 0 else { throw error("WG_PORT", "\"\(port)\" is not a port (1-65535)") }
            listenPort = parsed
        }
        if let port = optional("NOTIFY_PORT") {
            guard let parsed = UInt16(port) else { throw error("NOTIFY_PORT", "\"\(port)\" is not a port (0 turns NOTIFY off, else 1-65535)") }
            notifyPort = parsed
        }
        allowedIPs = try optional("ALLOWED_IPS").map { (text) throws(ConfigError) in try networks("ALLOWED_IPS", text) }
            ?? [IPNetwork("100.100.0.0/24")!]
        privateKeyFile = optional("PRIVATE_KEY_FILE") ?? "/etc/wireguard/\(interface).key"
    }

    /// The file's text for this configuration, in the order the original example used.
    public func rendered() -> String {
        var lines = ["# VALON client configuration (/etc/valon/client.conf)"]
        func add(_ key: String, _ value: String) {
            let safe = value.allSatisfy { $0.isLetter || $0.isNumber || "./:,-_[]@+=".contains($0) }
            lines.append("\(key)=\(safe ? value : "\"\(value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("$", with: "\\$"))\"")")
        }
        add("WG_INTERFACE", interface)
        add("DISCOVERY_PUBKEY", discoveryPublicKey.base64)
        add("DISCOVERY_ENDPOINT", discoveryEndpoint.description)
        add("DISCOVERY_ALLOWED_IPS", discoveryAllowedIPs.map(\.description).joined(separator: ","))
        add("DISCOVERY_DNS", discoveryDNS.port == 53 ? discoveryDNS.host : discoveryDNS.description)
        add("DISCOVERY_API", discoveryAPI)
        add("DNS_ZONE", dnsZone)
        add("OWN_WG_IP", ownWireGuardIP.description)
        if let ownAlias { add("OWN_ALIAS", ownAlias) }
        add("WG_PORT", String(listenPort))
        add("ALLOWED_IPS", allowedIPs.map(\.description).joined(separator: ","))
        add("PRIVATE_KEY_FILE", privateKeyFile)
        if !discoveryFallbacks.isEmpty { add("DISCOVERY_FALLBACKS", discoveryFallbacks.map(\.description).joined(separator: ",")) }
        if notifyPort != Self.defaultNotifyPort { add("NOTIFY_PORT", String(notifyPort)) }
        return lines.joined(separator: "\n") + "\n"
    }
}
