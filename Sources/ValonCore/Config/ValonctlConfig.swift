import FoundationEssentials

/// The administrator's `/etc/valon/valonctl.yml`, in the original's layout:
///
/// ```yaml
/// wireguard:
///   interface: wg0
///   ip: 100.100.0.1
///   endpoint: 192.168.1.100:51820   # the discovery node's LAN (or public) endpoint
///   network: 100.100.0.0/24         # addresses are allocated from here
///   dns_zone: valon.internal        # optional
/// etcd:
///   endpoints: [http://127.0.0.1:2379]
///   tls: {ca_cert: …, client_cert: …, client_key: …}   # optional
///   username: …   password: …                         # optional
/// ddns:
///   api_url: http://100.100.0.1:8053
/// ```
public struct ValonctlConfig: Hashable, Sendable {
    /// The discovery node's WireGuard interface.
    public var interface: String
    /// The discovery node's WireGuard address (never allocated to a peer).
    public var discoveryIP: IPAddress
    /// The endpoint clients reach the discovery node at.
    public var discoveryEndpoint: HostPort
    /// The VALON network that peer addresses come from.
    public var network: IPNetwork
    /// The DNS zone (default `valon.internal`).
    public var dnsZone: String
    public var etcd: EtcdSettings
    /// The DDNS API's base URL (default `http://<discovery ip>:8053`).
    public var apiURL: String

    public static let defaultPath = "/etc/valon/valonctl.yml"

    public init(parsing text: String, file: String) throws(ConfigError) {
        let document = try YAMLDocument(text: text, file: file)
        let top = document.top
        try top.allowOnly(["wireguard", "etcd", "ddns"])

        let wireguard = try top.mapping("wireguard")
        try wireguard.allowOnly(["interface", "ip", "endpoint", "network", "dns_zone"])
        interface = try wireguard.string("interface") ?? "wg0"
        guard WireGuardInterfaceName.isValid(interface) else {
            throw wireguard.invalid("interface", "\"\(interface)\" is not an interface name")
        }
        guard let ip = try wireguard.parsed("ip", "an IP address", { IPNetwork($0)?.address }) else {
            throw wireguard.missing("ip")
        }
        discoveryIP = ip
        guard let endpoint = try wireguard.parsed("endpoint", "host:port", { HostPort($0) }) else {
            throw wireguard.missing("endpoint")
        }
        discoveryEndpoint = endpoint
        guard let network = try wireguard.parsed("network", "an IP network like 100.100.0.0/24", { IPNetwork($0)?.canonical }) else {
            throw wireguard.missing("network")
        }
        guard network.contains(ip) else {
            throw wireguard.invalid("ip", "\(ip) is outside wireguard.network \(network)")
        }
        self.network = network
        dnsZone = try wireguard.parsed("dns_zone", "a DNS name", { text in
            let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
            return HostPort.isHostName(Substring(trimmed)) ? trimmed.lowercased() : nil
        }) ?? "valon.internal"

        let etcdMapping = try top.mapping("etcd")
        try etcdMapping.allowOnly(["endpoints", "tls", "username", "password", "prefix"])
        etcd = try EtcdSettings.read(etcdMapping)

        let ddns = try top.mapping("ddns")
        try ddns.allowOnly(["api_url"])
        if let url = try ddns.string("api_url") {
            guard EtcdSettings.isEndpointURL(url) else { throw ddns.invalid("api_url", "\"\(url)\" is not an http:// URL") }
            apiURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        } else {
            apiURL = "http://\(ip.isIPv4 ? ip.description : "[\(ip)]"):8053"
        }
    }
}
