/// `valonctl relay …` (docs/ARCHITECTURE.md §10): the relayed pairs of the registry.
extension Administrator {
    /// One relayed pair with its peers' aliases (the base64 key where a peer is gone).
    public struct RelayView: Sendable, Hashable, Encodable {
        public var port: UInt16
        public var first: String
        public var second: String
        public var firstKey: String
        public var secondKey: String

        enum CodingKeys: String, CodingKey {
            case port
            case first = "first_alias"
            case second = "second_alias"
            case firstKey = "first_pubkey"
            case secondKey = "second_pubkey"
        }
    }

    /// Every relayed pair, in port order, and the records that did not parse.
    public func listRelays() async throws(AdminError) -> (relays: [RelayView], problems: [String]) {
        let (listing, relays) = try await registryCall { () async throws(RegistryError) in
            (try await registry.list(), try await registry.relays())
        }
        var alias = [WireGuardKey: String]()
        for peer in listing.peers { alias[peer.publicKey] = peer.alias }
        let views = relays.allocations.sorted { $0.port < $1.port }.map { relay in
            RelayView(port: relay.port, first: alias[relay.first] ?? relay.first.base64, second: alias[relay.second] ?? relay.second.base64,
                      firstKey: relay.first.base64, secondKey: relay.second.base64)
        }
        return (views, relays.problems.map(\.message))
    }

    /// Removes the relay of the pair named by two aliases or base64 keys; the peers then try
    /// direct paths again. Returns the removed pair; `notFound` when it had none.
    public func removeRelay(between a: String, and b: String) async throws(AdminError) -> RelayView {
        let keys = try await registryCall { () async throws(RegistryError) -> (WireGuardKey, WireGuardKey) in
            func key(_ name: String) async throws(RegistryError) -> WireGuardKey {
                if let key = try? WireGuardKey(base64: name) { return key }
                guard let peer = try await registry.peer(alias: name) else {
                    throw RegistryError(.peerNotFound, "no peer with alias \(name)")
                }
                return peer.publicKey
            }
            return (try await key(a), try await key(b))
        }
        let removed = try await registryCall { () async throws(RegistryError) in
            try await registry.removeRelay(between: keys.0, and: keys.1)
        }
        guard let removed else { throw AdminError(.notFound, "\(a) and \(b) have no relay") }
        let names = [keys.0: a, keys.1: b]
        return RelayView(port: removed.port, first: names[removed.first] ?? removed.first.base64,
                         second: names[removed.second] ?? removed.second.base64,
                         firstKey: removed.first.base64, secondKey: removed.second.base64)
    }
}
