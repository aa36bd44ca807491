/// The peer registry in etcd (docs/ARCHITECTURE.md §3): list, look up, add, remove and update peers,
/// each write one etcd transaction so that concurrent writers never leave a half peer.
public final class PeerRegistry: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var keys: RegistryKeys
        /// The WireGuard network addresses are allocated from.
        public var network: IPNetwork
        /// The discovery nodes' WireGuard addresses, never handed to a peer.
        public var reservedAddresses: Set<IPAddress>

        public init(network: IPNetwork, reservedAddresses: Set<IPAddress> = [], keys: RegistryKeys = RegistryKeys()) {
            self.network = network
            self.reservedAddresses = reservedAddresses
            self.keys = keys
        }
    }

    /// Where the registry lives: etcd, or a store with its semantics (``RegistryStore``).
    public let store: any RegistryStore
    /// The etcd client, for what only etcd has (watches, member status); `nil` for another store.
    public let etcd: EtcdClient?
    public let configuration: Configuration
    var keys: RegistryKeys { configuration.keys }

    /// How often a write is tried again after losing a race to another writer.
    static let attempts = 16

    /// A short random pause that grows with the attempts, so that racing writers spread out.
    static func backOff(_ attempt: Int) async {
        let ceiling = min(100, 2 * attempt)
        try? await Task.sleep(for: .milliseconds(Int.random(in: 0...ceiling)))
    }

    public init(etcd: EtcdClient, configuration: Configuration) {
        self.store = etcd
        self.etcd = etcd
        self.configuration = configuration
    }

    /// A registry in `store`; ``etcd`` is set when the store is an ``EtcdClient``.
    public init(store: any RegistryStore, configuration: Configuration) {
        self.store = store
        self.etcd = store as? EtcdClient
        self.configuration = configuration
    }

    /// Every peer, every relayed pair and every registered discovery node, and the revision
    /// they were read at.
    ///
    /// With `revision`, the registry as it was at that earlier revision (an IXFR's base,
    /// docs/ARCHITECTURE.md §12); a revision etcd has compacted away fails with the etcd
    /// error that says so.
    public func list(atRevision revision: Int64? = nil) async throws(RegistryError) -> PeerListing {
        var attempt = 0
        while true {
            // One range request without a limit: etcd answers it from one revision, so the
            // listing is a consistent cut of the registry (never pages, never mixes two states).
            var peerRequest = EtcdRangeRequest.prefix(keys.peers)
            if let revision { peerRequest.revision = revision }
            let response = try await range(peerRequest, "list peers")
            let listed = revision ?? response.header.revision
            guard !response.more else {
                throw RegistryError(.etcd, "list peers: etcd returned \(response.kvs.count) of \(response.count) keys (a limit is in force)")
            }
            // The relays at the same revision, so the listing stays one cut.
            var relayRequest = EtcdRangeRequest.prefix(keys.relays)
            relayRequest.revision = listed
            var nodeRequest = EtcdRangeRequest.prefix(keys.discovery)
            nodeRequest.revision = listed
            let relays: EtcdRangeResponse, nodes: EtcdRangeResponse
            do {
                relays = try await range(relayRequest, "list relays")
                nodes = try await range(nodeRequest, "list discovery nodes")
            } catch where revision == nil && attempt < 3 && error.code == .etcd {
                // That revision is gone (compacted; a store without history moved on): read all again.
                attempt += 1
                continue
            }
            let (peers, problems) = PeerRecords.peers(from: response.kvs, keys: keys)
            let (allocations, relayProblems) = RelayAllocation.allocations(from: relays.kvs, keys: keys)
            let (discoveryNodes, nodeProblems) = DiscoveryNode.nodes(from: nodes.kvs, keys: keys)
            return PeerListing(peers: peers, revision: listed, problems: problems + relayProblems + nodeProblems,
                               relays: allocations, discoveryNodes: discoveryNodes)
        }
    }

    /// The peer with this key, or `nil`.
    public func peer(key: WireGuardKey) async throws(RegistryError) -> Peer? {
        try await record(key: key).peer
    }

    /// The peer with this alias, or `nil`.
    public func peer(alias: String) async throws(RegistryError) -> Peer? {
        guard let key = try await owner(ofAlias: alias) else { return nil }
        return try await peer(key: key)
    }

    /// The peer named by a base64 key or an alias, as `valonctl peer show/remove` take it.
    public func peer(named name: String) async throws(RegistryError) -> Peer? {
        if let key = try? WireGuardKey(base64: name) { return try await peer(key: key) }
        return try await peer(alias: name)
    }

    // MARK: - Helpers shared by the operations

    /// One peer's stored records and the peer they make, if they make one.
    struct Record {
        var fields: PeerRecords.Fields?
        var peer: Peer?
        var revision: Int64
    }

    func record(key: WireGuardKey) async throws(RegistryError) -> Record {
        let response = try await range(.prefix(keys.peer(key)), "read peer \(key.base64)")
        let fields = PeerRecords.group(response.kvs, keys: keys).first
        var problems: [RegistryError] = []
        let peer = fields.flatMap { PeerRecords.peer(from: $0, problems: &problems) }
        return Record(fields: fields, peer: peer, revision: response.header.revision)
    }

    /// The key an alias points to.
    func owner(ofAlias alias: String) async throws(RegistryError) -> WireGuardKey? {
        guard let kv = try await range(EtcdRangeRequest(key: keys.alias(alias)), "read alias \(alias)").kvs.first else {
            return nil
        }
        guard let key = try? WireGuardKey(base64: kv.valueString) else {
            throw RegistryError(.invalidRecord, "alias \(alias) points to \"\(kv.valueString.prefix(64))\", which is not a key")
        }
        return key
    }

    func range(_ request: EtcdRangeRequest, _ what: String) async throws(RegistryError) -> EtcdRangeResponse {
        do {
            return try await store.range(request)
        } catch {
            throw RegistryError(what, error)
        }
    }

    func txn(_ request: EtcdTxnRequest, _ what: String) async throws(RegistryError) -> EtcdTxnResponse {
        do {
            return try await store.txn(request)
        } catch {
            throw RegistryError(what, error)
        }
    }
}
