/// How to reach an etcd cluster: its client URLs, TLS files, credentials and timeouts.
public struct EtcdConfiguration: Sendable, Hashable {
    /// Client URLs in the order to try them: `http://127.0.0.1:2379`, `https://10.0.0.2:2379`.
    public var endpoints: [String]
    /// TLS files for `https` endpoints; `nil` uses the system's CA store.
    public var tls: EtcdTLS?
    /// User name and password for etcd's auth (`POST /v3/auth/authenticate`).
    public var credentials: EtcdCredentials?
    /// Time allowed to open a connection to one endpoint.
    public var connectTimeout: Duration = .seconds(2)
    /// Time allowed for one request on one endpoint, connection included.
    public var requestTimeout: Duration = .seconds(5)
    /// Time during which a request is retried across endpoints while etcd says it is
    /// unavailable (no leader, leader changed), as during an election.
    public var retryWindow: Duration = .seconds(8)
    /// Send ranges of keys (not single keys) over etcd's gRPC API (HTTP/2, protobuf)
    /// rather than the JSON gateway. The gateway spends most of a large range writing
    /// JSON: 40,000 keys (10,000 peers) take it about 0.3 s, gRPC about 0.1 s.
    /// Everything else always uses the gateway.
    public var rangesOverGRPC = true

    public init(endpoints: [String]) {
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}

/// TLS for etcd: the CA that signed the servers' certificates and, for
/// `--client-cert-auth`, a client certificate and its key (PEM files).
public struct EtcdTLS: Sendable, Hashable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// etcd user name and password.
public struct EtcdCredentials: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// Never shows the password.
    public var description: String { "user \(user)" }
}

extension Duration {
    /// Whole milliseconds, at least 1, for libcurl's `_MS` options.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
