/// The discovery nodes' own records (docs/ARCHITECTURE.md §11): each node registers under
/// `<prefix>discovery/<base64 key>/` on an etcd lease and claims its address under `ips/`.
extension PeerRegistry {
    /// Every registered discovery node, in key order, and the records that did not parse.
    public func discoveryNodes() async throws(RegistryError) -> (nodes: [DiscoveryNode], problems: [RegistryError]) {
        let response = try await range(.prefix(keys.discovery), "list discovery nodes")
        return DiscoveryNode.nodes(from: response.kvs, keys: keys)
    }

    /// Registers `node` on a new lease of `ttl` seconds and returns the lease's ID. One
    /// transaction writes the node's fields (on the lease) and its address claim under `ips/`
    /// (not leased: the address stays the node's while it is down, so `peer add` never hands
    /// it out), and holds only while the claim is absent or already the node's. A claim held by
    /// a peer is refused with `.addressTaken`, naming the holder; the lease is revoked then.
    public func register(_ node: DiscoveryNode, ttl: Int64) async throws(RegistryError) -> Int64 {
        // A lease can expire between its grant and the transaction on a machine that stalls
        // for longer than the TTL: etcd then refuses the writes ("requested lease not found").
        // Such a registration is tried again with a fresh lease, a few times.
        var attempt = 0
        while true {
            do {
                return try await registerOnce(node, ttl: ttl)
            } catch where attempt < 3 && error.description.contains("lease not found") {
                attempt += 1
            }
        }
    }

    private func registerOnce(_ node: DiscoveryNode, ttl: Int64) async throws(RegistryError) -> Int64 {
        guard let etcd else { throw RegistryError(.etcd, "register discovery node \(node.publicKey.base64): leases need etcd") }
        let lease: EtcdLease
        do {
            lease = try await etcd.grantLease(ttl: ttl)
        } catch {
            throw RegistryError(.etcd, "register discovery node \(node.publicKey.base64): cannot grant a lease of \(ttl) s", etcdError: error)
        }
        let claim = keys.ip(node.wgIP)
        var writes = [EtcdOperation]()
        func put(_ field: DiscoveryNode.Field, _ value: String?) {
            guard let value else { return }
            var request = EtcdPutRequest(key: keys.field(field, ofNode: node.publicKey), value: value)
            request.lease = lease.id
            writes.append(.put(request))
        }
        put(.wgIP, node.wgIP.description)
        put(.endpoint, node.endpoint)
        put(.relay, node.relay)
        // Fields of an earlier registration that this one no longer has.
        let stale = DiscoveryNode.Field.allCases.filter { field in
            switch field {
            case .wgIP: false
            case .endpoint: node.endpoint == nil
            case .relay: node.relay == nil
            }
        }
        writes += stale.map { .delete(EtcdDeleteRequest(key: keys.field($0, ofNode: node.publicKey))) }
        let own = node.publicKey.base64
        let unclaimed = try await txn(EtcdTxnRequest(compare: [.absent(claim)],
                                                     success: [.put(EtcdPutRequest(key: claim, value: own))] + writes),
                                      "register discovery node \(own)")
        if unclaimed.succeeded { return lease.id }
        let mine = try await txn(EtcdTxnRequest(compare: [EtcdCompare(key: claim, .value(Array(own.utf8)))], success: writes),
                                 "register discovery node \(own)")
        if mine.succeeded { return lease.id }
        try? await etcd.revokeLease(lease.id)
        let holder = try await range(EtcdRangeRequest(key: claim), "read the claim of \(node.wgIP)").kvs.first?.valueString ?? "?"
        throw RegistryError(.addressTaken, "discovery node \(own): its address \(node.wgIP) is claimed by \(holder)", holder: holder)
    }

    /// Renews the lease once; returns the TTL left, 0 when the lease has expired (the
    /// records are gone: register again).
    public func renew(lease: Int64) async throws(RegistryError) -> Int64 {
        guard let etcd else { throw RegistryError(.etcd, "renew lease \(lease): leases need etcd") }
        do {
            return try await etcd.keepAlive(lease: lease).ttl
        } catch {
            throw RegistryError(.etcd, "renew the discovery lease \(lease)", etcdError: error)
        }
    }

    /// Removes a node's records at once by revoking its lease (a clean shutdown). The
    /// address claim stays.
    public func unregister(lease: Int64) async throws(RegistryError) {
        guard let etcd else { throw RegistryError(.etcd, "revoke lease \(lease): leases need etcd") }
        do {
            try await etcd.revokeLease(lease)
        } catch {
            throw RegistryError(.etcd, "revoke the discovery lease \(lease)", etcdError: error)
        }
    }

    /// The seconds left on a lease (`/v3/lease/timetolive`); `nil` for an expired or unknown lease.
    public func timeToLive(lease: Int64) async throws(RegistryError) -> Int64? {
        guard let etcd else { throw RegistryError(.etcd, "lease \(lease): leases need etcd") }
        do {
            let ttl = try await etcd.timeToLive(lease: lease)
            return ttl > 0 ? ttl : nil
        } catch {
            throw RegistryError(.etcd, "read the TTL of lease \(lease)", etcdError: error)
        }
    }

    /// Applies a discovery node's look at a peer's endpoint (``LearnedEndpointRule``): reads
    /// the peer's `nat_endpoint`, `nat_seen` and `nat_kind`, decides, and writes in one
    /// compare-and-swap transaction. Returns what was written (``LearnedEndpointRule/Decision/nothing``
    /// when nothing was).
    public func learnNATEndpoint(_ observed: Endpoint, of key: WireGuardKey, handshake: Int64?, node: WireGuardKey,
                                 liveNodes: Set<WireGuardKey>? = nil) async throws(RegistryError) -> LearnedEndpointRule.Decision {
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let record = try await record(key: key)
            guard let fields = record.fields, let wgIP = fields.record(.wgIP) else {
                throw RegistryError(.peerNotFound, "no peer with key \(key.base64)")
            }
            let (current, legacy) = PeerField.fields(for: .nat)
            let seen = LearnedEndpointRule.parseSeen(fields.value(.natSeen))
            let storedText = fields.value(current) ?? fields.value(legacy)
            let stored = LearnedEndpointRule.Stored(
                endpoint: storedText.flatMap { Endpoint($0) }, seenAt: seen.at, seenBy: seen.by,
                kind: fields.value(.natKind).flatMap { NATKind(rawValue: $0) })
            let decision = LearnedEndpointRule.decide(stored: stored, observed: observed, handshake: handshake, node: node,
                                                      liveNodes: liveNodes)
            guard decision != .nothing else { return decision }

            var compare = [EtcdCompare(key: wgIP.keyString, .createRevision(wgIP.createRevision))]
            var writes = [EtcdOperation]()
            for field in [current, legacy, .natSeen, .natKind] {
                let name = keys.field(field, of: key)
                compare.append(fields.record(field).map { EtcdCompare(key: name, .modRevision($0.modRevision)) } ?? .absent(name))
            }
            if let endpoint = decision.endpoint {
                writes.append(.put(EtcdPutRequest(key: keys.field(current, of: key), value: endpoint.description)))
                writes.append(.put(EtcdPutRequest(key: keys.field(.natSeen, of: key),
                                                  value: LearnedEndpointRule.seenValue(at: handshake ?? 0, by: node))))
                if fields.record(legacy) != nil { writes.append(.delete(EtcdDeleteRequest(key: keys.field(legacy, of: key)))) }
            }
            if let kind = decision.kind {
                let name = keys.field(.natKind, of: key)
                writes.append(kind.map { .put(EtcdPutRequest(key: name, value: $0.rawValue)) } ?? .delete(EtcdDeleteRequest(key: name)))
            }
            let response = try await txn(EtcdTxnRequest(compare: compare, success: writes), "learn the NAT endpoint of \(key.base64)")
            if response.succeeded { return decision }
        }
        throw RegistryError(.conflict, "learn the NAT endpoint of \(key.base64): the peer kept changing")
    }
}
