import Foundation
import Synchronization
import Testing
import ValonKit
import ValonTestSupport

/// valon-bootstrap's steps without root (docs/ARCHITECTURE.md §5): the key, the interface
/// (kernel link, else the userspace implementation), address, MTU, link up, the discovery
/// peer, the routes, the first handshake and the first sync, against a link table, a device
/// and a userspace implementation that keep their state in memory
/// (``BootstrapEnvironment``). Each case says which steps one run must take on a given host.
/// The real runs (KernelWireGuardBootstrapRootTests in the VM, the end-to-end mesh) use the
/// same code against rtnetlink, the kernel module and wireguard-go.
@Suite("valon-bootstrap steps")
struct BootstrapStepsTests {
    typealias Machine = SyncStateMachineTests

    // MARK: - Collaborators in memory

    /// A link table: links by index, addresses, device routes; `eth0` (index 2) holds the
    /// default route.
    final class MemoryLinks: LinkConfiguring, Sendable {
        struct State {
            var links = [NetworkLink(index: 1, name: "lo", flags: 1, mtu: 65536), NetworkLink(index: 2, name: "eth0", flags: 1, mtu: 1500)]
            var addresses: [InterfaceAddress] = []
            var routes: [(destination: IPNetwork, index: Int32)] = []
            var kernelHasWireGuard = true
            var linkFailure: NetlinkError?
        }
        let state: Mutex<State>
        init(_ state: State = State()) { self.state = Mutex(state) }

        static func noDevice(_ name: String) -> NetlinkError {
            NetlinkError(.kernel, "RTM_GETLINK \(name)", cause: SystemError(operation: "RTM_GETLINK", target: name, errno: ENODEV, reason: "No such device"))
        }

        func createWireGuardLink(name: String) throws(NetlinkError) {
            try state.withLock { state throws(NetlinkError) in
                if let failure = state.linkFailure { throw failure }
                guard state.kernelHasWireGuard else {
                    throw NetlinkError(.noWireGuardInKernel, "RTM_NEWLINK \(name) kind wireguard: the kernel has no wireguard link kind")
                }
                state.links.append(NetworkLink(index: (state.links.map(\.index).max() ?? 0) + 1, name: name, kind: "wireguard", mtu: 1500))
            }
        }
        func deleteLink(name: String) throws(NetlinkError) {
            try state.withLock { state throws(NetlinkError) in
                guard let link = state.links.first(where: { $0.name == name }) else { throw Self.noDevice(name) }
                state.links.removeAll { $0.index == link.index }
                state.addresses.removeAll { $0.interfaceIndex == link.index }
                state.routes.removeAll { $0.index == link.index }
            }
        }
        func interfaceIndex(name: String) throws(NetlinkError) -> Int32 {
            guard let index = state.withLock({ $0.links.first { $0.name == name }?.index }) else { throw Self.noDevice(name) }
            return index
        }
        func links() throws(NetlinkError) -> [NetworkLink] { state.withLock { $0.links } }
        func setUp(_ up: Bool, name: String) throws(NetlinkError) {
            let index = try interfaceIndex(name: name)
            state.withLock { state in
                for position in state.links.indices where state.links[position].index == index {
                    state.links[position].flags = up ? state.links[position].flags | 1 : state.links[position].flags & ~1
                }
            }
        }
        func setMTU(_ mtu: UInt32, name: String) throws(NetlinkError) {
            let index = try interfaceIndex(name: name)
            state.withLock { state in
                for position in state.links.indices where state.links[position].index == index { state.links[position].mtu = mtu }
            }
        }
        func addAddress(_ network: IPNetwork, interface: String) throws(NetlinkError) {
            let index = try interfaceIndex(name: interface)
            state.withLock { $0.addresses.append(InterfaceAddress(interfaceIndex: index, network: network)) }
        }
        func addresses(interface: String?) throws(NetlinkError) -> [InterfaceAddress] {
            let index = try interface.map { name throws(NetlinkError) in try interfaceIndex(name: name) }
            return state.withLock { $0.addresses.filter { index == nil || $0.interfaceIndex == index } }
        }
        func addDeviceRoute(_ destination: IPNetwork, interface: String) throws(NetlinkError) {
            let index = try interfaceIndex(name: interface)
            try state.withLock { state throws(NetlinkError) in
                if state.routes.contains(where: { $0.destination == destination }) {
                    throw NetlinkError(.kernel, "RTM_NEWROUTE \(destination) dev \(interface)",
                                       cause: SystemError(operation: "RTM_NEWROUTE", errno: EEXIST, reason: "File exists"))
                }
                state.routes.append((destination, index))
            }
        }
        func lookupRoute(to destination: IPAddress) throws(NetlinkError) -> RouteLookup {
            let route = state.withLock { state in
                state.routes.filter { $0.destination.contains(destination) }.max { $0.destination.prefixLength < $1.destination.prefixLength }
            }
            return RouteLookup(interfaceIndex: route?.index ?? 2, source: nil, gateway: route == nil ? IPAddress("192.168.1.1") : nil)
        }
    }

    /// A userspace implementation that serves its socket once started.
    final class MemoryUserspace: UserspaceWireGuardControl, Sendable {
        /// wireguard-go makes its tun link when it starts.
        let links: MemoryLinks
        init(links: MemoryLinks) { self.links = links }
        struct State {
            var sockets: Set<String> = []
            var running: [Int32: String] = [:]
            var started: [String] = []
        }
        let state = Mutex(State())
        func hasSocket(for interface: String) -> Bool { state.withLock { $0.sockets.contains(interface) } }
        func start(_ implementation: String, interface: String, environment: [String: String]) throws(ClientError) -> Int32 {
            links.state.withLock { $0.links.append(NetworkLink(index: 9, name: interface, kind: "tun", mtu: 1420)) }
            return state.withLock { state in
                state.sockets.insert(interface)
                state.running[4242] = implementation
                state.started.append("\(implementation) \(interface)")
                return 4242
            }
        }
        func isRunning(pid: Int32, implementation: String) -> Bool { state.withLock { $0.running[pid] == implementation } }
        func stop(pid: Int32) { _ = state.withLock { $0.running.removeValue(forKey: pid) } }
        func removeSocket(for interface: String) -> String? {
            state.withLock { $0.sockets.remove(interface) }.map { "/var/run/wireguard/\($0).sock" }
        }
    }

    // MARK: - The world of one case

    static let now: Int64 = 1_764_600_000

    struct World {
        let directory: String
        let keyFile: String
        let links: MemoryLinks
        let userspace: MemoryUserspace
        let device = Machine.MemoryDevice(WireGuardDevice(name: "wgtest"))
        let reporter = Machine.Reporter()
        /// Whether the discovery node answers the nudge with a handshake.
        let answers = Locked(true)
        let nudges = Locked(0)

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-bs-\(UUID().uuidString.prefix(8))").path
            keyFile = directory + "/keys/wgtest.key"
            links = MemoryLinks()
            userspace = MemoryUserspace(links: links)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        var config: ClientConfig {
            var config = Machine.config
            config.privateKeyFile = keyFile
            return config
        }

        func environment(registry: [Machine.Answer] = []) -> BootstrapEnvironment {
            let (device, reporter, links, answers, nudges) = (device, reporter, links, answers, nudges)
            let registry = Machine.ScriptedRegistry(registry)
            let network = Machine.Network(source: Machine.here)
            let discovery = try! Machine.discovery.publicKey()
            let sync = SyncEnvironment(
                backend: { _ in device }, network: { () throws(ClientError) in network },
                registry: { _, _, _ in registry }, reporter: { _ in reporter }, resolve: { _ in nil }, now: { BootstrapStepsTests.now })
            return BootstrapEnvironment(
                links: { () throws(ClientError) in links }, userspace: userspace,
                resolve: { host throws(ClientError) in
                    guard let address = IPAddress(host) else { throw ClientError(.network, "cannot resolve \(host): Name or service not known") }
                    return [address]
                },
                nudge: { _, _ in
                    nudges.withLock { $0 += 1 }
                    guard answers.withLock({ $0 }) else { return }
                    device.handshake(with: discovery, at: BootstrapStepsTests.now - 1)
                },
                sync: sync)
        }

        func up(sync: Bool = false, registry: [Machine.Answer] = []) async -> Result<ValonBootstrap.Outcome, ClientError> {
            var options = ValonBootstrap.Options(config: config)
            options.stateDirectory = directory
            options.sync = sync
            options.handshakeTimeout = .milliseconds(600)
            options.environment = [:]
            do {
                return .success(try await ValonBootstrap(options: options, environment: environment(registry: registry)).up())
            } catch {
                return .failure(error)
            }
        }

        func down() -> Result<[String], ClientError> {
            var options = ValonBootstrap.Options(config: config)
            options.stateDirectory = directory
            do {
                return .success(try ValonBootstrap(options: options, environment: environment()).down())
            } catch {
                return .failure(error)
            }
        }
    }

    static let discoveryPeer = "configured discovery peer \(try! Machine.discovery.publicKey().base64) at 198.51.100.1:51820"

    /// Every step of a first run on a host whose kernel has WireGuard, in order.
    static let firstRun = [
        "created private key KEY", "created kernel interface wgtest", "added address 100.100.0.2/24", "set MTU 1420",
        "set wgtest up", "set private key", "set listen port 51820", discoveryPeer, "added route 100.100.0.0/24 dev wgtest",
    ]

    // MARK: - The table

    @Test("a first run takes every step in order; a second changes nothing")
    func firstRunThenRerun() async throws {
        let world = try World()
        let first = try await world.up().get()
        #expect(first.changes == Self.firstRun.map { $0.replacingOccurrences(of: "KEY", with: world.keyFile) })
        #expect(first.backend == "kernel")
        #expect(first.userspacePID == nil)
        #expect(first.handshakeAgeSeconds == 1)
        let link = try #require(world.links.state.withLock { $0.links.first { $0.name == "wgtest" } })
        #expect(link.isUp && link.mtu == 1420 && link.kind == "wireguard")
        #expect(world.links.state.withLock { $0.routes.map(\.destination) } == [IPNetwork("100.100.0.0/24")!])
        let discovery = try #require(world.device.device.peer(try Machine.discovery.publicKey()))
        #expect(discovery.persistentKeepalive == 25)
        #expect(discovery.allowedIPs == [IPNetwork("100.100.0.1/32")!])
        #expect(world.device.device.privateKey == (try WireGuardKeyFile.read(from: world.keyFile)))

        let second = try await world.up().get()
        #expect(second.changes == [], "a rerun looks before it acts")
        #expect(second.publicKey == first.publicKey, "the key file is kept")
    }

    @Test("a kernel without WireGuard: the userspace implementation is started, recorded, and stopped by down")
    func userspaceFallback() async throws {
        let world = try World()
        world.links.state.withLock { $0.kernelHasWireGuard = false }
        let outcome = try await world.up().get()
        #expect(outcome.backend == "userspace")
        #expect(outcome.userspacePID == 4242)
        #expect(outcome.changes.contains("started wireguard-go wgtest (pid 4242)"))
        #expect(!outcome.changes.contains("created kernel interface wgtest"))
        #expect(world.userspace.state.withLock { $0.started } == ["wireguard-go wgtest"])

        let removed = try world.down().get()
        #expect(removed.first == "stopped wireguard-go (pid 4242)")
        #expect(removed.contains("removed /var/run/wireguard/wgtest.sock"))
        #expect(world.userspace.state.withLock { $0.running.isEmpty && $0.sockets.isEmpty })
        #expect(try world.down().get() == [], "a second down has nothing left to remove")
    }

    @Test("down deletes the kernel interface it created, and leaves one it did not create")
    func downRemovesOnlyWhatItMade() async throws {
        let world = try World()
        _ = try await world.up().get()
        #expect(try world.down().get() == ["deleted interface wgtest"])
        #expect(world.links.state.withLock { !$0.links.contains { $0.name == "wgtest" } })

        let existing = try World()
        try existing.links.createWireGuardLink(name: "wgtest")
        let outcome = try await existing.up().get()
        #expect(!outcome.changes.contains("created kernel interface wgtest"))
        #expect(try existing.down().get() == [])
        #expect(existing.links.state.withLock { $0.links.contains { $0.name == "wgtest" } }, "an interface it found is not its to delete")
    }

    @Test("an interface served by a userspace implementation already is used as it is")
    func existingUserspaceSocket() async throws {
        let world = try World()
        world.userspace.state.withLock { _ = $0.sockets.insert("wgtest") }
        try world.links.createWireGuardLink(name: "wgtest")
        let outcome = try await world.up().get()
        #expect(outcome.backend == "userspace")
        #expect(world.userspace.state.withLock { $0.started.isEmpty })
    }

    @Test("a route the kernel already sends out of the interface is not added twice")
    func routeAlreadyThere() async throws {
        let world = try World()
        try world.links.createWireGuardLink(name: "wgtest")
        try world.links.addDeviceRoute(IPNetwork("100.100.0.0/16")!, interface: "wgtest")
        let outcome = try await world.up().get()
        #expect(!outcome.changes.contains { $0.hasPrefix("added route") })
        #expect(world.links.state.withLock { $0.routes.count } == 1)
    }

    @Test("a discovery peer with a fresh handshake on a roamed endpoint keeps its endpoint")
    func roamedDiscoveryPeerIsLeftAlone() async throws {
        let world = try World()
        _ = try await world.up().get()
        let discovery = try Machine.discovery.publicKey()
        var roamed = WireGuardDevice(name: "wgtest")
        roamed.peers = [WireGuardPeer(publicKey: discovery, endpoint: Endpoint("198.51.100.99:40000"))]
        try world.device.apply(roamed, to: "wgtest")
        world.device.handshake(with: discovery, at: Self.now - 30)
        let outcome = try await world.up().get()
        #expect(outcome.changes == [])
        #expect(world.device.device.peer(discovery)?.endpoint == Endpoint("198.51.100.99:40000"))
    }

    @Test("no handshake in time: the error names the endpoint, this client's key and the command that registers it")
    func handshakeTimeout() async throws {
        let world = try World()
        world.answers.withLock { $0 = false }
        let error = try #require(await world.up().failure)
        let key = try WireGuardKeyFile.read(from: world.keyFile).publicKey().base64
        #expect(error.code == .handshake)
        #expect(error.message.contains("198.51.100.1:51820"))
        #expect(error.message.contains("valonctl peer add \(key)"))
        #expect(world.nudges.withLock { $0 } >= 1, "the tunnel was nudged while waiting")
    }

    @Test("a link the kernel refuses for another reason is an error that names the interface and keeps the cause")
    func linkRefused() async throws {
        let world = try World()
        world.links.state.withLock {
            $0.linkFailure = NetlinkError(.kernel, "RTM_NEWLINK wgtest", cause: SystemError(operation: "RTM_NEWLINK", errno: EPERM, reason: "Operation not permitted"))
        }
        let error = try #require(await world.up().failure)
        #expect(error.code == .network)
        #expect(error.message == "cannot create the WireGuard interface wgtest")
        #expect((error.cause as? NetlinkError)?.errno == EPERM)
        #expect(world.device.applied.isEmpty, "nothing was configured on a device that is not there")
    }

    @Test("a discovery endpoint that does not resolve stops before the device is touched")
    func unresolvableDiscovery() async throws {
        let world = try World()
        var config = world.config
        config.discoveryEndpoint = try #require(HostPort("discovery.invalid:51820"))
        var options = ValonBootstrap.Options(config: config)
        options.stateDirectory = world.directory
        options.sync = false
        await #expect(throws: ClientError.self) { try await ValonBootstrap(options: options, environment: world.environment()).up() }
        #expect(world.device.applied.isEmpty)
    }

    @Test("the first sync runs against the same device: the report is sent and every peer added")
    func firstSync() async throws {
        let world = try World()
        try FileManager.default.createDirectory(atPath: world.directory + "/keys", withIntermediateDirectories: true)
        try WireGuardKeyFile.write(Machine.own, to: world.keyFile)
        let registry: [Machine.Answer] = [.serial(10), .zone(serial: 10, peers: Machine.registry(ownLAN: Machine.lan))]
        let outcome = try await world.up(sync: true, registry: registry).get()
        #expect(outcome.sync?.status == .applied)
        #expect(world.reporter.reports == [Machine.lan])
        #expect(world.device.device.peers.count == 1 + Machine.others.count)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
