extension PeerRegistry {
    /// Registers a peer in one transaction: its alias, its address claim and its keys are
    /// created together, only if none of them exists (docs/ARCHITECTURE.md §3).
    ///
    /// Without `address`, the lowest free address of the network is taken (never the
    /// network, broadcast or a discovery address); a lost race for it is retried with the
    /// next free one. A requested `address` must be inside the network and free.
    /// Errors name the conflict: `.aliasTaken` and `.addressTaken` carry the key that holds
    /// them, `.keyRegistered` says the key is already there.
    @discardableResult
    public func add(key: WireGuardKey, alias: String, address requested: IPAddress? = nil,
                    lanEndpoint: Endpoint? = nil, natEndpoint: Endpoint? = nil) async throws(RegistryError) -> Peer {
        try PeerValidation.alias(alias)
        let allocator = AddressAllocator(network: configuration.network, reserved: configuration.reservedAddresses)
        if let requested { try allocator.validate(requested) }
        var skipped: Set<IPAddress> = []
        // The whole registry is read once (peers of the original layout hold addresses
        // without a claim); after a lost race only the claims are read again.
        var inUse = try await addressesInUse(claimsOnly: false)
        for attempt in 0..<Self.allocationAttempts {
            if attempt > 0 {
                await Self.backOff(attempt)
                inUse.merge(try await addressesInUse(claimsOnly: true)) { _, claim in claim }
            }
            let address: IPAddress
            if let requested {
                // A peer of the original layout may hold the address without a claim.
                if let holder = inUse[requested] {
                    throw RegistryError(.addressTaken, "address \(requested) is taken by \(holder)", holder: holder)
                }
                address = requested
            } else {
                let taken = Set(inUse.keys).union(skipped)
                guard let free = allocator.lowestFree(taken: taken) else {
                    throw RegistryError(.networkFull, "no free address left in \(configuration.network) for \(alias)")
                }
                address = free
            }
            let peer = Peer(publicKey: key, alias: alias, wgIP: address, lanEndpoint: lanEndpoint, natEndpoint: natEndpoint)
            let response = try await txn(addTransaction(peer), "add peer \(alias)")
            if response.succeeded { return peer }
            let conflict = addConflict(peer, response)
            // Another writer took this address between our read and our write: take the next.
            if conflict.code == .addressTaken && requested == nil {
                skipped.insert(address)
                continue
            }
            throw conflict
        }
        throw RegistryError(.conflict, "add peer \(alias): lost the race for a free address \(Self.allocationAttempts) times")
    }

    /// Concurrent adds all want the lowest free address and only one wins each round;
    /// losers read again and try the next, so up to one round per concurrent writer.
    static let allocationAttempts = 256


    /// The transaction of ``add(key:alias:address:lanEndpoint:natEndpoint:)``; its failure
    /// branch reads what was in the way.
    func addTransaction(_ peer: Peer) -> EtcdTxnRequest {
        let key = peer.publicKey, value = peer.publicKey.base64
        var puts = [
            EtcdPutRequest(key: keys.field(.wgIP, of: key), value: peer.wgIP.description),
            EtcdPutRequest(key: keys.field(.alias, of: key), value: peer.alias),
        ]
        if let lan = peer.lanEndpoint { puts.append(EtcdPutRequest(key: keys.field(.lanEndpoint, of: key), value: lan.description)) }
        if let nat = peer.natEndpoint { puts.append(EtcdPutRequest(key: keys.field(.natEndpoint, of: key), value: nat.description)) }
        puts.append(EtcdPutRequest(key: keys.alias(peer.alias), value: value))
        puts.append(EtcdPutRequest(key: keys.ip(peer.wgIP), value: value))
        var peerKeys = EtcdRangeRequest.prefix(keys.peer(key))
        peerKeys.limit = 1
        return EtcdTxnRequest(
            compare: [.absent(keys.alias(peer.alias)), .absent(keys.ip(peer.wgIP)), .absent(prefix: keys.peer(key))],
            success: puts.map { .put($0) },
            failure: [.range(EtcdRangeRequest(key: keys.alias(peer.alias))),
                      .range(EtcdRangeRequest(key: keys.ip(peer.wgIP))),
                      .range(peerKeys)])
    }

    /// Why an add transaction failed, from the three reads of its failure branch.
    func addConflict(_ peer: Peer, _ response: EtcdTxnResponse) -> RegistryError {
        let reads = response.responses.map { $0.range?.kvs.first }
        let (aliasHolder, addressHolder, existing) = (reads[safe: 0] ?? nil, reads[safe: 1] ?? nil, reads[safe: 2] ?? nil)
        if existing != nil {
            return RegistryError(.keyRegistered, "a peer with key \(peer.publicKey.base64) is already registered",
                                 holder: peer.publicKey.base64)
        }
        if let aliasHolder {
            return RegistryError(.aliasTaken, "alias \(peer.alias) is taken by \(aliasHolder.valueString)",
                                 holder: aliasHolder.valueString)
        }
        if let addressHolder {
            return RegistryError(.addressTaken, "address \(peer.wgIP) is taken by \(addressHolder.valueString)",
                                 holder: addressHolder.valueString)
        }
        return RegistryError(.conflict, "add peer \(peer.alias): the registry changed during the transaction")
    }

    /// Every address in use and the key that holds it: the claims under `ips/` and the
    /// `wg_ip` of peers written without a claim (registries of the original Go code),
    /// read in one range over the registry's prefix; with `claimsOnly`, one range over `ips/`.
    func addressesInUse(claimsOnly: Bool) async throws(RegistryError) -> [IPAddress: String] {
        let response = try await range(.prefix(claimsOnly ? keys.ips : keys.prefix), "read addresses in use")
        var taken: [IPAddress: String] = [:]
        let ips = Array(keys.ips.utf8)
        let wgIPSuffix = Array(("/" + PeerField.wgIP.rawValue).utf8)
        for kv in response.kvs {
            if kv.key.starts(with: ips) {
                if let address = IPAddress(String(decoding: kv.key[ips.count...], as: UTF8.self)) {
                    taken[address] = kv.valueString
                }
            } else if kv.key.count > wgIPSuffix.count, kv.key.suffix(wgIPSuffix.count).elementsEqual(wgIPSuffix),
                      let (key, field) = keys.parsePeerKey(kv.key), field == Substring(PeerField.wgIP.rawValue),
                      let address = IPAddress(kv.valueString), taken[address] == nil {
                taken[address] = String(key)
            }
        }
        return taken
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
