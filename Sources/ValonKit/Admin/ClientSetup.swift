/// What a new peer's operator needs, as `valonctl peer add` prints it (docs/ARCHITECTURE.md §3, the
/// seed's output): the client's wg-quick configuration and its `/etc/valon/client.conf`.
///
/// Pure: built from the registered peer, the discovery node's public key and
/// `valonctl.yml`. The client's private key never passes through here; the
/// configuration holds a placeholder for it.
public struct ClientSetup: Sendable, Hashable {
    public var peer: Peer
    public var discoveryPublicKey: WireGuardKey
    public var configuration: ValonctlConfig
    /// The other discovery nodes of the registry (docs/ARCHITECTURE.md §11), written as
    /// `DISCOVERY_FALLBACKS` (those with an endpoint).
    public var otherNodes: [DiscoveryNode]

    /// What the client writes in place of its private key.
    public static let privateKeyPlaceholder = "<INSERT_YOUR_PRIVATE_KEY_HERE>"
    /// The tunnel MTU the seed configures (1500 minus WireGuard's IPv6 overhead of 80).
    public static let mtu = 1420
    /// Keeps the client's NAT mapping to the discovery node open.
    public static let persistentKeepalive = 25

    public init(peer: Peer, discoveryPublicKey: WireGuardKey, configuration: ValonctlConfig, otherNodes: [DiscoveryNode] = []) {
        self.otherNodes = otherNodes.filter { $0.publicKey != discoveryPublicKey }
        self.peer = peer
        self.discoveryPublicKey = discoveryPublicKey
        self.configuration = configuration
    }

    /// The client's address with the network's real prefix (`100.100.0.2/24`).
    public var clientAddress: String { "\(peer.wgIP)/\(configuration.network.prefixLength)" }

    /// The discovery node's single address (`100.100.0.1/32`, `/128` for IPv6).
    public var discoveryAllowedIP: IPNetwork {
        IPNetwork.host(configuration.discoveryIP)
    }

    /// `/etc/wireguard/<interface>.conf` for `wg-quick up` on the client.
    public var wgQuickConfiguration: String {
        """
        [Interface]
        Address = \(clientAddress)
        PrivateKey = \(Self.privateKeyPlaceholder)
        MTU = \(Self.mtu)

        [Peer]
        # Discovery Role
        PublicKey = \(discoveryPublicKey.base64)
        Endpoint = \(configuration.discoveryEndpoint)
        AllowedIPs = \(discoveryAllowedIP)
        PersistentKeepalive = \(Self.persistentKeepalive)

        """
    }

    /// The client's `/etc/valon/client.conf`, matching the wg-quick configuration.
    public var clientConfiguration: ClientConfig {
        let text = """
            WG_INTERFACE=\(configuration.interface)
            DISCOVERY_PUBKEY=\(discoveryPublicKey.base64)
            DISCOVERY_ENDPOINT=\(configuration.discoveryEndpoint)
            DISCOVERY_ALLOWED_IPS=\(discoveryAllowedIP)
            DISCOVERY_DNS=\(configuration.discoveryIP)
            DISCOVERY_API=\(configuration.apiURL)
            DNS_ZONE=\(configuration.dnsZone)
            OWN_WG_IP=\(peer.wgIP)
            OWN_ALIAS=\(peer.alias)
            ALLOWED_IPS=\(configuration.network)
            """ + (fallbacks.isEmpty ? "" : "\nDISCOVERY_FALLBACKS=\(fallbacks)")
        // Every value above was validated when valonctl.yml and the peer were read.
        do {
            return try ClientConfig(parsing: text, file: "valonctl peer add")
        } catch {
            preconditionFailure("client.conf built from a valid configuration does not parse: \(error)")
        }
    }

    /// `DISCOVERY_FALLBACKS`' value: `pubkey@host:port@wg_ip` of each other node, comma-separated.
    var fallbacks: String { otherNodes.compactMap(\.fallbackEntry).joined(separator: ",") }

    /// Where the client keeps the wg-quick configuration.
    public var wgQuickPath: String { "/etc/wireguard/\(configuration.interface).conf" }
}
