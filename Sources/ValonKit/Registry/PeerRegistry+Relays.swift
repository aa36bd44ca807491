extension PeerRegistry {
    /// Every relayed pair, read with one range request, and the records that did not parse.
    public func relays() async throws(RegistryError) -> (allocations: [RelayAllocation], problems: [RegistryError]) {
        let response = try await range(.prefix(keys.relays), "list relays")
        return RelayAllocation.allocations(from: response.kvs, keys: keys)
    }

    /// The relay of the pair `a`–`b`, if it has one.
    public func relay(between a: WireGuardKey, and b: WireGuardKey) async throws(RegistryError) -> RelayAllocation? {
        let response = try await range(EtcdRangeRequest(key: keys.relay(a, b)), "read relay")
        return RelayAllocation.allocations(from: response.kvs, keys: keys).allocations.first
    }

    /// Gives the pair `a`–`b` a relay port from `ports`, or returns the one it has
    /// (`created` false): idempotent, and atomic in etcd. One transaction writes the pair's
    /// record and the port's claim, and succeeds only while neither exists and both peers
    /// are registered, so two callers (or two discovery nodes) never give one port to two
    /// pairs, and a pair never gets two ports. Lost races are retried.
    public func allocateRelay(between a: WireGuardKey, and b: WireGuardKey,
                              ports: ClosedRange<UInt16>) async throws(RegistryError) -> (allocation: RelayAllocation, created: Bool) {
        guard a != b else { throw RegistryError(.invalidRelay, "a relay needs two peers; both keys are \(a.base64)") }
        let (first, second) = RelayAllocation.ordered(a, b)
        let pairKey = keys.relay(first, second)
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let reads = try await txn(EtcdTxnRequest(success: [
                .range(EtcdRangeRequest(key: pairKey)),
                .range(EtcdRangeRequest(key: keys.field(.wgIP, of: first))),
                .range(EtcdRangeRequest(key: keys.field(.wgIP, of: second))),
                .range(keysOnly(.prefix(keys.relayPorts))),
            ]), "read relay \(first.base64)/\(second.base64)").responses.map { $0.range }
            if let existing = reads[0].flatMap({ RelayAllocation.allocations(from: $0.kvs, keys: keys).allocations.first }) {
                return (existing, false)
            }
            for (index, key) in [(1, first), (2, second)] where reads[index]?.kvs.isEmpty != false {
                throw RegistryError(.peerNotFound, "no peer with key \(key.base64)")
            }
            let head = keys.relayPorts.utf8.count
            let claimed = Set((reads[3]?.kvs ?? []).compactMap { UInt16(String(decoding: $0.key.dropFirst(head), as: UTF8.self)) })
            guard let port = ports.first(where: { !claimed.contains($0) }) else {
                throw RegistryError(.relayPortsExhausted,
                    "every relay port of \(ports.lowerBound)-\(ports.upperBound) is allocated (\(ports.count) pairs); remove idle relays (valonctl relay list, valonctl relay remove) or widen relay_ports")
            }
            let claim = keys.relayPort(port)
            let response = try await txn(EtcdTxnRequest(
                compare: [
                    EtcdCompare(key: pairKey, .createRevision(0)),
                    EtcdCompare(key: claim, .createRevision(0)),
                    EtcdCompare(key: keys.field(.wgIP, of: first), .createRevision(0), .greater),
                    EtcdCompare(key: keys.field(.wgIP, of: second), .createRevision(0), .greater),
                ],
                success: [
                    .put(EtcdPutRequest(key: pairKey, value: String(port))),
                    .put(EtcdPutRequest(key: claim, value: first.base64 + "/" + second.base64)),
                ]), "allocate relay port \(port) to \(first.base64)/\(second.base64)")
            if response.succeeded { return (RelayAllocation(between: first, and: second, port: port), true) }
        }
        throw RegistryError(.conflict, "allocate a relay for \(first.base64)/\(second.base64): other writers kept taking the ports")
    }

    /// Removes the relay of the pair `a`–`b` and its port's claim in one transaction;
    /// returns what was removed, `nil` when the pair had none. A claim that names another
    /// pair is left alone. With `port`, only an allocation on that port is removed (a drop
    /// decided on an old look never deletes a newer allocation).
    @discardableResult
    public func removeRelay(between a: WireGuardKey, and b: WireGuardKey, port: UInt16? = nil) async throws(RegistryError) -> RelayAllocation? {
        let pairKey = keys.relay(a, b)
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let response = try await range(EtcdRangeRequest(key: pairKey), "read relay")
            guard let kv = response.kvs.first else { return nil }
            if let port, kv.valueString != String(port) { return nil }
            let operations = try await relayDeletions([kv])
            let done = try await txn(EtcdTxnRequest(compare: operations.compare, success: operations.deletes),
                                     "remove relay \(String(pairKey.dropFirst(keys.relays.count)))")
            if done.succeeded { return RelayAllocation.allocations(from: [kv], keys: keys).allocations.first }
        }
        throw RegistryError(.conflict, "remove the relay \(pairKey): it kept changing")
    }

    /// The relay records of the pairs `key` is in (for removing the peer with them).
    func relayRecords(of key: WireGuardKey) async throws(RegistryError) -> [EtcdKeyValue] {
        let response = try await range(.prefix(keys.relays), "list relays")
        return response.kvs.filter { kv in keys.parseRelayKey(kv.key).map { $0.0 == key || $0.1 == key } ?? false }
    }

    /// What deletes relay records `kvs` and the port claims that name their pairs, and the
    /// compares that keep it from deleting anything that changed since it was read.
    func relayDeletions(_ kvs: [EtcdKeyValue]) async throws(RegistryError) -> (compare: [EtcdCompare], deletes: [EtcdOperation]) {
        var compare = [EtcdCompare](), deletes = [EtcdOperation]()
        let allocations = kvs.map { RelayAllocation.allocations(from: [$0], keys: keys).allocations.first }
        let claims = allocations.compactMap { $0.map { keys.relayPort($0.port) } }
        let current = claims.isEmpty ? [] : try await txn(EtcdTxnRequest(success: claims.map { .range(EtcdRangeRequest(key: $0)) }),
                                                          "read relay port claims").responses.map { $0.range?.kvs.first }
        var index = 0
        for (kv, allocation) in zip(kvs, allocations) {
            compare.append(EtcdCompare(key: kv.keyString, .modRevision(kv.modRevision)))
            deletes.append(.delete(EtcdDeleteRequest(key: kv.keyString)))
            guard let allocation else { continue }
            if let claim = current[index], claim.valueString == allocation.first.base64 + "/" + allocation.second.base64 {
                compare.append(EtcdCompare(key: claim.keyString, .modRevision(claim.modRevision)))
                deletes.append(.delete(EtcdDeleteRequest(key: claim.keyString)))
            }
            index += 1
        }
        return (compare, deletes)
    }

    /// A range request for keys only.
    private func keysOnly(_ request: EtcdRangeRequest) -> EtcdRangeRequest {
        var request = request
        request.keysOnly = true
        return request
    }
}
