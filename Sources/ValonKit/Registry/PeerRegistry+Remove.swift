extension PeerRegistry {
    /// Removes a peer and returns it as it was: all its keys, its alias, its address
    /// claim and its relayed pairs are deleted in one transaction (docs/ARCHITECTURE.md §3). The alias and the claim are deleted
    /// only while they still point to this key. Retried when the peer changes meanwhile.
    /// A damaged record (no readable `wg_ip` or alias) is removed all the same, and `nil`
    /// is returned for it.
    @discardableResult
    public func remove(key: WireGuardKey) async throws(RegistryError) -> Peer? {
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let record = try await record(key: key)
            guard let fields = record.fields else {
                throw RegistryError(.peerNotFound, "no peer with key \(key.base64)")
            }
            let alias = fields.value(.alias)
            let address = fields.value(.wgIP).flatMap(IPAddress.init)
            // What the alias and the address claim hold now.
            var reads: [EtcdOperation] = []
            if let alias { reads.append(.range(EtcdRangeRequest(key: keys.alias(alias)))) }
            if let address { reads.append(.range(EtcdRangeRequest(key: keys.ip(address)))) }
            let current = reads.isEmpty ? [] : try await txn(EtcdTxnRequest(success: reads), "read peer \(key.base64)")
                .responses.map { $0.range?.kvs.first }

            // Its relayed pairs go with it (docs/ARCHITECTURE.md §10).
            let relays = try await relayDeletions(try await relayRecords(of: key))

            // Nothing of the peer may change between the reads and the delete.
            var compare = fields.all.map { EtcdCompare(key: $0.keyString, .modRevision($0.modRevision)) } + relays.compare
            var deletes: [EtcdOperation] = [.delete(.prefix(keys.peer(key)))] + relays.deletes
            var index = 0
            for owned in [alias.map(keys.alias), address.map(keys.ip)] {
                guard let owned else { continue }
                if let kv = current[index], kv.valueString == key.base64 {
                    compare.append(EtcdCompare(key: owned, .modRevision(kv.modRevision)))
                    deletes.append(.delete(EtcdDeleteRequest(key: owned)))
                }
                index += 1
            }
            let response = try await txn(EtcdTxnRequest(compare: compare, success: deletes), "remove peer \(key.base64)")
            if response.succeeded { return record.peer }
        }
        throw RegistryError(.conflict, "remove peer \(key.base64): the peer kept changing")
    }

    /// Removes the peer that has this alias.
    @discardableResult
    public func remove(alias: String) async throws(RegistryError) -> Peer? {
        guard let key = try await owner(ofAlias: alias) else {
            throw RegistryError(.peerNotFound, "no peer with alias \(alias)")
        }
        return try await remove(key: key)
    }

    /// Removes the peer named by a base64 key or an alias.
    @discardableResult
    public func remove(named name: String) async throws(RegistryError) -> Peer? {
        if let key = try? WireGuardKey(base64: name) { return try await remove(key: key) }
        return try await remove(alias: name)
    }
}
