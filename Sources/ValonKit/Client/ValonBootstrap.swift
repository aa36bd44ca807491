import Foundation

/// valon-bootstrap (docs/ARCHITECTURE.md §1), what `wg-quick up` did for the seed's clients, natively:
/// the private key (created 0600 if absent), the interface (kernel over rtnetlink, else the
/// userspace implementation), private key and port, the address with the network's prefix,
/// MTU 1420, link up, the route for the network, the discovery peer with keepalive 25; then
/// a handshake with the discovery node (bounded) and a first sync.
///
/// Every step looks before it acts, so a second run changes nothing. ``down()`` removes
/// what ``up(announce:)`` made: the interface it created and the userspace process it
/// started (its PID is kept in the state directory); the key file stays.
public struct ValonBootstrap: Sendable {
    public struct Options: Sendable {
        public var config: ClientConfig
        public var stateDirectory: String = ClientState.defaultDirectory
        /// How long to wait for the first handshake with the discovery node.
        public var handshakeTimeout: Duration = .seconds(15)
        /// Run the first sync after the handshake.
        public var sync = true
        /// The environment (for `WG_QUICK_USERSPACE_IMPLEMENTATION` and the child's).
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        /// The interface's MTU (1420, as the seed's configuration).
        public var mtu: UInt32 = 1420
        public var persistentKeepalive: UInt16 = 25

        public init(config: ClientConfig) {
            self.config = config
        }
    }

    /// What a run did.
    public struct Outcome: Codable, Hashable, Sendable {
        public var interface: String
        public var publicKey: String
        /// Steps that changed something, in order (`created key`, `set MTU 1420`, …); empty on a rerun.
        public var changes: [String] = []
        /// `kernel` or `userspace`.
        public var backend: String
        public var userspacePID: Int32?
        public var handshakeAgeSeconds: Int64?
        public var sync: SyncResult?

        enum CodingKeys: String, CodingKey {
            case interface, changes, backend, sync
            case publicKey = "public_key"
            case userspacePID = "userspace_pid"
            case handshakeAgeSeconds = "handshake_age_seconds"
        }
    }

    public var options: Options
    /// The link table, the device, the userspace implementation and the registry it works on.
    public var environment: BootstrapEnvironment

    public init(options: Options, environment: BootstrapEnvironment = .system) {
        self.options = options
        self.environment = environment
    }

    /// Brings the interface up. `announce` receives lines for the administrator (the new
    /// public key) as they happen.
    public func up(announce: (String) -> Void = { _ in }) async throws(ClientError) -> Outcome {
        let config = options.config
        let interface = config.interface
        var state = try ClientState.load(directory: options.stateDirectory, interface: interface)
        var changes = [String]()

        let privateKey = try loadOrCreateKey(&changes, announce: announce)
        let publicKey = try Self.publicKey(of: privateKey, file: config.privateKeyFile)
        let links = try environment.links()
        let userspace = environment.userspace
        var backendName = "kernel"
        if userspace.hasSocket(for: interface) {
            backendName = "userspace"
        } else if (try? links.interfaceIndex(name: interface)) == nil {
            do throws(NetlinkError) {
                try links.createWireGuardLink(name: interface)
                changes.append("created kernel interface \(interface)")
            } catch where error.code == .noWireGuardInKernel {
                let implementation = UserspaceWireGuard.implementation(environment: options.environment)
                // Starting it polls for its socket: off the cooperative pool.
                let environment = options.environment
                let pid = try await runBlocking {
                    Result { () throws(ClientError) in
                        try userspace.start(implementation, interface: interface, environment: environment)
                    }
                }.get()
                state.userspace = ClientState.Userspace(pid: pid, implementation: implementation)
                backendName = "userspace"
                changes.append("started \(implementation) \(interface) (pid \(pid))")
            } catch {
                throw ClientError(.network, "cannot create the WireGuard interface \(interface)", cause: error)
            }
            state.createdInterface = true
            try state.save(directory: options.stateDirectory, interface: interface)
        }

        try configureLink(links, &changes)
        let backend = environment.sync.backend(interface)
        let discoveryEndpoint = try resolveDiscoveryEndpoint()
        try configureDevice(backend, privateKey: privateKey, discoveryEndpoint: discoveryEndpoint, &changes)
        let others = otherDiscoveryNodes(state, ownKey: publicKey)
        try configureOtherNodes(backend, others, ownKey: publicKey, &changes)
        try configureRoutes(links, &changes)
        let age = try await waitForHandshake(backend, endpoint: discoveryEndpoint, others: others)

        var outcome = Outcome(interface: interface, publicKey: publicKey.base64, changes: changes, backend: backendName,
                              userspacePID: state.userspace?.pid, handshakeAgeSeconds: age)
        if options.sync {
            var syncOptions = ValonSync.Options(config: config)
            syncOptions.stateDirectory = options.stateDirectory
            outcome.sync = try await ValonSync(options: syncOptions, environment: environment.sync).run()
        }
        return outcome
    }

    /// Removes what ``up(announce:)`` made: the userspace process it started, the interface
    /// it created (with its addresses and routes), the socket left behind, the state file.
    /// Returns what it removed.
    public func down() throws(ClientError) -> [String] {
        let interface = options.config.interface
        let state = try ClientState.load(directory: options.stateDirectory, interface: interface)
        var removed = [String]()
        let userspace = environment.userspace
        if let process = state.userspace, userspace.isRunning(pid: process.pid, implementation: process.implementation) {
            userspace.stop(pid: process.pid)
            removed.append("stopped \(process.implementation) (pid \(process.pid))")
        }
        if state.createdInterface == true || state.userspace != nil {
            let links = try environment.links()
            if (try? links.interfaceIndex(name: interface)) != nil {
                do {
                    try links.deleteLink(name: interface)
                    removed.append("deleted interface \(interface)")
                } catch {
                    throw ClientError(.network, "cannot delete the interface \(interface)", cause: error)
                }
            }
            if let socket = userspace.removeSocket(for: interface) {
                removed.append("removed \(socket)")
            }
        }
        ClientState.remove(directory: options.stateDirectory, interface: interface)
        AppliedZoneFile.remove(directory: options.stateDirectory, interface: interface)
        return removed
    }

    // MARK: Steps

    private func loadOrCreateKey(_ changes: inout [String], announce: (String) -> Void) throws(ClientError) -> WireGuardKey {
        let file = options.config.privateKeyFile
        if !FileManager.default.fileExists(atPath: file) {
            let key = WireGuardKey.generatePrivate()
            do {
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try WireGuardKeyFile.write(key, to: file)
            } catch {
                throw ClientError(.key, "cannot create the private key file \(file)", cause: error)
            }
            let publicKey = try Self.publicKey(of: key, file: file)
            changes.append("created private key \(file)")
            announce("Created the private key \(file) (mode 0600).")
            announce("Public key: \(publicKey.base64)")
            announce("Send it to the VALON administrator: valonctl peer add \(publicKey.base64)\(options.config.ownAlias.map { " --alias \($0)" } ?? "")")
        }
        do {
            return try WireGuardKeyFile.read(from: file)
        } catch {
            throw ClientError(.key, "cannot read the private key file \(file)", cause: error)
        }
    }

    private static func publicKey(of key: WireGuardKey, file: String) throws(ClientError) -> WireGuardKey {
        do {
            return try key.publicKey()
        } catch {
            throw ClientError(.key, "the key in \(file) is not a usable private key", cause: error)
        }
    }

    /// The address with the prefix of the VALON network that holds it (`100.100.0.2/24`).
    func interfaceAddress() -> IPNetwork {
        let own = options.config.ownWireGuardIP
        let prefix = options.config.allowedIPs.first { $0.contains(own) }?.prefixLength ?? IPNetwork.host(own).prefixLength
        return IPNetwork(address: own, prefixLength: prefix)!
    }

    private func configureLink(_ links: any LinkConfiguring, _ changes: inout [String]) throws(ClientError) {
        let interface = options.config.interface
        let address = interfaceAddress()
        do {
            let index = try links.interfaceIndex(name: interface)
            let present = try links.addresses(interface: interface)
            if !present.contains(where: { $0.interfaceIndex == index && $0.network == address }) {
                try links.addAddress(address, interface: interface)
                changes.append("added address \(address)")
            }
            guard let link = try links.links().first(where: { $0.index == index }) else {
                throw ClientError(.network, "the interface \(interface) vanished")
            }
            if link.mtu != options.mtu {
                try links.setMTU(options.mtu, name: interface)
                changes.append("set MTU \(options.mtu)")
            }
            if !link.isUp {
                try links.setUp(true, name: interface)
                changes.append("set \(interface) up")
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(.network, "cannot configure the interface \(interface)", cause: error)
        }
    }

    private func configureRoutes(_ links: any LinkConfiguring, _ changes: inout [String]) throws(ClientError) {
        let interface = options.config.interface
        for destination in options.config.allowedIPs.map(\.canonical) {
            do throws(NetlinkError) {
                let lookup = try? links.lookupRoute(to: destination.address)
                let index = try links.interfaceIndex(name: interface)
                if lookup?.interfaceIndex == index { continue }
                try links.addDeviceRoute(destination, interface: interface)
                changes.append("added route \(destination) dev \(interface)")
            } catch where error.errno == EEXIST {
                continue
            } catch {
                throw ClientError(.network, "cannot add the route \(destination) dev \(interface)", cause: error)
            }
        }
    }

    private func resolveDiscoveryEndpoint() throws(ClientError) -> Endpoint {
        let configured = options.config.discoveryEndpoint
        guard let address = try environment.resolve(configured.host).first else {
            throw ClientError(.network, "the discovery endpoint \(configured) has no address")
        }
        return Endpoint(address: address, port: configured.port)
    }

    private func configureDevice(_ backend: any WireGuardBackend, privateKey: WireGuardKey, discoveryEndpoint: Endpoint,
                                 _ changes: inout [String]) throws(ClientError) {
        let config = options.config
        do {
            let current = try backend.device(named: config.interface)
            var discovery = WireGuardPeer(publicKey: config.discoveryPublicKey, endpoint: discoveryEndpoint,
                                          persistentKeepalive: options.persistentKeepalive, allowedIPs: config.discoveryAllowedIPs)
            // A working session on a roamed endpoint is left alone (docs/ARCHITECTURE.md §4's hysteresis).
            if let present = current.peer(config.discoveryPublicKey), present.endpoint != nil,
               let handshake = present.lastHandshake, environment.sync.now() - handshake.seconds < EndpointSelection.freshHandshakeSeconds {
                discovery.endpoint = nil
            }
            let desired = WireGuardDevice(name: config.interface, privateKey: privateKey, listenPort: config.listenPort,
                                          peers: [discovery])
            let update = current.update(toReach: desired) { _ in false }
            if !update.isEmptyUpdate {
                try backend.apply(update, to: config.interface)
                if update.privateKey != nil { changes.append("set private key") }
                if let port = update.listenPort { changes.append("set listen port \(port)") }
                if !update.peers.isEmpty { changes.append("configured discovery peer \(config.discoveryPublicKey.base64) at \(discoveryEndpoint)") }
            }
        } catch {
            throw ClientError(.device, "cannot configure the WireGuard interface \(config.interface)", cause: error)
        }
    }

    /// The discovery nodes beside the configured one (docs/ARCHITECTURE.md §11): the
    /// `DISCOVERY_FALLBACKS` entries and the nodes the last sync learned from the zone.
    func otherDiscoveryNodes(_ state: ClientState, ownKey: WireGuardKey) -> [DiscoveryPeers.Node] {
        let config = options.config
        func resolved(_ hostPort: HostPort) -> Endpoint? {
            (hostPort.address ?? (try? environment.resolve(hostPort.host))?.first).map { Endpoint(address: $0, port: hostPort.port) }
        }
        var nodes = config.discoveryFallbacks.map {
            DiscoveryPeers.Node(publicKey: $0.publicKey, wgIP: $0.wgIP, endpoint: resolved($0.endpoint))
        }
        nodes += (state.discoveryNodes ?? []).map {
            DiscoveryPeers.Node(publicKey: $0.publicKey, wgIP: $0.wgIP, endpoint: $0.endpoint.flatMap { HostPort($0) }.flatMap(resolved))
        }
        var seen: Set<WireGuardKey> = [config.discoveryPublicKey, ownKey]
        return nodes.filter { seen.insert($0.publicKey).inserted }
    }

    /// Adds the other discovery nodes as peers (/32, keepalive 25), so that the first
    /// handshake and the first sync may go through any of them.
    private func configureOtherNodes(_ backend: any WireGuardBackend, _ nodes: [DiscoveryPeers.Node], ownKey: WireGuardKey,
                                     _ changes: inout [String]) throws(ClientError) {
        guard !nodes.isEmpty else { return }
        let config = options.config
        do {
            let current = try backend.device(named: config.interface)
            let updates = DiscoveryPeers.update(device: current, wanted: nodes, learnedBefore: [],
                                                skip: [config.discoveryPublicKey, ownKey], now: environment.sync.now())
            guard !updates.isEmpty else { return }
            try backend.apply(WireGuardDevice(name: config.interface, peers: updates), to: config.interface)
            changes.append("configured \(updates.count) more discovery node peer\(updates.count == 1 ? "" : "s")")
        } catch {
            throw ClientError(.device, "cannot add the other discovery nodes to \(config.interface)", cause: error)
        }
    }

    /// Waits until a discovery peer (the configured one, or another node) has a fresh
    /// handshake (``EndpointSelection/freshHandshake``); nudges WireGuard with a DNS query
    /// through the tunnel to each node meanwhile. Returns its age.
    private func waitForHandshake(_ backend: any WireGuardBackend, endpoint: Endpoint,
                                  others: [DiscoveryPeers.Node]) async throws(ClientError) -> Int64 {
        let config = options.config
        let deadline = ContinuousClock.now + options.handshakeTimeout
        let servers = (config.discoveryDNS.address.map { [Endpoint(address: $0, port: config.discoveryDNS.port)] } ?? [])
            + others.map { Endpoint(address: $0.wgIP, port: config.discoveryDNS.port) }
        let keys = [config.discoveryPublicKey] + others.map(\.publicKey)
        let zone = (try? DNSName(config.dnsZone)) ?? .root
        while true {
            let device: WireGuardDevice
            do {
                device = try backend.device(named: config.interface)
            } catch {
                throw ClientError(.device, "cannot read the WireGuard interface \(config.interface)", cause: error)
            }
            let now = environment.sync.now()
            let fresh = keys.compactMap { device.peer($0)?.lastHandshake?.seconds }.filter { now - $0 < EndpointSelection.freshHandshakeSeconds }
            if let newest = fresh.max() { return max(0, now - newest) }
            if ContinuousClock.now >= deadline {
                let key = device.publicKey?.base64 ?? "?"
                throw ClientError(.handshake,
                    "no handshake with the discovery node \(config.discoveryPublicKey.base64) at \(endpoint) within \(options.handshakeTimeout): check that UDP to \(endpoint) gets through and that the administrator registered this client's key \(key) (valonctl peer add \(key))")
            }
            for server in servers { await environment.nudge(server, zone) }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
