import ValonKit

extension DNSServer {
    /// Where and how the DNS server listens, and the zone it serves.
    public struct Configuration: Sendable {
        /// The zone, TTL, discovery addresses, transfer policy and payload size.
        public var zone: DNSZone
        /// Addresses to bind, UDP and TCP on each; empty means `0.0.0.0` and `::`.
        public var bindAddresses: [IPAddress]
        /// The port (default 53); 0 picks a free one, the same for every address
        /// (see ``DNSServer/waitUntilBound()``).
        public var port: UInt16
        /// Upstream resolvers for names outside the zone, tried in order. Empty: REFUSED.
        public var forwarders: [Endpoint]
        /// How long an upstream may take before the next is tried.
        public var forwardTimeout: Duration = .seconds(2)
        /// A TCP connection with no query for this long is closed (RFC 7766 §6.2.3).
        public var tcpIdleTimeout: Duration = .seconds(10)
        /// TCP connections served at once; more are closed as they arrive.
        public var maxTCPConnections = 256
        /// UDP sockets per address (SO_REUSEPORT), so every event loop thread answers.
        public var udpSocketsPerAddress = 2

        public init(zone: DNSZone, bindAddresses: [IPAddress] = [], port: UInt16 = 53, forwarders: [Endpoint] = []) {
            self.zone = zone
            self.bindAddresses = bindAddresses
            self.port = port
            self.forwarders = forwarders
            self.zone.forwarding = !forwarders.isEmpty
        }

        /// The configuration a ``DiscoveryConfig`` describes: its zone, TTL (`cache`), bind
        /// addresses, port, `forward` upstreams (addresses; port 53 unless given) and
        /// `axfr_allow` plus `extraTransferNetworks` (the WireGuard network).
        public init(_ config: DiscoveryConfig, discoveryAddresses: [IPAddress],
                    extraTransferNetworks: [IPNetwork] = []) throws(DNSError) {
            let zone = DNSZone(name: try DNSName(config.zone), ttl: config.ttl, discoveryAddresses: discoveryAddresses,
                               axfrAllow: config.axfrAllow + extraTransferNetworks)
            let forwarders = try config.forward.map { (upstream) throws(DNSError) -> Endpoint in
                guard let address = IPAddress(upstream.host) else {
                    throw DNSError(.invalidRecord, "forward upstream \"\(upstream.host)\" is not an IP address")
                }
                return Endpoint(address: address, port: upstream.port == 0 ? 53 : upstream.port)
            }
            self.init(zone: zone, bindAddresses: config.bind, port: config.port, forwarders: forwarders)
        }
    }
}
