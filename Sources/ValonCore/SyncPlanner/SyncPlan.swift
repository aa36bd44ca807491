/// What valon-sync will do to the WireGuard interface (docs/ARCHITECTURE.md §5 step 3): the desired peers
/// from the registry, an endpoint chosen for each (``EndpointSelection``), and the smallest
/// update that turns the device into that state
/// (``WireGuardDevice/update(toReach:removable:)``), applied in one batch. Pure.
public struct SyncPlan: Hashable, Sendable {
    /// What happens to one peer.
    public enum Action: String, Hashable, Sendable, Codable {
        case add
        case update
        case remove
        case unchanged
    }

    /// Why a registry peer is not put on the device.
    public enum Exclusion: String, Hashable, Sendable, Codable {
        /// It is this client itself.
        case ownKey = "own-key"
        /// It is the discovery node, whose peer bootstrap configures.
        case discoveryPeer = "discovery-peer"
        /// Its WireGuard address lies outside the VALON networks.
        case outsideNetwork = "outside-network"
    }

    /// One peer's line of the plan.
    public struct Entry: Hashable, Sendable {
        public var publicKey: WireGuardKey
        /// The registry's alias (`nil` for a peer only the device has).
        public var alias: String?
        public var action: Action
        /// The endpoint the device will have (`nil`: none known, or the peer is removed).
        public var endpoint: Endpoint?
        /// Why that endpoint (`nil` for a removal).
        public var reason: EndpointSelection.Reason?
        public var allowedIPs: [IPNetwork]
    }

    /// A registry peer left off the device.
    public struct Excluded: Hashable, Sendable {
        public var publicKey: WireGuardKey
        public var reason: Exclusion
    }

    /// Every peer the registry has or the device loses, by base64 key.
    public var entries: [Entry]
    /// Registry peers left off the device, with why.
    public var excluded: [Excluded]
    /// The peers the device should hold (managed ones only).
    public var desired: WireGuardDevice
    /// The update to send: empty when the device already matches.
    public var update: WireGuardDevice

    public var isEmpty: Bool { update.isEmptyUpdate }

    /// The keepalive of a relayed peer, at least: both NAT mappings toward the relay stay open.
    public static let relayKeepalive: UInt16 = 25

    /// Counts of each action.
    public func count(_ action: Action) -> Int { entries.lazy.filter { $0.action == action }.count }

    /// Plans the sync of `device` to the registry's `peers`.
    ///
    /// - Parameters:
    ///   - local: my NAT address and connected subnets, for the selection rules.
    ///   - now: the current time in seconds since the Unix epoch, to age handshakes.
    ///   - onlyPeer: plan for this one peer only (`valon-sync --peer KEY`); other peers
    ///     are neither added, changed nor removed.
    ///   - relays: the relay endpoint of each peer this client is relayed with (§10); such a
    ///     peer gets that endpoint and a keepalive of at least 25 s, which keeps both NAT
    ///     mappings toward the relay open.
    ///   - withoutLAN: peers whose LAN endpoint was tried and failed (``PathVerification``):
    ///     the rules choose among their other endpoints.
    public init(registry peers: [Peer], device: WireGuardDevice, local: EndpointSelection.Local,
                policy: SyncPolicy, now: Int64, onlyPeer: WireGuardKey? = nil, relays: [WireGuardKey: Endpoint] = [:],
                withoutLAN: Set<WireGuardKey> = []) {
        var present = [WireGuardKey: WireGuardPeer](minimumCapacity: device.peers.count)
        for peer in device.peers { present[peer.publicKey] = peer }

        var desired = WireGuardDevice(name: device.name)
        desired.peers.reserveCapacity(peers.count)
        var chosen = [WireGuardKey: (alias: String, choice: EndpointSelection.Choice)](minimumCapacity: peers.count)
        var excluded = [Excluded]()
        for peer in peers where onlyPeer == nil || peer.publicKey == onlyPeer {
            if let reason = policy.exclusion(of: peer) {
                excluded.append(Excluded(publicKey: peer.publicKey, reason: reason))
                continue
            }
            let current = present[peer.publicKey]
            let age = current?.lastHandshake.map { Duration.seconds(now - $0.seconds) }
            let choice = EndpointSelection.choose(
                local: local,
                peer: .init(lan: withoutLAN.contains(peer.publicKey) && peer.natEndpoint != nil ? nil : peer.lanEndpoint,
                            nat: peer.natEndpoint, relay: relays[peer.publicKey]),
                current: .init(endpoint: current?.endpoint, handshakeAge: age))
            chosen[peer.publicKey] = (peer.alias, choice)
            let keepalive = choice.reason == .relay ? max(policy.persistentKeepalive ?? 0, Self.relayKeepalive) : policy.persistentKeepalive
            desired.peers.append(WireGuardPeer(
                publicKey: peer.publicKey, endpoint: choice.endpoint,
                persistentKeepalive: keepalive,
                allowedIPs: [IPNetwork.host(peer.wgIP)]))
        }

        let update = device.update(toReach: desired) { peer in
            policy.manages(peer) && (onlyPeer == nil || peer.publicKey == onlyPeer)
        }
        var actions = [WireGuardKey: Action](minimumCapacity: update.peers.count)
        for peer in update.peers {
            actions[peer.publicKey] = peer.flags.contains(.remove) ? .remove
                : peer.flags.contains(.updateOnly) ? .update : .add
        }
        var entries = [Entry]()
        entries.reserveCapacity(desired.peers.count + update.peers.count)
        for peer in desired.peers {
            let (alias, choice) = chosen[peer.publicKey]!
            entries.append(Entry(publicKey: peer.publicKey, alias: alias, action: actions[peer.publicKey] ?? .unchanged,
                                 endpoint: choice.endpoint ?? present[peer.publicKey]?.endpoint,
                                 reason: choice.reason, allowedIPs: peer.allowedIPs))
        }
        for peer in update.peers where peer.flags.contains(.remove) {
            entries.append(Entry(publicKey: peer.publicKey, alias: nil, action: .remove, endpoint: nil, reason: nil,
                                 allowedIPs: present[peer.publicKey]?.allowedIPs ?? []))
        }
        entries.sort { $0.publicKey.base64 < $1.publicKey.base64 }

        self.entries = entries
        self.excluded = excluded
        self.desired = desired
        self.update = Self.restartingRelayedSessions(update, desired: desired, present: present, chosen: chosen)
    }

    /// The update with the WireGuard session of each peer that moves onto a relay endpoint
    /// restarted: its entry becomes a removal followed by the peer as desired, in the same
    /// batch. The relay binds a side only on a handshake (docs/ARCHITECTURE.md §10); a session
    /// that was working directly would otherwise go on sending transport data to the relay,
    /// which drops it, until WireGuard rekeys up to two minutes later, while the other side's
    /// handshake waits at the relay for this side. A new session starts with a handshake.
    static func restartingRelayedSessions(_ update: WireGuardDevice, desired: WireGuardDevice,
                                          present: [WireGuardKey: WireGuardPeer],
                                          chosen: [WireGuardKey: (alias: String, choice: EndpointSelection.Choice)]) -> WireGuardDevice {
        var wanted = [WireGuardKey: WireGuardPeer](minimumCapacity: desired.peers.count)
        for peer in desired.peers { wanted[peer.publicKey] = peer }
        var result = update
        result.peers = update.peers.flatMap { entry -> [WireGuardPeer] in
            guard !entry.flags.contains(.remove), chosen[entry.publicKey]?.choice.reason == .relay,
                  let current = present[entry.publicKey], (current.lastHandshake?.seconds ?? 0) > 0,
                  current.endpoint != chosen[entry.publicKey]?.choice.endpoint, let peer = wanted[entry.publicKey] else { return [entry] }
            return [.removal(of: entry.publicKey), peer]
        }
        return result
    }
}
