import Foundation

/// Several discovery nodes (docs/ARCHITECTURE.md §11): the nodes a sync may read from and
/// report to, in the order it tries them, and the WireGuard peers it keeps for them.
extension ValonSync {
    /// One discovery node to try: its key, its DNS server inside the tunnel, its DDNS API.
    struct DiscoveryCandidate: Sendable, Hashable {
        var publicKey: WireGuardKey
        var dns: Endpoint
        var api: String
    }

    /// The nodes to try, first the one that answered the last run, then the configured one,
    /// then those the last zone published that answered `/health` through the tunnel
    /// (``verifiedDiscoveryKeys(_:)``), then `DISCOVERY_FALLBACKS`; each once.
    func discoveryCandidates(_ state: ClientState) throws(ClientError) -> [DiscoveryCandidate] {
        let config = options.config
        guard let address = config.discoveryDNS.address else {
            throw ClientError(.configuration, "DISCOVERY_DNS \(config.discoveryDNS) is not an IP address")
        }
        let dnsPort = config.discoveryDNS.port
        let apiPort = URLComponents(string: config.discoveryAPI)?.port ?? 8053
        func other(_ key: WireGuardKey, _ wgIP: IPAddress) -> DiscoveryCandidate {
            let host = wgIP.isIPv4 ? wgIP.description : "[\(wgIP)]"
            return DiscoveryCandidate(publicKey: key, dns: Endpoint(address: wgIP, port: dnsPort), api: "http://\(host):\(apiPort)")
        }
        var all = [DiscoveryCandidate(publicKey: config.discoveryPublicKey, dns: Endpoint(address: address, port: dnsPort),
                                      api: config.discoveryAPI)]
        let verified = verifiedDiscoveryKeys(state)
        all += (state.discoveryNodes ?? []).filter { verified.contains($0.publicKey) }.map { other($0.publicKey, $0.wgIP) }
        all += config.discoveryFallbacks.map { other($0.publicKey, $0.wgIP) }
        if let active = state.activeDiscovery, let index = all.firstIndex(where: { $0.publicKey.base64 == active }), index > 0 {
            all.insert(all.remove(at: index), at: 0)
        }
        var seen = Set<WireGuardKey>()
        return all.filter { seen.insert($0.publicKey).inserted }
    }

    /// How long a learned node that did not answer `/health` waits before it is asked again.
    static let discoveryProbeInterval: Int64 = 30

    /// The learned nodes that answered `/health` through the tunnel. A record under
    /// `/valon/discovery/` that another process wrote for a key no node holds can never
    /// answer there (WireGuard's handshake proves the key), so it is never synced through,
    /// failed over to or relayed through; it stays a WireGuard peer, which is what lets a real
    /// node be asked.
    func verifiedDiscoveryKeys(_ state: ClientState) -> Set<WireGuardKey> {
        Set((state.verifiedDiscovery ?? []).compactMap { try? WireGuardKey(base64: $0) })
    }

    /// The keys of every discovery node but the configured one: never mesh peers.
    func otherDiscoveryKeys(_ state: ClientState) -> Set<WireGuardKey> {
        Set((state.discoveryNodes ?? []).map(\.publicKey) + options.config.discoveryFallbacks.map(\.publicKey))
            .subtracting([options.config.discoveryPublicKey])
    }

    /// Step 2 across the nodes: the first node whose SOA answers (and is not 0) gives the
    /// serial, and its reader is used for the rest of the run. A node that fails costs at
    /// most one `dnsTimeout` when others remain (three tries of a third each), so a dead node
    /// delays a run by about two seconds; the run after goes to the node that answered.
    /// Returns `nil` when the serial short cut applies.
    func checkSerialOnSomeNode(_ run: inout Run) async throws(ClientError) -> (reader: any RegistrySource, serial: UInt32)? {
        let candidates = try discoveryCandidates(run.state)
        var queries = 0
        var failure: ClientError?
        for (index, candidate) in candidates.enumerated() {
            let last = index == candidates.count - 1
            let reader = try makeReader(server: candidate.dns, timeout: last ? options.dnsTimeout : options.dnsTimeout / 3)
            run.server = candidate.dns.description
            run.dns = candidate.dns
            run.api = candidate.api
            // Set before the check: its serial short cut saves the state, and the node that
            // answered must be the first one tried next time (a later candidate overwrites it).
            let previous = run.state.activeDiscovery
            if !options.dryRun { run.state.activeDiscovery = candidate.publicKey.base64 }
            do {
                let serial = try await checkSerial(&run, reader: reader)
                run.result.dnsQueries += queries
                return serial.map { (reader, $0) }
            } catch where error.code == .registry && !last {
                run.state.activeDiscovery = previous
                queries += reader.queryCount
                failure = failure ?? error
                continue
            }
        }
        throw failure ?? ClientError(.registry, "no discovery node to ask")
    }

    /// The discovery nodes' peers after a read of `zone` (``DiscoveryPeers``): applied, and
    /// the zone's nodes remembered. Returns how many peer entries changed.
    func syncDiscoveryPeers(_ run: inout Run, zone: RegistryZone) async throws(ClientError) -> Int {
        let config = options.config
        var wanted = [DiscoveryPeers.Node]()
        // A node record whose address is a peer's, or this host's, would take that address's
        // traffic over (allowed IPs): never a peer, whoever wrote it.
        let taken = Set(zone.peers.map(\.wgIP) + [config.ownWireGuardIP])
        for node in zone.discoveryNodes where !taken.contains(node.wgIP) {
            let endpoint = node.endpoint.flatMap { HostPort($0) }.flatMap { hostPort in
                (hostPort.address ?? environment.resolve(hostPort.host)).map { Endpoint(address: $0, port: hostPort.port) }
            }
            wanted.append(DiscoveryPeers.Node(publicKey: node.publicKey, wgIP: node.wgIP, endpoint: endpoint))
        }
        for fallback in config.discoveryFallbacks {
            let address = fallback.endpoint.address ?? environment.resolve(fallback.endpoint.host)
            wanted.append(DiscoveryPeers.Node(publicKey: fallback.publicKey, wgIP: fallback.wgIP,
                                              endpoint: address.map { Endpoint(address: $0, port: fallback.endpoint.port) }))
        }
        let updates = DiscoveryPeers.update(device: run.device, wanted: wanted,
                                            learnedBefore: Set((run.state.discoveryNodes ?? []).map(\.publicKey)),
                                            skip: [config.discoveryPublicKey, run.ownKey], now: environment.now())
        run.state.discoveryNodes = zone.discoveryNodes.filter {
            $0.publicKey != config.discoveryPublicKey && $0.publicKey != run.ownKey && !taken.contains($0.wgIP)
        }
        guard !updates.isEmpty else {
            await verifyLearnedNodes(&run)
            return 0
        }
        try await apply(WireGuardDevice(name: config.interface, peers: updates), to: config.interface, with: run.backend,
                        failure: "setting \(updates.count) discovery node peers on \(config.interface) failed")
        await verifyLearnedNodes(&run)
        return updates.count
    }

    /// Asks each learned node not yet verified for `/health` through the tunnel, at most once
    /// per ``discoveryProbeInterval``; keeps the ones that answer (and only nodes still in
    /// the zone).
    func verifyLearnedNodes(_ run: inout Run) async {
        let nodes = run.state.discoveryNodes ?? []
        var verified = verifiedDiscoveryKeys(run.state).intersection(nodes.map(\.publicKey))
        var probes = (run.state.discoveryProbes ?? [:]).filter { key, _ in nodes.contains { $0.publicKey.base64 == key } }
        let now = environment.now()
        let apiPort = URLComponents(string: options.config.discoveryAPI)?.port ?? 8053
        for node in nodes where !verified.contains(node.publicKey) {
            if let last = probes[node.publicKey.base64], now - last < Self.discoveryProbeInterval { continue }
            let host = node.wgIP.isIPv4 ? node.wgIP.description : "[\(node.wgIP)]"
            if await environment.answersHealth("http://\(host):\(apiPort)") {
                verified.insert(node.publicKey)
                probes[node.publicKey.base64] = nil
            } else {
                probes[node.publicKey.base64] = now
            }
        }
        run.state.verifiedDiscovery = verified.map(\.base64).sorted()
        run.state.discoveryProbes = probes.isEmpty ? nil : probes
    }
}
