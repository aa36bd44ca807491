/// How to reach the etcd cluster that holds the registry, as the config files say it.
public struct EtcdSettings: Hashable, Sendable {
    /// Client URLs, tried in order (`http://127.0.0.1:2379`, `https://10.0.0.5:2379`).
    public var endpoints: [String] = ["http://127.0.0.1:2379"]
    /// PEM CA bundle that signs the servers' certificates (`etcd.tls.ca_cert`).
    public var caCertificate: String?
    /// PEM client certificate and key for mutual TLS (`etcd.tls.client_cert`, `client_key`).
    public var clientCertificate: String?
    public var clientKey: String?
    /// Username and password for etcd's authentication (`etcd.username`, `etcd.password`).
    public var username: String?
    public var password: String?
    /// The registry's key prefix (default `/valon/`).
    public var prefix: String = "/valon/"

    public init() {}

    /// Validates an endpoint URL: http or https, a host, a port.
    static func isEndpointURL(_ text: String) -> Bool {
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return false }
        let rest = text.drop { $0 != "/" }.dropFirst(2)
        let authority = rest.prefix { $0 != "/" }
        return HostPort(authority, defaultPort: text.hasPrefix("https") ? 443 : 80) != nil
    }

    /// Reads the `etcd` mapping shared by valonctl.yml and the discovery config.
    static func read(_ mapping: YAMLDocument.Mapping, endpointsKey: String = "endpoints") throws(ConfigError) -> EtcdSettings {
        var settings = EtcdSettings()
        if let endpoints = try mapping.strings(endpointsKey) {
            guard !endpoints.isEmpty else { throw mapping.invalid(endpointsKey, "at least one endpoint is needed") }
            for endpoint in endpoints where !isEndpointURL(endpoint) {
                throw mapping.invalid(endpointsKey, "\"\(endpoint)\" is not an http:// or https:// URL with a host")
            }
            settings.endpoints = endpoints
        }
        let tls = try mapping.mapping("tls")
        try tls.allowOnly(["ca_cert", "client_cert", "client_key"])
        settings.caCertificate = try tls.string("ca_cert")
        settings.clientCertificate = try tls.string("client_cert")
        settings.clientKey = try tls.string("client_key")
        if (settings.clientCertificate == nil) != (settings.clientKey == nil) {
            throw tls.invalid(settings.clientCertificate == nil ? "client_cert" : "client_key",
                              "client_cert and client_key go together")
        }
        settings.username = try mapping.string("username")
        settings.password = try mapping.string("password")
        if (settings.username == nil) != (settings.password == nil) {
            throw mapping.invalid(settings.username == nil ? "username" : "password", "username and password go together")
        }
        if let prefix = try mapping.string("prefix") {
            guard prefix.hasPrefix("/") else { throw mapping.invalid("prefix", "\"\(prefix)\" must start with /") }
            settings.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
        }
        return settings
    }
}
