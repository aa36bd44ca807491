/// One peer as `peer list` and `peer show` present it: the registry's record and, when
/// the discovery interface has the peer, what the interface knows of it.
public struct PeerView: Sendable, Hashable {
    /// A peer this one is relayed with (docs/ARCHITECTURE.md §10): its alias (the base64 key
    /// when it has no record) and the relay port of the pair.
    public struct RelayPartner: Sendable, Hashable {
        public var alias: String
        public var publicKey: WireGuardKey
        public var port: UInt16

        public init(alias: String, publicKey: WireGuardKey, port: UInt16) {
            self.alias = alias
            self.publicKey = publicKey
            self.port = port
        }
    }

    public var peer: Peer
    /// The interface's entry for the peer; `nil` when the interface is missing or lacks it.
    public var interfacePeer: WireGuardPeer?
    /// The pairs of this peer that go through the discovery node's relay, in port order.
    public var relays: [RelayPartner]

    public init(peer: Peer, interfacePeer: WireGuardPeer?, relays: [RelayPartner] = []) {
        self.peer = peer
        self.interfacePeer = interfacePeer
        self.relays = relays
    }

    /// The relay partners of `key` among `allocations`, named by the peers of `peers`.
    public static func relayPartners(of key: WireGuardKey, in allocations: [RelayAllocation], peers: [Peer]) -> [RelayPartner] {
        allocations.filter { $0.involves(key) }.sorted { $0.port < $1.port }.compactMap { relay in
            guard let other = relay.other(than: key) else { return nil }
            let alias = peers.first { $0.publicKey == other }?.alias ?? other.base64
            return RelayPartner(alias: alias, publicKey: other, port: relay.port)
        }
    }
}

/// The outcome of `peer remove`.
public struct PeerRemoval: Sendable, Hashable {
    /// The alias or key the operator named.
    public var name: String
    /// The peer as it was; `nil` for a damaged record (no readable address or alias),
    /// which is removed all the same.
    public var peer: Peer?
    /// Whether the interface held the peer and it was removed from it.
    public var removedFromInterface: Bool
    /// Why the interface was not changed, when it was not.
    public var interfaceNote: String?
}

extension Administrator {
    /// `peer list`: every registered peer with its interface state, and whether the
    /// interface could be read (`nil` when it does not exist).
    public func listPeers() async throws(AdminError) -> (peers: [PeerView], interface: WireGuardDevice?, problems: [String]) {
        let listing = try await registryCall { () async throws(RegistryError) in try await registry.list() }
        let device = try readInterface()
        let views = listing.peers.map {
            PeerView(peer: $0, interfacePeer: device?.peer($0.publicKey),
                     relays: PeerView.relayPartners(of: $0.publicKey, in: listing.relays, peers: listing.peers))
        }
        return (views, device, listing.problems.map(\.message))
    }

    /// `peer show`: the peer named by its base64 key or its alias, and whether the
    /// interface exists.
    public func showPeer(named name: String) async throws(AdminError) -> (view: PeerView, interfacePresent: Bool) {
        let found = try await registryCall { () async throws(RegistryError) in try await registry.peer(named: name) }
        guard let peer = found else {
            throw AdminError(.notFound, "no peer with alias or key \"\(name)\"")
        }
        let listing = try await registryCall { () async throws(RegistryError) in try await registry.list() }
        let device = try readInterface()
        let relays = PeerView.relayPartners(of: peer.publicKey, in: listing.relays, peers: listing.peers)
        return (PeerView(peer: peer, interfacePeer: device?.peer(peer.publicKey), relays: relays), device != nil)
    }

    /// `peer remove`: deletes every key of the peer in one etcd transaction, then takes
    /// the peer off the discovery interface. The interface step follows the registry: a
    /// failure there is reported in ``PeerRemoval/interfaceNote`` and the discovery
    /// daemon's reconciler removes the peer.
    public func removePeer(named name: String) async throws(AdminError) -> PeerRemoval {
        let peer = try await registryCall { () async throws(RegistryError) in try await registry.remove(named: name) }
        func outcome(_ removed: Bool, _ note: String? = nil) -> PeerRemoval {
            PeerRemoval(name: name, peer: peer, removedFromInterface: removed, interfaceNote: note)
        }
        guard let key = peer?.publicKey ?? (try? WireGuardKey(base64: name)) else {
            return outcome(false, "the damaged record of \(name) is removed from the registry; valon-discovery removes its key from \(interfaceName)")
        }
        let device: WireGuardDevice?
        do {
            device = try readInterface()
        } catch {
            return outcome(false, "the peer is removed from the registry, but \(interfaceName) could not be read: \(error.message)")
        }
        guard let device else { return outcome(false, "interface \(interfaceName) does not exist") }
        guard device.peer(key) != nil else { return outcome(false) }
        do {
            try applyToInterface(WireGuardDevice(name: interfaceName, peers: [.removal(of: key)]))
        } catch {
            return outcome(false, "the peer is removed from the registry, but removing it from \(interfaceName) failed: \(error.message); valon-discovery removes it")
        }
        return outcome(true)
    }

    /// `peer export`: every peer as `{"pubkey", "ip", "alias"}`, the seed's export format.
    public func exportPeers() async throws(AdminError) -> [PeerExport] {
        let listing = try await registryCall { () async throws(RegistryError) in try await registry.list() }
        return listing.peers.map(PeerExport.init)
    }
}
