import Foundation

/// valon-sync (docs/ARCHITECTURE.md §5): publish this peer's LAN endpoint, read the registry from the
/// discovery node's DNS, choose an endpoint per peer and apply the whole difference to the
/// WireGuard interface in one batch.
///
/// 1. Read the device; the LAN address is the source address of the route toward the
///    discovery endpoint. When it differs from the last run's, the host has moved (a new
///    network, a new lease): set every peer's endpoint again, unchanged, so that the
///    WireGuard implementation forgets the source address it cached for each peer.
///    (wireguard-go 0.0.20220316, Debian 12's, otherwise keeps sending from the vanished
///    address, fails with ENETUNREACH, and recovers only at its handshake retry ~15 s
///    later: the tunnel to the discovery node, and so DNS and the report, stay down
///    until then. The kernel module drops a stale source by itself; the update is harmless
///    there.) Then report it to the DDNS API unless the same report was accepted last time.
/// 2. Ask for the zone's SOA serial (one UDP query); when it is the serial last applied
///    and the device still has that state (``SyncFingerprint``), stop.
/// 3. Fetch every peer (``RegistryReader``), plan (``SyncPlan``), apply the update in one
///    request, remember the serial.
/// 4. When the registry cannot be read, nothing is applied and the error says what failed
///    and where.
public struct ValonSync: Sendable {
    public struct Options: Sendable {
        public var config: ClientConfig
        /// Where the state file lives (`/var/lib/valon`).
        public var stateDirectory: String = ClientState.defaultDirectory
        /// Plan only; neither report nor apply nor remember.
        public var dryRun = false
        /// Sync only this peer (`--peer KEY`); the serial short cut is not taken or stored.
        public var onlyPeer: WireGuardKey?
        /// Send no endpoint report.
        public var report = true
        /// Fetch even when the serial and the device are unchanged.
        public var force = false
        /// The DNS timeout per try.
        public var dnsTimeout: Duration = .seconds(2)
        /// Keep what each whole sync found in memory, for the incremental syncs a NOTIFY
        /// wakes (``runIncremental()``): `valon-sync --follow`.
        public var keepsMemory = false

        public init(config: ClientConfig) {
            self.config = config
        }
    }

    public var options: Options
    /// The device, network, DNS, API and clock the sync works with (``SyncEnvironment``).
    public var environment: SyncEnvironment
    /// The applied zone last written, by digest: a `--follow` process reads its zone file
    /// only once.
    let appliedZones = AppliedZoneCache()
    /// What the last whole sync found, for the incremental syncs of a `--follow` process
    /// (``runIncremental()``).
    let followMemory = FollowMemory()

    public init(options: Options, environment: SyncEnvironment = .system) {
        self.options = options
        self.environment = environment
    }

    /// What one run has found out so far, handed from step to step.
    struct Run: Sendable {
        var backend: any WireGuardBackend
        var device: WireGuardDevice
        var ownKey: WireGuardKey
        var state: ClientState
        var network: any LocalNetworkReading
        var policy: SyncPolicy
        var lanEndpoint: Endpoint
        var report: ClientState.Report
        var result: SyncResult
        /// The host's connected subnets, read once in step 2.
        var subnets: [IPNetwork] = []
        /// The discovery node this run reads from (its DNS server, as messages name it) and
        /// reports to; the configured one until step 2 picks another (§11).
        var server: String = ""
        /// That node's DNS server.
        var dns: Endpoint?
        var api: String = ""
        /// Whether the device is as the last applied sync left it (its fingerprint): only
        /// then is the applied zone a base for an IXFR (docs/ARCHITECTURE.md §12).
        var deviceAsApplied = false
    }

    /// Runs one sync: the steps of the type's documentation, in order.
    public func run() async throws(ClientError) -> SyncResult {
        var run = try await blocking { () throws(ClientError) in try self.readDevice() }
        await publishEndpoint(&run)
        guard let (reader, serial) = try await checkSerialOnSomeNode(&run) else {
            // Nothing new in the registry, but a path set earlier may have failed since.
            if try await verifyPaths(&run, observations: knownPaths(run)) {
                try run.state.save(directory: options.stateDirectory, interface: options.config.interface)
            }
            remember(run, plan: nil, context: nil)
            return run.result
        }
        return try await fetchAndApply(&run, reader: reader, serial: serial)
    }

    /// Step 1a: the device, its key, the state of the last run, the LAN endpoint. When the
    /// host has moved, every peer's endpoint is set again (see above). Blocking (UAPI or
    /// netlink, rtnetlink, files): ``run()`` calls it on ``BlockingPool``.
    func readDevice() throws(ClientError) -> Run {
        let config = options.config
        let interface = config.interface
        let backend = environment.backend(interface)
        let device: WireGuardDevice
        do {
            device = try backend.device(named: interface)
        } catch {
            throw ClientError(.device, "cannot read the WireGuard interface \(interface) (run valon-bootstrap first?)", cause: error)
        }
        guard let ownKey = device.publicKey else {
            throw ClientError(.device, "the WireGuard interface \(interface) has no private key (run valon-bootstrap)")
        }
        var state = withFollowMemory(try ClientState.load(directory: options.stateDirectory, interface: interface))
        let network = try environment.network()
        var policy = SyncPolicy(ownPublicKey: ownKey, discoveryPublicKey: config.discoveryPublicKey,
                                networks: config.allowedIPs)
        policy.otherDiscoveryKeys = otherDiscoveryKeys(state)
        let lanEndpoint = try lanEndpoint(device: device, network: network)
        var result = SyncResult(interface: interface, status: .unchanged, dnsQueries: 0,
                                lanEndpoint: lanEndpoint.description, report: .skipped)
        if !options.dryRun {
            if let previous = state.localEndpoint, previous != lanEndpoint.description {
                result.endpointsRefreshed = try refreshEndpoints(of: device, backend: backend)
            }
            state.localEndpoint = lanEndpoint.description
        }
        let report = ClientState.Report(publicKey: ownKey.base64, lanEndpoint: lanEndpoint.description,
                                        alias: config.ownAlias, api: config.discoveryAPI)
        return Run(backend: backend, device: device, ownKey: ownKey, state: state, network: network, policy: policy,
                   lanEndpoint: lanEndpoint, report: report, result: result, server: server, api: config.discoveryAPI)
    }

    /// Step 1b: the report, unless the same one was accepted last time.
    func publishEndpoint(_ run: inout Run) async {
        guard options.report && !options.dryRun else { return }
        if run.state.report == run.report {
            run.result.report = .unchanged
        } else {
            await send(&run)
        }
    }

    /// The registry reader for a discovery node's DNS server and the zone.
    func makeReader(server dnsServer: Endpoint, timeout: Duration) throws(ClientError) -> any RegistrySource {
        let config = options.config
        let zoneName: DNSName
        do {
            zoneName = try DNSName(config.dnsZone)
        } catch {
            throw ClientError(.configuration, "DNS_ZONE \(config.dnsZone) is not a DNS name", cause: error)
        }
        return environment.registry(dnsServer, zoneName, timeout)
    }

    /// The configured DNS server as messages name it.
    var server: String { options.config.discoveryDNS.description }

    /// Step 2: the serial, refused when 0; `nil` when the serial short cut applies (the
    /// result is then final: up to date).
    func checkSerial(_ run: inout Run, reader: any RegistrySource) async throws(ClientError) -> UInt32? {
        let serial: UInt32
        do throws(ClientError) {
            serial = try await reader.serial()
            if let problem = RegistryReadGuard.check(serial: serial) {
                throw RegistryReadGuard.error(problem, server: run.server, zone: options.config.dnsZone)
            }
        } catch {
            run.result.dnsQueries = reader.queryCount
            try saveReport(run.state, after: error)
            throw error
        }
        run.result.serial = serial
        let (network, interface) = (run.network, options.config.interface)
        run.subnets = try await blocking { () throws(ClientError) in try network.connectedSubnets(excluding: interface) }
        let fingerprint = SyncFingerprint.of(device: run.device, policy: run.policy, connectedSubnets: run.subnets)
        run.deviceAsApplied = run.state.applied?.fingerprint == fingerprint
        if options.onlyPeer == nil && !options.force, let applied = run.state.applied,
           applied.serial == serial, applied.fingerprint == fingerprint {
            run.result.status = .upToDate
            run.result.dnsQueries = reader.queryCount
            if !options.dryRun { try run.state.save(directory: options.stateDirectory, interface: options.config.interface) }
            return nil
        }
        return serial
    }

    /// Step 3: every peer (checked against the serial), the plan, one apply, the state.
    func fetchAndApply(_ run: inout Run, reader: any RegistrySource, serial: UInt32) async throws(ClientError) -> SyncResult {
        let config = options.config
        let interface = config.interface
        let fetched: RegistryReadGuard.Read
        let base = incrementalBase(run)
        var appliedZone: AppliedZone?
        do {
            fetched = try await RegistryReadGuard.fetch(after: serial, server: run.server, zone: config.dnsZone,
                                                        askSerial: { () throws(ClientError) in try await reader.serial() },
                                                        fetch: { () throws(ClientError) in
                                                            let read = try await reader.fetch(since: base)
                                                            appliedZone = read.applied
                                                            return (read.zone, read.method)
                                                        })
        } catch {
            run.result.dnsQueries = reader.queryCount
            try saveReport(run.state, after: error)
            throw error
        }
        run.result.serial = fetched.serial
        run.result.method = fetched.method
        run.result.registryPeers = fetched.zone.peers.count
        let mine = fetched.zone.peers.first { $0.publicKey == run.ownKey }
        // The registry lost the endpoint reported earlier (cleared through the API, restored
        // from a backup): report it again rather than trusting the remembered report.
        if options.report && !options.dryRun && run.result.report == .unchanged,
           let mine, mine.lanEndpoint != run.lanEndpoint {
            await send(&run)
        }
        let subnets = run.subnets
        let local = EndpointSelection.Local(natAddress: mine?.natEndpoint?.address, connectedSubnets: subnets)
        let relays = relayEndpoints(fetched.zone, ownKey: run.ownKey, device: run.device, state: run.state)
        let plan = SyncPlan(registry: fetched.zone.peers, device: run.device, local: local, policy: run.policy,
                            now: environment.now(), onlyPeer: options.onlyPeer, relays: relays,
                            withoutLAN: lanFailed(run.state, zone: fetched.zone))
        run.result.record(plan, allPeers: options.dryRun)
        run.result.dnsQueries = reader.queryCount
        if options.dryRun {
            run.result.status = .planned
            _ = try await verifyPaths(&run, observations: observations(plan, zone: fetched.zone, run: run))
            return run.result
        }
        if !plan.isEmpty {
            try await apply(plan.update, to: interface, with: run.backend,
                            failure: "the registry was read, but applying \(plan.update.peers.count) peer changes to \(interface) failed")
            run.result.status = .applied
        }
        if options.onlyPeer == nil {
            var after = run.device
            after.peers = plan.desired.peers
            run.state.applied = ClientState.Applied(
                serial: fetched.serial,
                fingerprint: SyncFingerprint.of(device: after, policy: run.policy, connectedSubnets: subnets),
                zoneDigest: keepAppliedZone(appliedZone, serial: fetched.serial))
        }
        // The other discovery nodes as peers (§11), after the mesh's update.
        if options.onlyPeer == nil, try await syncDiscoveryPeers(&run, zone: fetched.zone) > 0, run.result.status == .unchanged {
            run.result.status = .applied
        }
        // Step 9b (after `applied`, which a LAN failure clears): judge each direct path; ask for relays where they failed (§10).
        _ = try await verifyPaths(&run, observations: observations(plan, zone: fetched.zone, run: run))
        try run.state.save(directory: options.stateDirectory, interface: interface)
        remember(run, plan: plan, context: PlanContext(local: local, relays: relays,
                                                       reserved: Set(fetched.zone.discoveryNodes.map(\.wgIP) + [config.ownWireGuardIP])))
        return run.result
    }

    /// The zone last applied, when the next read may be its changes (IXFR): a full sync was
    /// applied, the device is as it left it, its zone file is the one the state names, and
    /// neither `--force` nor `--peer` asks otherwise. Anything else reads the whole zone.
    func incrementalBase(_ run: Run) -> AppliedZone? {
        guard options.onlyPeer == nil, !options.force, run.deviceAsApplied,
              let applied = run.state.applied, let digest = applied.zoneDigest else { return nil }
        // An incremental sync that read a change it leaves to a whole sync (§12.2).
        if let ahead = appliedZones.takeAhead(of: digest) { return ahead }
        let zone = appliedZones.zone(digest: digest)
            ?? AppliedZoneFile.load(directory: options.stateDirectory, interface: options.config.interface, digest: digest).zone
        guard let zone, zone.serial == applied.serial else { return nil }
        return zone
    }

    /// Writes the zone just applied as the next IXFR's base; its digest, or `nil` when
    /// there is none to keep or it could not be written (the next read is then whole).
    func keepAppliedZone(_ zone: AppliedZone?, serial: UInt32) -> String? {
        guard let zone, zone.serial == serial,
              let (digest, kept) = try? AppliedZoneFile.save(zone, directory: options.stateDirectory, interface: options.config.interface)
        else { return nil }
        appliedZones.keep(kept, digest: digest)
        return digest
    }

    /// What the registry and the device say of each peer the plan keeps, for ``verifyPaths``.
    func observations(_ plan: SyncPlan, zone: RegistryZone, run: Run) -> [WireGuardKey: PathVerification.Observation] {
        var byKey = [WireGuardKey: Peer](minimumCapacity: zone.peers.count)
        for peer in zone.peers { byKey[peer.publicKey] = peer }
        var onDevice = [WireGuardKey: WireGuardPeer](minimumCapacity: run.device.peers.count)
        for peer in run.device.peers { onDevice[peer.publicKey] = peer }
        let meSymmetric = byKey[run.ownKey]?.natKind == .symmetric
        var observations = [WireGuardKey: PathVerification.Observation]()
        for entry in plan.entries where entry.action != .remove {
            guard let peer = byKey[entry.publicKey] else { continue }
            observations[entry.publicKey] = Self.observation(
                peer, entry: entry, onDevice: onDevice[entry.publicKey],
                relayPort: zone.relays.isEmpty ? nil : zone.relayPort(between: run.ownKey, and: entry.publicKey), meSymmetric: meSymmetric)
        }
        return observations
    }

    /// The peers whose LAN endpoint failed (``PathVerification``) for the record they have now.
    func lanFailed(_ state: ClientState, zone: RegistryZone) -> Set<WireGuardKey> {
        guard let paths = state.paths else { return [] }
        let now = environment.now()
        var keys = Set<WireGuardKey>()
        for peer in zone.peers {
            guard let path = paths[peer.publicKey.base64], path.lanFailed(at: now),
                  path.lan == peer.lanEndpoint?.description, path.nat == peer.natEndpoint?.description else { continue }
            keys.insert(peer.publicKey)
        }
        return keys
    }

    /// The most relays one run asks for: a registry full of unreachable peers costs the
    /// discovery node a bounded number of requests a run.
    static let relayRequestsPerRun = 8
    /// The most peers one run sends a handshake-provoking datagram.
    static let provokedPerRun = 256

    /// Judges each observed peer's path (``PathVerification``), sends a datagram to the ones
    /// waiting for their first handshake, asks the discovery node to relay the ones that
    /// failed (at most ``relayRequestsPerRun``), and keeps the paths in the state. Returns
    /// whether the kept paths changed. A dry run only reports the verdicts; a run for one
    /// peer does nothing here.
    func verifyPaths(_ run: inout Run, observations: [WireGuardKey: PathVerification.Observation]) async throws(ClientError) -> Bool {
        guard options.onlyPeer == nil else { return false }
        let now = environment.now()
        if options.dryRun {
            // The verdicts as they would be, for the plan's reader; nothing sent, nothing kept.
            for (key, observed) in observations {
                run.result.paths[key.base64] = PathVerification.judge(run.state.paths?[key.base64], observed: observed, now: now).path.summary
            }
            return false
        }
        let paths = await judgePaths(observations, previous: run.state.paths ?? [:], api: run.api, ownKey: run.ownKey,
                                     result: &run.result)
        let changed = paths != (run.state.paths ?? [:])
        // A LAN endpoint that just failed changes the next plan: no serial short cut for it.
        if paths.contains(where: { $0.value.lanFailedAt != nil && $0.value.lanFailedAt != run.state.paths?[$0.key]?.lanFailedAt }) {
            run.state.applied = nil
        }
        run.state.paths = paths
        return changed
    }

    /// Judges each observed peer's path against its `previous` one: provokes a handshake
    /// where one is awaited (at most ``provokedPerRun``), asks `api` to relay the ones that
    /// failed (at most ``relayRequestsPerRun``), and returns the paths, by base64 key, with
    /// the verdicts and requests recorded in `result`.
    func judgePaths(_ observations: [WireGuardKey: PathVerification.Observation], previous: [String: PathVerification.Path],
                    api: String, ownKey: WireGuardKey, result: inout SyncResult) async -> [String: PathVerification.Path] {
        let now = environment.now()
        var paths = [String: PathVerification.Path]()
        var requests = 0, provoked = 0
        for (_, key, observed) in observations.map({ ($0.key.base64, $0.key, $0.value) }).sorted(by: { $0.0 < $1.0 }) {
            var verdict = PathVerification.judge(previous[key.base64], observed: observed, now: now)
            if verdict.provoke, provoked < Self.provokedPerRun, let address = observed.wgIP {
                provoked += 1
                environment.provoke(address)
            }
            if verdict.requestRelay {
                if requests < Self.relayRequestsPerRun {
                    requests += 1
                    do {
                        let port = try await environment.reporter(api).requestRelay(publicKey: ownKey, peer: key)
                        result.relayRequests.append(.init(pubkey: key.base64, port: port, error: nil))
                    } catch {
                        result.relayRequests.append(.init(pubkey: key.base64, port: nil, error: error.description))
                    }
                } else {
                    // Over this run's budget: asked on a later run.
                    verdict.path.relayRequestedAt = previous[key.base64]?.relayRequestedAt
                    verdict.path.relayRequests = previous[key.base64]?.relayRequests
                }
            }
            paths[key.base64] = verdict.path
            result.paths[key.base64] = verdict.path.summary
        }
        return paths
    }

    /// What the registry and the device say of one peer the plan keeps, for the path judge.
    static func observation(_ peer: Peer, entry: SyncPlan.Entry, onDevice: WireGuardPeer?, relayPort: UInt16?,
                            meSymmetric: Bool) -> PathVerification.Observation {
        PathVerification.Observation(
            lan: peer.lanEndpoint, nat: peer.natEndpoint, endpoint: entry.endpoint,
            lastHandshake: onDevice?.lastHandshake.flatMap { $0.seconds > 0 ? $0.seconds : nil },
            relayPort: relayPort, wgIP: peer.wgIP, rxBytes: onDevice?.rxBytes, symmetricNAT: meSymmetric || peer.natKind == .symmetric)
    }

    /// The paths the state keeps, observed on the device as it is now (a run that found the
    /// registry unchanged: the peers' records and relays are as the last fetch left them).
    func knownPaths(_ run: Run) -> [WireGuardKey: PathVerification.Observation] {
        var observations = [WireGuardKey: PathVerification.Observation]()
        var onDevice = [WireGuardKey: WireGuardPeer](minimumCapacity: run.device.peers.count)
        for peer in run.device.peers { onDevice[peer.publicKey] = peer }
        for (text, path) in run.state.paths ?? [:] {
            guard let key = try? WireGuardKey(base64: text), let peer = onDevice[key] else { continue }
            observations[key] = PathVerification.Observation(
                lan: path.lan.flatMap { Endpoint($0) }, nat: path.nat.flatMap { Endpoint($0) }, endpoint: peer.endpoint,
                lastHandshake: peer.lastHandshake.flatMap { $0.seconds > 0 ? $0.seconds : nil },
                relayPort: path.relayPort, wgIP: path.wgIP.flatMap { IPAddress($0) }, rxBytes: peer.rxBytes)
        }
        return observations
    }

    /// Applies `update` to `interface`, on ``BlockingPool``; a failure is a
    /// ``ClientError/Code/device`` error that says `failure`.
    func apply(_ update: WireGuardDevice, to interface: String, with backend: any WireGuardBackend,
               failure: String) async throws(ClientError) {
        try await blocking { () throws(ClientError) in
            do {
                try backend.apply(update, to: interface)
            } catch {
                throw ClientError(.device, failure, cause: error)
            }
        }
    }

    /// Runs blocking device, netlink and file work on ``BlockingPool``.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(ClientError) -> T) async throws(ClientError) -> T {
        try await runBlocking { Result { () throws(ClientError) in try body() } }.get()
    }

    /// Posts the LAN endpoint to the DDNS API and remembers an accepted report. A failed
    /// report is recorded in the result; the sync goes on (the registry may still be read).
    /// With several discovery nodes (§11) the report goes to the first that takes it, the one
    /// that answered the last run first: they share the registry.
    private func send(_ run: inout Run) async {
        let apis = ((try? discoveryCandidates(run.state)) ?? []).map(\.api)
        var failure: String?
        for api in apis.isEmpty ? [options.config.discoveryAPI] : apis {
            do {
                try await environment.reporter(api).report(publicKey: run.ownKey, lanEndpoint: run.lanEndpoint, alias: options.config.ownAlias)
                run.state.report = run.report
                run.result.report = .sent
                run.result.reportError = nil
                return
            } catch {
                failure = failure ?? error.description
                // Refused by a node that answered (a 4xx): the others share its registry and rules.
                if error.code == .rejected { break }
            }
        }
        run.result.report = .failed
        run.result.reportError = failure
    }

    /// The relay endpoint of every peer the zone says this client is relayed with
    /// (docs/ARCHITECTURE.md §10): the discovery node's address, as for the LAN endpoint's
    /// route, with the pair's port. Empty when the discovery address cannot be resolved.
    ///
    /// With several discovery nodes (§11) every node opens every allocated port, and both
    /// peers of a pair must send to the same one: the first node of the zone, by key, that
    /// publishes a relay (`relay=host:first-last`). Both sides read the same zone, so they
    /// agree; when that node leaves the zone both move to the next.
    func relayEndpoints(_ zone: RegistryZone, ownKey: WireGuardKey, device: WireGuardDevice, state: ClientState) -> [WireGuardKey: Endpoint] {
        let config = options.config
        let pairs = zone.relays.filter { $0.involves(ownKey) }
        guard !pairs.isEmpty else { return [:] }
        // Only a node this client trusts: the configured one, a fallback, or a learned node
        // that answered `/health` through the tunnel (§11).
        let trusted = verifiedDiscoveryKeys(state).union(config.discoveryFallbacks.map(\.publicKey)).union([config.discoveryPublicKey])
        let relayHost = zone.discoveryNodes.filter { trusted.contains($0.publicKey) }
            .sorted { $0.publicKey.base64 < $1.publicKey.base64 }.lazy
            .compactMap { $0.relay.flatMap(Self.relayHost) }.first
        guard let address = relayHost.flatMap({ IPAddress($0) ?? environment.resolve($0) })
            ?? device.peer(config.discoveryPublicKey)?.endpoint?.address
            ?? config.discoveryEndpoint.address ?? environment.resolve(config.discoveryEndpoint.host) else { return [:] }
        var endpoints = [WireGuardKey: Endpoint]()
        for pair in pairs {
            if let other = pair.other(than: ownKey) { endpoints[other] = Endpoint(address: address, port: pair.port) }
        }
        return endpoints
    }

    /// The host of a node's `relay=host:first-last` (an IPv6 host in brackets).
    static func relayHost(_ text: String) -> String? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : host
    }

    /// The LAN endpoint: the source address toward the discovery node (its endpoint on the
    /// device, else the configured one) and the interface's listen port.
    func lanEndpoint(device: WireGuardDevice, network: any LocalNetworkReading) throws(ClientError) -> Endpoint {
        let config = options.config
        guard let discovery = device.peer(config.discoveryPublicKey)?.endpoint?.address
            ?? config.discoveryEndpoint.address
            ?? environment.resolve(config.discoveryEndpoint.host) else {
            throw ClientError(.network, "cannot resolve the discovery endpoint \(config.discoveryEndpoint)")
        }
        let source = try network.sourceAddress(toward: discovery)
        return Endpoint(address: source, port: device.listenPort ?? config.listenPort)
    }

    /// Sets the endpoint of every peer that has one to the same value (update only, one
    /// request), which makes the implementation forget the source address it cached for
    /// the peer. Returns how many peers were set.
    func refreshEndpoints(of device: WireGuardDevice, backend: any WireGuardBackend) throws(ClientError) -> Int {
        let peers = device.peers.compactMap { peer in
            peer.endpoint.map { WireGuardPeer(publicKey: peer.publicKey, endpoint: $0, flags: .updateOnly) }
        }
        guard !peers.isEmpty else { return 0 }
        do {
            try backend.apply(WireGuardDevice(name: device.name, peers: peers), to: device.name)
        } catch {
            throw ClientError(.device, "the host's LAN address changed, and setting the \(peers.count) peer endpoints of \(device.name) again failed", cause: error)
        }
        return peers.count
    }

    /// Keeps an accepted report, and the LAN endpoint seen, even when the registry then
    /// could not be read.
    private func saveReport(_ state: ClientState, after error: ClientError) throws(ClientError) {
        guard !options.dryRun else { return }
        var stored = (try? ClientState.load(directory: options.stateDirectory, interface: options.config.interface)) ?? ClientState()
        guard stored.report != state.report || stored.localEndpoint != state.localEndpoint else { return }
        stored.report = state.report
        stored.localEndpoint = state.localEndpoint
        try? stored.save(directory: options.stateDirectory, interface: options.config.interface)
    }
}

extension SyncResult {
    /// Takes the plan's counts and lines: the changed peers, or every peer with `allPeers`.
    mutating func record(_ plan: SyncPlan, allPeers: Bool) {
        added = plan.count(.add)
        updated = plan.count(.update)
        removed = plan.count(.remove)
        unchanged = plan.count(.unchanged)
        excluded = plan.excluded.count
        if plan.isEmpty { status = .unchanged }
        peers = plan.entries.filter { allPeers || $0.action != .unchanged }.map { entry in
            PeerLine(pubkey: entry.publicKey.base64, alias: entry.alias, action: entry.action,
                     endpoint: entry.endpoint?.description, reason: entry.reason,
                     allowedIPs: entry.allowedIPs.map(\.description))
        }
    }
}
