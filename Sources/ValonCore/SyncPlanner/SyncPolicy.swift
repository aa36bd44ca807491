/// Which peers of the client's WireGuard interface valon-sync may touch (docs/ARCHITECTURE.md §5): never
/// the discovery peer, never the interface's own key, never a peer whose allowed IPs
/// leave the VALON network(s). Pure.
public struct SyncPolicy: Hashable, Sendable {
    /// The interface's own public key (a registry entry for it is not a peer).
    public var ownPublicKey: WireGuardKey?
    /// The discovery node's key: its peer is bootstrap's, never changed by a sync.
    public var discoveryPublicKey: WireGuardKey
    /// The VALON networks (`ALLOWED_IPS`).
    public var networks: [IPNetwork]
    /// The other discovery nodes (learned from the zone, or `DISCOVERY_FALLBACKS`,
    /// docs/ARCHITECTURE.md §11): their peers are ``DiscoveryPeers``', never the mesh's.
    public var otherDiscoveryKeys: Set<WireGuardKey> = []
    /// The keepalive given to every mesh peer, so NAT mappings stay open (25 s, as the
    /// discovery peer's in the seed's configuration); `nil` for none.
    public var persistentKeepalive: UInt16?

    public init(ownPublicKey: WireGuardKey?, discoveryPublicKey: WireGuardKey, networks: [IPNetwork],
                persistentKeepalive: UInt16? = 25) {
        self.ownPublicKey = ownPublicKey
        self.discoveryPublicKey = discoveryPublicKey
        self.networks = networks
        self.persistentKeepalive = persistentKeepalive
    }

    /// Whether `address` lies inside one of the VALON networks.
    public func isInside(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// Whether `network` lies wholly inside one of the VALON networks.
    public func isInside(_ network: IPNetwork) -> Bool {
        networks.contains { $0.prefixLength <= network.prefixLength && $0.contains(network.address) }
    }

    /// Whether a device peer is valon-sync's to change or remove: not the discovery peer,
    /// not the own key, and with allowed IPs that all lie inside the VALON networks (a
    /// peer with none is left alone: nothing says it is VALON's).
    public func manages(_ peer: WireGuardPeer) -> Bool {
        peer.publicKey != discoveryPublicKey && peer.publicKey != ownPublicKey && !otherDiscoveryKeys.contains(peer.publicKey)
            && !peer.allowedIPs.isEmpty && peer.allowedIPs.allSatisfy { isInside($0) }
    }

    /// Why a registry peer is not put on the device, or `nil` when it is.
    public func exclusion(of peer: Peer) -> SyncPlan.Exclusion? {
        if peer.publicKey == ownPublicKey { return .ownKey }
        if peer.publicKey == discoveryPublicKey || otherDiscoveryKeys.contains(peer.publicKey) { return .discoveryPeer }
        if !isInside(peer.wgIP) { return .outsideNetwork }
        return nil
    }
}
