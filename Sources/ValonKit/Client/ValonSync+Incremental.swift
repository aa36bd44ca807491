import Synchronization

/// What a `valon-sync --follow` process knows after a sync that read the device, kept so that
/// the sync a NOTIFY wakes touches only the peers that changed (docs/ARCHITECTURE.md §12.2):
/// the managed peers as the device holds them, the fingerprint they give, and what the plan
/// took from outside the registry. The applied zone itself stays in ``AppliedZoneCache``.
final class FollowMemory: Sendable {
    struct Snapshot: Sendable {
        /// What the state file said when this was taken (a state file that says anything else
        /// was written by another process: the memory is stale).
        var saved: ClientState.Applied
        /// The sync applied since: what the next state file written should say.
        var applied: ClientState.Applied
        var deviceName: String
        var ownKey: WireGuardKey
        /// The managed peers as the last read found them, with what was applied since.
        var peers: [WireGuardKey: WireGuardPeer]
        var fingerprint: SyncFingerprint.Accumulator
        var local: EndpointSelection.Local
        var relays: [WireGuardKey: Endpoint]
        var paths: [String: PathVerification.Path]
        /// The addresses no peer may take (the discovery nodes', this host's).
        var reserved: Set<IPAddress>
        /// The discovery node read from, its DNS server inside the tunnel.
        var dns: Endpoint
        /// That node's DDNS API, for relay requests.
        var api: String
        var lanEndpoint: String
    }

    private let snapshot = Mutex<Snapshot?>(nil)

    /// The snapshot, no longer kept (the caller changes it and keeps it again).
    func take() -> Snapshot? { snapshot.withLock { $0.take() } }
    /// The snapshot, left kept.
    func peek() -> Snapshot? { snapshot.withLock { $0 } }
    func keep(_ value: Snapshot?) { snapshot.withLock { $0 = value } }
}

extension ValonSync {
    /// The sync a NOTIFY wakes in a `--follow` process (docs/ARCHITECTURE.md §12.2): one IXFR
    /// from the serial applied to the node the last sync read (over UDP when it fits; its SOA
    /// says when nothing changed), applied to the zone in memory
    /// (``AppliedZone/apply(_:soa:)``); only the peers it changed are
    /// planned and set on the device, their differences appended to the zone file, the
    /// fingerprint updated peer by peer. Nothing here costs in proportion to the mesh.
    ///
    /// Returns `nil` when this sync cannot be incremental, and the caller runs ``run()``: no
    /// memory yet (the first sync, or the one after a failure), `--dry-run`, `--peer` or
    /// `--force`, a node that does not answer (``run()`` fails over), an answer that is not
    /// a difference (the whole zone, or the SOA of a serial the node cannot say the changes
    /// since), a difference that does not fit the zone in memory, or one that touches this
    /// host's own record, a relayed pair or the discovery nodes, which change more than the
    /// peers named. The sync at every `--interval` stays a whole one: it reads the device,
    /// which notices a change made outside valon-sync, and judges each path.
    public func runIncremental() async throws(ClientError) -> SyncResult? {
        guard !options.dryRun, options.onlyPeer == nil, !options.force,
              var memory = followMemory.take() else { return nil }
        guard let digest = memory.applied.zoneDigest, var zone = appliedZones.take(digest: digest),
              zone.serial == memory.applied.serial, let baseSerial = zone.serial, let baseSOA = zone.soa else { return nil }
        // Put back as they were: this sync is left to a whole one.
        func giveUp() -> SyncResult? {
            appliedZones.keep(zone, digest: digest)
            followMemory.keep(memory)
            return nil
        }
        let reader = try makeReader(server: memory.dns, timeout: options.dnsTimeout)
        let interface = options.config.interface
        var result = SyncResult(interface: interface, status: .upToDate, dnsQueries: 0,
                                lanEndpoint: memory.lanEndpoint, report: .unchanged)
        // The IXFR alone (RFC 1995 §2): its first record is the server's SOA, so it also says
        // when nothing changed; no SOA query before it.
        guard let answer = try? await reader.changes(since: baseSerial, soa: baseSOA) else { return giveUp() }
        if case .current(let serial) = answer, serial == baseSerial {
            result.serial = serial
            result.incremental = true
            result.dnsQueries = reader.queryCount
            _ = giveUp()
            return result
        }
        guard case .differences(let newSerial, let newSOA, let differences, _, _) = answer,
              RegistryReadGuard.check(serial: newSerial) == nil else { return giveUp() }
        let change: RegistryIndex.Change
        do throws(AppliedZone.Mismatch) {
            change = try zone.apply(differences.map { ($0.deleted, $0.added) }, soa: newSOA)
        } catch {
            // The zone is part-changed and the memory no longer matches it: both are dropped,
            // and the whole sync reads the zone file or the whole zone.
            return nil
        }
        let peers = change.peers.compactMap { zone.index.peers[$0] }
        guard !change.relaysChanged, !change.discoveryNodesChanged, !change.peers.contains(memory.ownKey),
              !peers.contains(where: { memory.reserved.contains($0.wgIP) }) else {
            // The whole sync takes it from here, with the zone as read: its IXFR from the new
            // serial finds nothing newer, and nothing is read twice.
            appliedZones.keep(zone, aheadOf: digest)
            followMemory.keep(memory)
            return nil
        }

        let now = environment.now()
        let withoutLAN = Set(peers.filter { peer in
            guard let path = memory.paths[peer.publicKey.base64] else { return false }
            return path.lanFailed(at: now) && path.lan == peer.lanEndpoint?.description && path.nat == peer.natEndpoint?.description
        }.map(\.publicKey))
        let device = WireGuardDevice(name: memory.deviceName, peers: change.peers.compactMap { memory.peers[$0] })
        let plan = SyncPlan(registry: peers.sorted { $0.publicKey.base64 < $1.publicKey.base64 }, device: device,
                            local: memory.local, policy: memory.fingerprint.policy, now: now,
                            relays: memory.relays.filter { change.peers.contains($0.key) }, withoutLAN: withoutLAN)
        if !plan.isEmpty {
            // A failed apply leaves the device unknown: the memory stays dropped.
            try await apply(plan.update, to: interface, with: environment.backend(interface),
                            failure: "the changes were read, but applying \(plan.update.peers.count) peer changes to \(interface) failed")
        }
        Self.record(plan, into: &memory)
        // The changed peers' paths are judged again now, as a whole sync judges every path
        // after a read (§10): a new endpoint is tried afresh, a NAT found symmetric is given up
        // at once and a relay asked for.
        let meSymmetric = zone.index.peers[memory.ownKey]?.natKind == .symmetric
        var observations = [WireGuardKey: PathVerification.Observation]()
        for entry in plan.entries where entry.action != .remove {
            guard let peer = zone.index.peers[entry.publicKey] else { continue }
            observations[entry.publicKey] = Self.observation(
                peer, entry: entry, onDevice: memory.peers[entry.publicKey],
                relayPort: zone.index.relays.first { $0.involves(memory.ownKey) && $0.involves(entry.publicKey) }?.port, meSymmetric: meSymmetric)
        }
        let judged = await judgePaths(observations, previous: memory.paths, api: memory.api, ownKey: memory.ownKey, result: &result)
        let lanFailedNow = judged.contains { $0.value.lanFailedAt != nil && $0.value.lanFailedAt != memory.paths[$0.key]?.lanFailedAt }
        for entry in plan.entries { memory.paths[entry.publicKey.base64] = judged[entry.publicKey.base64] }
        let kept = try? AppliedZoneFile.save(zone, directory: options.stateDirectory, interface: interface)
        memory.applied = ClientState.Applied(serial: newSerial, fingerprint: memory.fingerprint.value, zoneDigest: kept?.digest)
        if let kept { appliedZones.keep(kept.zone, digest: kept.digest) }
        // A LAN endpoint that just failed changes the plan: a whole sync makes it (its state
        // file then holds no serial to short-cut).
        followMemory.keep(kept == nil || lanFailedNow ? nil : memory)

        result.record(plan, allPeers: false)
        result.status = plan.isEmpty ? .unchanged : .applied
        result.serial = newSerial
        result.method = .ixfr
        result.incremental = true
        result.registryPeers = zone.index.peers.count
        result.unchanged = memory.peers.count - result.added - result.updated
        result.dnsQueries = reader.queryCount
        return result
    }

    /// The plan's peers, as set, into the memory's peers and fingerprint.
    static func record(_ plan: SyncPlan, into memory: inout FollowMemory.Snapshot) {
        var desired = [WireGuardKey: WireGuardPeer](minimumCapacity: plan.desired.peers.count)
        for peer in plan.desired.peers { desired[peer.publicKey] = peer }
        for entry in plan.entries {
            let old = memory.peers[entry.publicKey]
            if let old { memory.fingerprint.remove(old) }
            guard entry.action != .remove, var peer = desired[entry.publicKey] else {
                memory.peers[entry.publicKey] = nil
                continue
            }
            peer.endpoint = peer.endpoint ?? old?.endpoint
            peer.lastHandshake = old?.lastHandshake
            peer.rxBytes = old?.rxBytes ?? 0
            peer.txBytes = old?.txBytes ?? 0
            memory.fingerprint.add(peer)
            memory.peers[entry.publicKey] = peer
        }
    }

    /// What the plan of a whole sync took from the zone besides the peers: this host's NAT
    /// address and subnets, the relay endpoints, the addresses no peer may take.
    struct PlanContext: Sendable {
        var local: EndpointSelection.Local
        var relays: [WireGuardKey: Endpoint]
        var reserved: Set<IPAddress>
    }

    func planContext(_ zone: RegistryZone, run: Run) -> PlanContext {
        let mine = zone.peers.first { $0.publicKey == run.ownKey }
        return PlanContext(local: EndpointSelection.Local(natAddress: mine?.natEndpoint?.address, connectedSubnets: run.subnets),
                           relays: relayEndpoints(zone, ownKey: run.ownKey, device: run.device, state: run.state),
                           reserved: Set(zone.discoveryNodes.map(\.wgIP) + [options.config.ownWireGuardIP]))
    }

    /// After a whole sync left the device as the state's `applied` says, in a `--follow`
    /// process (``Options/keepsMemory``): what the next incremental one starts from. `plan`
    /// is what was applied to the device as read (`nil` when the serial was unchanged and
    /// nothing was); `context` what the plan took from the zone (`nil`: as the memory had it,
    /// else read from the applied zone).
    func remember(_ run: Run, plan: SyncPlan?, context: PlanContext?) {
        guard options.keepsMemory else { return }
        guard !options.dryRun, options.onlyPeer == nil, let applied = run.state.applied,
              let digest = applied.zoneDigest, let dns = run.dns else {
            followMemory.keep(nil)
            return
        }
        let previous = followMemory.peek()
        // The nodes this run learned are no mesh peers for the syncs to come either.
        var policy = run.policy
        policy.otherDiscoveryKeys = otherDiscoveryKeys(run.state)
        var context = context ?? previous.map { PlanContext(local: $0.local, relays: $0.relays, reserved: $0.reserved) }
        if context == nil {
            // The first sync of the process found the serial unchanged: the zone file says the rest.
            guard let zone = appliedZones.zone(digest: digest)
                ?? AppliedZoneFile.load(directory: options.stateDirectory, interface: options.config.interface, digest: digest).zone,
                  zone.serial == applied.serial else {
                followMemory.keep(nil)
                return
            }
            appliedZones.keep(zone, digest: digest)
            context = planContext(zone.registry, run: run)
        }
        guard let context else { return }
        var peers = [WireGuardKey: WireGuardPeer](minimumCapacity: run.device.peers.count)
        var fingerprint = SyncFingerprint.Accumulator(device: WireGuardDevice(name: run.device.name, privateKey: run.device.privateKey,
                                                                              listenPort: run.device.listenPort),
                                                      policy: policy, connectedSubnets: run.subnets)
        for peer in run.device.peers where policy.manages(peer) {
            peers[peer.publicKey] = peer
            fingerprint.add(peer)
        }
        var memory = FollowMemory.Snapshot(
            saved: applied, applied: applied, deviceName: run.device.name, ownKey: run.ownKey, peers: peers,
            fingerprint: fingerprint, local: context.local, relays: context.relays, paths: run.state.paths ?? [:],
            reserved: context.reserved, dns: dns, api: run.api, lanEndpoint: run.lanEndpoint.description)
        if let plan { Self.record(plan, into: &memory) }
        // Only a memory that gives the fingerprint the state holds is a base.
        followMemory.keep(memory.fingerprint.value == applied.fingerprint ? memory : nil)
    }

    /// The state as loaded, with the sync an incremental run applied since the last whole
    /// one; a state that another process wrote since makes the memory stale, and it goes.
    func withFollowMemory(_ state: ClientState) -> ClientState {
        guard let memory = followMemory.peek() else { return state }
        guard state.applied == memory.saved else {
            followMemory.keep(nil)
            return state
        }
        var state = state
        state.applied = memory.applied
        state.paths = memory.paths.isEmpty ? nil : memory.paths
        return state
    }
}
