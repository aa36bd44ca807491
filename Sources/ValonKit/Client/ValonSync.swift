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

        public init(config: ClientConfig) {
            self.config = config
        }
    }

    public var options: Options

    public init(options: Options) {
        self.options = options
    }

    /// Runs one sync.
    public func run() async throws(ClientError) -> SyncResult {
        let config = options.config
        let interface = config.interface
        let backend = WireGuardControl.backend(for: interface)
        let device: WireGuardDevice
        do {
            device = try backend.device(named: interface)
        } catch {
            throw ClientError(.device, "cannot read the WireGuard interface \(interface) (run valon-bootstrap first?)", cause: error)
        }
        guard let ownKey = device.publicKey else {
            throw ClientError(.device, "the WireGuard interface \(interface) has no private key (run valon-bootstrap)")
        }
        var state = try ClientState.load(directory: options.stateDirectory, interface: interface)
        let network = try LocalNetwork()
        let policy = SyncPolicy(ownPublicKey: ownKey, discoveryPublicKey: config.discoveryPublicKey,
                                networks: config.allowedIPs)

        // Step 1: the LAN endpoint, the endpoints again when it moved, and the report.
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
        if options.report && !options.dryRun {
            if state.report == report {
                result.report = .unchanged
            } else {
                await send(report, key: ownKey, endpoint: lanEndpoint, state: &state, result: &result)
            }
        }

        // Step 2: the serial short cut.
        guard let dnsServer = config.discoveryDNS.address.map({ Endpoint(address: $0, port: config.discoveryDNS.port) }) else {
            throw ClientError(.configuration, "DISCOVERY_DNS \(config.discoveryDNS) is not an IP address")
        }
        let zoneName: DNSName
        do {
            zoneName = try DNSName(config.dnsZone)
        } catch {
            throw ClientError(.configuration, "DNS_ZONE \(config.dnsZone) is not a DNS name", cause: error)
        }
        let reader = RegistryReader(server: dnsServer, zone: zoneName, timeout: options.dnsTimeout)
        let server = dnsServer.description
        let serial: UInt32
        do throws(ClientError) {
            serial = try await reader.serial()
            if let problem = RegistryReadGuard.check(serial: serial) {
                throw RegistryReadGuard.error(problem, server: server, zone: config.dnsZone)
            }
        } catch {
            result.dnsQueries = reader.queryCount
            try saveReport(state, after: error)
            throw error
        }
        result.serial = serial
        let subnets = try network.connectedSubnets(excluding: interface)
        let fingerprint = SyncFingerprint.of(device: device, policy: policy, connectedSubnets: subnets)
        if options.onlyPeer == nil && !options.force, let applied = state.applied,
           applied.serial == serial, applied.fingerprint == fingerprint {
            result.status = .upToDate
            result.dnsQueries = reader.queryCount
            if !options.dryRun { try state.save(directory: options.stateDirectory, interface: interface) }
            return result
        }

        // Step 3: every peer, the plan, one apply.
        let fetched: RegistryReadGuard.Read
        do {
            fetched = try await RegistryReadGuard.fetch(after: serial, server: server, zone: config.dnsZone,
                                                        askSerial: { () throws(ClientError) in try await reader.serial() },
                                                        fetch: { () throws(ClientError) in try await reader.fetchAll() })
        } catch {
            result.dnsQueries = reader.queryCount
            try saveReport(state, after: error)
            throw error
        }
        result.serial = fetched.serial
        result.method = fetched.method
        result.registryPeers = fetched.zone.peers.count
        let mine = fetched.zone.peers.first { $0.publicKey == ownKey }
        // The registry lost the endpoint reported earlier (cleared through the API, restored
        // from a backup): report it again rather than trusting the remembered report.
        if options.report && !options.dryRun && result.report == .unchanged,
           let mine, mine.lanEndpoint != lanEndpoint {
            await send(report, key: ownKey, endpoint: lanEndpoint, state: &state, result: &result)
        }
        let local = EndpointSelection.Local(natAddress: mine?.natEndpoint?.address, connectedSubnets: subnets)
        let plan = SyncPlan(registry: fetched.zone.peers, device: device, local: local, policy: policy,
                            now: Int64(Date().timeIntervalSince1970), onlyPeer: options.onlyPeer)
        result.record(plan, allPeers: options.dryRun)
        if options.dryRun {
            result.status = .planned
            result.dnsQueries = reader.queryCount
            return result
        }
        if !plan.isEmpty {
            do {
                try backend.apply(plan.update, to: interface)
            } catch {
                throw ClientError(.device, "the registry was read, but applying \(plan.update.peers.count) peer changes to \(interface) failed", cause: error)
            }
            result.status = .applied
        }
        if options.onlyPeer == nil {
            var after = device
            after.peers = plan.desired.peers
            state.applied = ClientState.Applied(
                serial: fetched.serial,
                fingerprint: SyncFingerprint.of(device: after, policy: policy, connectedSubnets: subnets))
        }
        try state.save(directory: options.stateDirectory, interface: interface)
        result.dnsQueries = reader.queryCount
        return result
    }

    /// Posts the LAN endpoint to the DDNS API and remembers an accepted report. A failed
    /// report is recorded in the result; the sync goes on (the registry may still be read).
    private func send(_ report: ClientState.Report, key: WireGuardKey, endpoint: Endpoint,
                      state: inout ClientState, result: inout SyncResult) async {
        do {
            try await DDNSClient(baseURL: options.config.discoveryAPI)
                .reportEndpoint(publicKey: key, lanEndpoint: endpoint, alias: options.config.ownAlias)
            state.report = report
            result.report = .sent
            result.reportError = nil
        } catch {
            result.report = .failed
            result.reportError = error.description
        }
    }

    /// The LAN endpoint: the source address toward the discovery node (its endpoint on the
    /// device, else the configured one) and the interface's listen port.
    func lanEndpoint(device: WireGuardDevice, network: LocalNetwork) throws(ClientError) -> Endpoint {
        let config = options.config
        guard let discovery = device.peer(config.discoveryPublicKey)?.endpoint?.address
            ?? config.discoveryEndpoint.address
            ?? (try? HostResolution.addresses(of: config.discoveryEndpoint.host).first) else {
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
