/// The WireGuard peers for the discovery nodes beyond the configured one (docs/ARCHITECTURE.md
/// §11): every node the zone publishes with an endpoint, and every `DISCOVERY_FALLBACKS`
/// entry, is a peer with its address as a /32 and keepalive 25, so that the client can fail
/// over to it within one poll. Pure.
///
/// A node's endpoint is set when the device has none, or when the device's endpoint differs
/// and the node has not been heard for ``EndpointSelection/freshHandshakeSeconds`` (an
/// endpoint WireGuard roamed to on a live session is kept, as for mesh peers, §4). A node
/// learned from an earlier zone that has left this one is removed, unless it is a fallback;
/// a node still in the zone is never removed.
public enum DiscoveryPeers {
    /// One node to keep as a peer.
    public struct Node: Hashable, Sendable {
        public var publicKey: WireGuardKey
        public var wgIP: IPAddress
        /// The resolved endpoint; `nil` when it could not be resolved (the peer is kept
        /// without changing its endpoint).
        public var endpoint: Endpoint?

        public init(publicKey: WireGuardKey, wgIP: IPAddress, endpoint: Endpoint?) {
            self.publicKey = publicKey
            self.wgIP = wgIP
            self.endpoint = endpoint
        }
    }

    /// The keepalive that holds each node's NAT mapping open (as the configured node's).
    public static let keepalive: UInt16 = 25

    /// The update entries that bring `device` to `wanted`; `learnedBefore` are the nodes the
    /// last zone published, removed when they are neither wanted nor kept now.
    /// `skip` are keys never touched here (the configured node's, the client's own).
    public static func update(device: WireGuardDevice, wanted: [Node], learnedBefore: Set<WireGuardKey>,
                              skip: Set<WireGuardKey>, now: Int64) -> [WireGuardPeer] {
        var present = [WireGuardKey: WireGuardPeer]()
        for peer in device.peers { present[peer.publicKey] = peer }
        var updates = [WireGuardPeer]()
        var wantedKeys = Set<WireGuardKey>()
        for node in wanted where !skip.contains(node.publicKey) && wantedKeys.insert(node.publicKey).inserted {
            let allowed = [IPNetwork.host(node.wgIP)]
            guard let current = present[node.publicKey] else {
                updates.append(WireGuardPeer(publicKey: node.publicKey, endpoint: node.endpoint, persistentKeepalive: keepalive,
                                             allowedIPs: allowed, flags: .replaceAllowedIPs))
                continue
            }
            let heard = current.lastHandshake.map { now - $0.seconds <= EndpointSelection.freshHandshakeSeconds } ?? false
            let endpoint = node.endpoint.flatMap { wanted in
                current.endpoint == nil || (current.endpoint != wanted && !heard) ? wanted : nil
            }
            if endpoint != nil || current.allowedIPs != allowed || current.persistentKeepalive != keepalive {
                updates.append(WireGuardPeer(publicKey: node.publicKey, endpoint: endpoint, persistentKeepalive: keepalive,
                                             allowedIPs: allowed, flags: [.replaceAllowedIPs, .updateOnly]))
            }
        }
        for key in learnedBefore.sorted(by: { $0.base64 < $1.base64 })
        where !wantedKeys.contains(key) && !skip.contains(key) && present[key] != nil {
            updates.append(.removal(of: key))
        }
        return updates
    }
}
