extension PeerRegistry {
    /// Sets (or, with `nil`, clears) a peer's LAN or NAT endpoint with compare-and-swap,
    /// and writes only when the value changes. Returns whether it wrote.
    ///
    /// The write is one transaction that holds only while the peer still exists and the
    /// field is as read; otherwise it is read again and retried. A value stored under the
    /// original's name (`endpoints/lan`, `endpoints/nated`) counts as the current value and
    /// is deleted in the same transaction that writes the documented name.
    @discardableResult
    public func setEndpoint(_ kind: PeerEndpointKind, to endpoint: Endpoint?, of key: WireGuardKey) async throws(RegistryError) -> Bool {
        let (current, legacy) = PeerField.fields(for: kind)
        let desired = endpoint?.description
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let record = try await record(key: key)
            guard let fields = record.fields, let wgIP = fields.record(.wgIP) else {
                throw RegistryError(.peerNotFound, "no peer with key \(key.base64)")
            }
            let stored = fields.record(current), old = fields.record(legacy)
            let value = stored?.valueString ?? old?.valueString
            if value == desired || (desired == nil && stored == nil && old == nil) { return false }

            var compare = [EtcdCompare(key: wgIP.keyString, .createRevision(wgIP.createRevision))]
            var writes: [EtcdOperation] = []
            let currentKey = keys.field(current, of: key)
            compare.append(stored.map { EtcdCompare(key: currentKey, .modRevision($0.modRevision)) } ?? .absent(currentKey))
            if let desired {
                writes.append(.put(EtcdPutRequest(key: currentKey, value: desired)))
            } else if stored != nil {
                writes.append(.delete(EtcdDeleteRequest(key: currentKey)))
            }
            if let old {
                compare.append(EtcdCompare(key: old.keyString, .modRevision(old.modRevision)))
                writes.append(.delete(EtcdDeleteRequest(key: old.keyString)))
            }
            let response = try await txn(EtcdTxnRequest(compare: compare, success: writes),
                                         "set \(kind.rawValue) endpoint of \(key.base64)")
            if response.succeeded { return true }
        }
        throw RegistryError(.conflict, "set \(kind.rawValue) endpoint of \(key.base64): the peer kept changing")
    }
}
