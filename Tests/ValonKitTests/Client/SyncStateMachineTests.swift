import Foundation
import Synchronization
import Testing
@testable import ValonKit
import ValonTestSupport

/// ValonSync's state machine without root (docs/ARCHITECTURE.md §5, §9): the sync runs
/// against a device, a network, a registry and an API that keep their state in memory
/// (``SyncEnvironment``), and each case says what one run must do: report or not, take the
/// serial short cut or fetch, apply or leave the device alone, and fail with which words.
/// The real end-to-end tests (ClientEndToEndRootTests, ClientRestartRootTests) run the same code
/// against wireguard-go, rtnetlink, the DNS server and the API.
@Suite("valon-sync state machine")
struct SyncStateMachineTests {
    // MARK: - Collaborators in memory

    final class MemoryDevice: WireGuardBackend, Sendable {
        private let state: Mutex<(device: WireGuardDevice, applied: [WireGuardDevice])>
        init(_ device: WireGuardDevice) { state = Mutex((device, [])) }
        var device: WireGuardDevice { state.withLock { $0.device } }
        var applied: [WireGuardDevice] { state.withLock { $0.applied } }
        func listDevices() throws(WireGuardError) -> [String] { [device.name] }
        func device(named name: String) throws(WireGuardError) -> WireGuardDevice { device }
        func apply(_ update: WireGuardDevice, to name: String) throws(WireGuardError) {
            state.withLock {
                $0.applied.append(update)
                $0.device = WireGuardDeviceModel.applying(update, to: $0.device)
            }
        }
        /// The handshake a peer's session would record (what the kernel reports as `last-handshake`).
        func handshake(with peer: WireGuardKey, at seconds: Int64) {
            state.withLock { state in
                for index in state.device.peers.indices where state.device.peers[index].publicKey == peer {
                    state.device.peers[index].lastHandshake = .init(seconds: seconds)
                }
            }
        }
    }

    struct Network: LocalNetworkReading {
        var source: IPAddress
        func sourceAddress(toward destination: IPAddress) throws(ClientError) -> IPAddress { source }
        func connectedSubnets(excluding interface: String) throws(ClientError) -> [IPNetwork] {
            [IPNetwork(address: source, prefixLength: 24)!.canonical]
        }
    }

    /// One scripted DNS answer of the registry.
    enum Answer: Sendable {
        case serial(UInt32)
        case zone(serial: UInt32, peers: [Peer])
        /// A zone that also publishes relayed pairs (docs/ARCHITECTURE.md §10).
        case relayed(serial: UInt32, peers: [Peer], relays: [RelayAllocation])
        /// A zone that also publishes discovery nodes (docs/ARCHITECTURE.md §11).
        case nodes(serial: UInt32, peers: [Peer], nodes: [DiscoveryNode], relays: [RelayAllocation])
        case servfail
    }

    final class ScriptedRegistry: RegistrySource, Sendable {
        private struct State {
            var answers: [Answer]
            var queries = 0
            var fetches = 0
        }
        private let state: Mutex<State>
        init(_ answers: [Answer]) { state = Mutex(State(answers: answers)) }
        var answers: [Answer] { state.withLock { $0.answers } }
        var queryCount: Int { state.withLock { $0.queries } }
        var fetches: Int { state.withLock { $0.fetches } }
        private func next() -> Answer? {
            state.withLock {
                $0.queries += 1
                return $0.answers.isEmpty ? nil : $0.answers.removeFirst()
            }
        }
        func serial() async throws(ClientError) -> UInt32 {
            switch next() {
            case .serial(let serial): return serial
            case .servfail: throw ClientError(.registry, "cannot read the SOA of valon.internal. from 100.100.0.1:53: 100.100.0.1:53 answered SERVFAIL")
            default: throw ClientError(.registry, "unexpected SOA query")
            }
        }
        func fetchAll() async throws(ClientError) -> (zone: RegistryZone, method: RegistryReader.Method) {
            state.withLock { $0.fetches += 1 }
            switch next() {
            case .zone(let serial, let peers): return (RegistryZone(peers: peers, serial: serial), .axfr)
            case .relayed(let serial, let peers, let relays): return (RegistryZone(peers: peers, serial: serial, relays: relays), .axfr)
            case .nodes(let serial, let peers, let nodes, let relays):
                return (RegistryZone(peers: peers, serial: serial, relays: relays, discoveryNodes: nodes), .axfr)
            case .servfail: throw ClientError(.registry, "cannot transfer the zone valon.internal. from 100.100.0.1:53: answered SERVFAIL")
            default: throw ClientError(.registry, "unexpected transfer")
            }
        }
    }

    final class Reporter: EndpointReporting, Sendable {
        private let sent = Mutex<[String]>([])
        private let relays = Mutex<[WireGuardKey]>([])
        var reports: [String] { sent.withLock { $0 } }
        /// The peers a relay was asked for, in order.
        var relayRequests: [WireGuardKey] { relays.withLock { $0 } }
        func report(publicKey: WireGuardKey, lanEndpoint: Endpoint, alias: String?) async throws(DDNSClientError) {
            sent.withLock { $0.append(lanEndpoint.description) }
        }
        func requestRelay(publicKey: WireGuardKey, peer: WireGuardKey) async throws(DDNSClientError) -> UInt16 {
            relays.withLock { $0.append(peer) }
            return 51821
        }
    }

    // MARK: - The world of one case

    static let discovery = WireGuardKey.generatePrivate()
    static let own = WireGuardKey.generatePrivate()
    static let others = (0..<3).map { _ in try! WireGuardKey.generatePrivate().publicKey() }
    static let here = IPAddress("192.168.1.50")!

    static func registry(ownLAN: String?) -> [Peer] {
        var peers = others.enumerated().map { index, key in
            Peer(publicKey: key, alias: "p\(index)", wgIP: IPAddress("100.100.0.\(20 + index)")!,
                 natEndpoint: Endpoint("203.0.113.\(20 + index):4000\(index)"))
        }
        peers.append(Peer(publicKey: try! own.publicKey(), alias: "me", wgIP: IPAddress("100.100.0.2")!,
                          lanEndpoint: ownLAN.flatMap { Endpoint($0) }, natEndpoint: Endpoint("198.51.100.7:51820")))
        return peers
    }

    static let config: ClientConfig = try! ClientConfig(parsing: """
        WG_INTERFACE=wgtest
        DISCOVERY_PUBKEY=\(try! discovery.publicKey().base64)
        DISCOVERY_ENDPOINT=198.51.100.1:51820
        DISCOVERY_DNS=100.100.0.1:53
        DISCOVERY_API=http://100.100.0.1:8053
        DNS_ZONE=valon.internal
        OWN_WG_IP=100.100.0.2
        OWN_ALIAS=me
        ALLOWED_IPS=100.100.0.0/24
        """, file: "client.conf")

    static func device() -> WireGuardDevice {
        WireGuardDevice(name: "wgtest", privateKey: own, listenPort: 51820, peers: [
            WireGuardPeer(publicKey: try! discovery.publicKey(), endpoint: Endpoint("198.51.100.1:51820"),
                          persistentKeepalive: 25, allowedIPs: [IPNetwork("100.100.0.1/32")!]),
        ])
    }

    struct World {
        let directory: String
        let device = MemoryDevice(SyncStateMachineTests.device())
        let reporter = Reporter()
        var source = SyncStateMachineTests.here
        /// The clock of the runs, seconds since the epoch.
        let clock = Locked<Int64>(1_764_600_000)
        /// The WireGuard addresses a handshake was provoked at.
        let provoked = Locked<[IPAddress]>([])
        /// Which discovery APIs answer `/health` through the tunnel, and which were asked.
        var healthy: @Sendable (String) -> Bool = { _ in true }
        let askedHealth = Locked<[String]>([])

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-sm-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        /// One sync against `answers`.
        func sync(_ answers: [Answer], dryRun: Bool = false) async -> (Result<SyncResult, ClientError>, ScriptedRegistry) {
            let registry = ScriptedRegistry(answers)
            let network = Network(source: source)
            let (device, reporter, clock, provoked, healthy, askedHealth) = (device, reporter, clock, provoked, healthy, askedHealth)
            let environment = SyncEnvironment(
                backend: { _ in device }, network: { () throws(ClientError) in network },
                registry: { _, _, _ in registry }, reporter: { _ in reporter }, resolve: { _ in nil }, now: { clock.value },
                provoke: { address in provoked.withLock { $0.append(address) } },
                answersHealth: { api in
                    askedHealth.withLock { $0.append(api) }
                    return healthy(api)
                })
            var options = ValonSync.Options(config: SyncStateMachineTests.config)
            options.stateDirectory = directory
            options.dryRun = dryRun
            let result: Result<SyncResult, ClientError>
            do {
                result = .success(try await ValonSync(options: options, environment: environment).run())
            } catch {
                result = .failure(error)
            }
            return (result, registry)
        }
    }

    // MARK: - The table

    /// What came before the run under test.
    enum Before: Sendable {
        /// Nothing: the first run on this host.
        case nothing
        /// One good sync at serial 10 from the same address.
        case synced
        /// One good sync at serial 10 while the host had another LAN address.
        case syncedElsewhere
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var before: Before
        var answers: [Answer]
        var dryRun = false
        var status: SyncResult.Status? = nil
        var error: String? = nil
        var report: SyncResult.ReportStatus
        var fetches: Int
        var applies: Int
        var refreshed = 0
        var queries: Int
        var testDescription: String { what }
    }

    static let lan = "192.168.1.50:51820"

    static let cases: [Case] = [
        Case(what: "first run: reports, fetches, adds every peer", before: .nothing,
             answers: [.serial(10), .zone(serial: 10, peers: registry(ownLAN: lan))],
             status: .applied, report: .sent, fetches: 1, applies: 1, queries: 2),
        Case(what: "nothing changed: the same report is not sent, one SOA query, no fetch", before: .synced,
             answers: [.serial(10)], status: .upToDate, report: .unchanged, fetches: 0, applies: 0, queries: 1),
        Case(what: "a new serial: fetched, nothing to change", before: .synced,
             answers: [.serial(11), .zone(serial: 11, peers: registry(ownLAN: lan))],
             status: .unchanged, report: .unchanged, fetches: 1, applies: 0, queries: 2),
        Case(what: "the registry lost my report: sent again although remembered", before: .synced,
             answers: [.serial(11), .zone(serial: 11, peers: registry(ownLAN: nil))],
             status: .unchanged, report: .sent, fetches: 1, applies: 0, queries: 2),
        Case(what: "the host moved: every endpoint set again first, a new report, a fetch (the subnets changed)",
             before: .syncedElsewhere, answers: [.serial(10), .zone(serial: 10, peers: registry(ownLAN: lan))],
             status: .unchanged, report: .sent, fetches: 1, applies: 1, refreshed: 4, queries: 2),
        Case(what: "serial 0: refused, nothing fetched, the device untouched", before: .synced,
             answers: [.serial(0)], error: "SOA serial 0", report: .unchanged, fetches: 0, applies: 0, queries: 1),
        Case(what: "the serial moved once during the transfer: asked again, applied", before: .nothing,
             answers: [.serial(10), .zone(serial: 11, peers: registry(ownLAN: lan)), .serial(11),
                       .zone(serial: 11, peers: registry(ownLAN: lan))],
             status: .applied, report: .sent, fetches: 2, applies: 1, queries: 4),
        Case(what: "the serial moved three times: refused, the device untouched", before: .nothing,
             answers: [.serial(10), .zone(serial: 11, peers: registry(ownLAN: lan)), .serial(11),
                       .zone(serial: 12, peers: registry(ownLAN: lan)), .serial(12),
                       .zone(serial: 13, peers: registry(ownLAN: lan))],
             error: "again after 3 tries", report: .sent, fetches: 3, applies: 0, queries: 6),
        Case(what: "a transfer of a zone with serial 0: refused", before: .nothing,
             answers: [.serial(10), .zone(serial: 0, peers: [])], error: "SOA serial 0", report: .sent, fetches: 1,
             applies: 0, queries: 2),
        Case(what: "SERVFAIL to the SOA query: the device untouched, the answer named", before: .synced,
             answers: [.servfail], error: "SERVFAIL", report: .unchanged, fetches: 0, applies: 0, queries: 1),
        Case(what: "SERVFAIL to the transfer: the device untouched", before: .nothing,
             answers: [.serial(10), .servfail], error: "SERVFAIL", report: .sent, fetches: 1, applies: 0, queries: 2),
        Case(what: "--dry-run: plans, reports nothing, applies nothing", before: .nothing,
             answers: [.serial(10), .zone(serial: 10, peers: registry(ownLAN: lan))], dryRun: true,
             status: .planned, report: .skipped, fetches: 1, applies: 0, queries: 2),
    ]

    @Test(arguments: cases)
    func oneRun(_ test: Case) async throws {
        var world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        if test.before != .nothing {
            if test.before == .syncedElsewhere { world.source = IPAddress("10.9.9.9")! }
            let (setup, _) = await world.sync([.serial(10), .zone(serial: 10, peers: Self.registry(ownLAN: "\(world.source):51820"))])
            #expect((try? setup.get())?.status == .applied, "the run before: \(setup)")
            world.source = Self.here
        }
        let deviceBefore = world.device.device
        let appliesBefore = world.device.applied.count
        let reportsBefore = world.reporter.reports.count

        let (result, registry) = await world.sync(test.answers, dryRun: test.dryRun)

        switch result {
        case .success(let sync):
            #expect(test.error == nil, "expected the error \(test.error ?? "")")
            #expect(sync.status == test.status)
            #expect(sync.report == test.report)
            #expect(sync.endpointsRefreshed == test.refreshed)
            #expect(sync.dnsQueries == test.queries)
        case .failure(let error):
            let words = try #require(test.error, "unexpected error: \(error)")
            #expect(error.description.contains(words), "\(error)")
            #expect(error.description.contains("100.100.0.1:53"), "names the server: \(error)")
        }
        #expect(registry.fetches == test.fetches)
        #expect(registry.queryCount == test.queries)
        #expect(registry.answers.isEmpty, "every scripted answer was asked for")
        #expect(world.device.applied.count - appliesBefore == test.applies)
        #expect(world.reporter.reports.count - reportsBefore == (test.report == .sent ? 1 : 0))
        if test.applies == 0 {
            #expect(world.device.device == deviceBefore, "the device is untouched")
        }
        if test.status == .applied {
            let keys = Set(world.device.device.peers.map(\.publicKey))
            #expect(keys.isSuperset(of: Self.others), "every registered peer is on the device")
            #expect(keys.contains(try Self.discovery.publicKey()), "the discovery peer stays")
        }
    }

    @Test("a pair the zone relays gets the relay endpoint with keepalive 25; when the relay goes, the rules apply again")
    func relayedPair() async throws {
        let world = try World()
        let own = try Self.own.publicKey()
        let relay = RelayAllocation(between: own, and: Self.others[0], port: 51821)
        let (first, _) = await world.sync([.serial(10), .relayed(serial: 10, peers: Self.registry(ownLAN: Self.lan), relays: [relay])])
        let result = try first.get()
        #expect(result.status == .applied)
        let relayed = try #require(world.device.device.peer(Self.others[0]))
        #expect(relayed.endpoint == Endpoint("198.51.100.1:51821"), "the discovery node's address with the pair's port")
        #expect(relayed.persistentKeepalive == 25)
        #expect(result.peers.first { $0.pubkey == Self.others[0].base64 }?.reason == .relay)
        #expect(world.device.device.peer(Self.others[1])?.endpoint == Endpoint("203.0.113.21:40001"), "other pairs stay direct")

        let (second, _) = await world.sync([.serial(11), .zone(serial: 11, peers: Self.registry(ownLAN: Self.lan))])
        #expect(try second.get().status == .applied)
        #expect(world.device.device.peer(Self.others[0])?.endpoint == Endpoint("203.0.113.20:40000"), "back to its NAT endpoint")
    }

    @Test("a direct path without a handshake for 15 s asks for a relay, once a minute; one that handshakes does not")
    func failedDirectPathAsksForARelay() async throws {
        let world = try World()
        let start = world.clock.value
        let zone: [Answer] = [.serial(10), .zone(serial: 10, peers: Self.registry(ownLAN: Self.lan))]
        let (first, _) = await world.sync(zone)
        #expect(try first.get().status == .applied)
        #expect(world.reporter.relayRequests.isEmpty)
        #expect(Set(world.provoked.value) == Set((0..<3).map { IPAddress("100.100.0.\(20 + $0)")! }),
                "every new path is nudged toward a handshake")

        // p0 answers; p1 and p2 stay silent.
        world.device.handshake(with: Self.others[0], at: start + 2)
        world.clock.value = start + 10
        let (early, _) = await world.sync([.serial(10)])
        #expect(try early.get().status == .upToDate)
        #expect(world.reporter.relayRequests.isEmpty, "15 s have not passed")

        world.clock.value = start + 16
        let (late, _) = await world.sync([.serial(10)])
        let result = try late.get()
        #expect(Set(world.reporter.relayRequests) == [Self.others[1], Self.others[2]])
        #expect(result.relayRequests.map(\.port) == [51821, 51821])
        #expect(result.paths[Self.others[0].base64]?.contains(": handshake seen, since ") == true)
        #expect(result.paths[Self.others[1].base64]?.contains(": no handshake since \(start), failed at \(start + 16); relay asked at \(start + 16)") == true)
        let state = try ClientState.load(directory: world.directory, interface: "wgtest")
        #expect(state.paths?[Self.others[1].base64]?.failedAt == start + 16, "the verdict is kept in the state file")

        world.clock.value = start + 40
        _ = await world.sync([.serial(10)])
        #expect(world.reporter.relayRequests.count == 2, "not asked again within a minute")
        world.clock.value = start + 80
        _ = await world.sync([.serial(10)])
        #expect(world.reporter.relayRequests.count == 4, "asked again after a minute")
    }

    @Test("a learned node is used only after it answers /health through the tunnel; a record on a peer's address is never a peer")
    func learnedNodesOnProbation() async throws {
        var world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        // Keys sorted so that the forged record would be the first relay host by key.
        let keys = (0..<3).map { _ in try! WireGuardKey.generatePrivate().publicKey() }.sorted { $0.base64 < $1.base64 }
        let (forged, real, squatter) = (keys[0], keys[1], keys[2])
        let nodes = [
            DiscoveryNode(publicKey: forged, wgIP: IPAddress("100.100.0.250")!, endpoint: "192.0.2.66:51820", relay: "192.0.2.66:51821-52820"),
            DiscoveryNode(publicKey: real, wgIP: IPAddress("100.100.0.3")!, endpoint: "198.51.100.2:51820", relay: "198.51.100.2:51821-52820"),
            // Claims the address of the registered peer p0.
            DiscoveryNode(publicKey: squatter, wgIP: IPAddress("100.100.0.20")!, endpoint: "192.0.2.67:51820"),
        ]
        world.healthy = { $0 == "http://100.100.0.3:8053" }
        let peers = Self.registry(ownLAN: nil)
        let relay = RelayAllocation(between: try Self.own.publicKey(), and: Self.others[1], port: 51830)
        let (first, _) = await world.sync([.serial(10), .nodes(serial: 10, peers: peers, nodes: nodes, relays: [relay])])
        #expect(throws: Never.self) { try first.get() }
        let device = world.device.device
        #expect(device.peer(forged) != nil, "a learned node is a WireGuard peer, so that it can be asked")
        #expect(device.peer(real) != nil)
        #expect(device.peer(squatter) == nil, "a record on a registered peer's address never becomes a peer")
        #expect(device.peer(Self.others[0])?.allowedIPs == [IPNetwork("100.100.0.20/32")!], "p0 keeps its address")
        let state = try ClientState.load(directory: world.directory, interface: "wgtest")
        #expect(state.verifiedDiscovery == [real.base64])
        #expect(state.discoveryProbes?[forged.base64] != nil && state.discoveryProbes?[real.base64] == nil)
        #expect(!(state.discoveryNodes ?? []).contains { $0.publicKey == squatter })
        var options = ValonSync.Options(config: Self.config)
        options.stateDirectory = world.directory
        let candidates = try ValonSync(options: options).discoveryCandidates(state).map(\.publicKey)
        #expect(candidates.contains(real) && !candidates.contains(forged), "only the verified node is failed over to")
        // Never through the forged node, although it sorts first: on this first sync nothing
        // learned is verified yet, so the configured node's address; from the next one on,
        // the verified node's.
        #expect(device.peer(Self.others[1])?.endpoint == Endpoint("198.51.100.1:51830"), "\(String(describing: device.peer(Self.others[1])))")

        // The forged node is asked again only after the probe interval.
        world.askedHealth.withLock { $0 = [] }
        _ = await world.sync([.serial(11), .nodes(serial: 11, peers: peers, nodes: nodes, relays: [relay])])
        #expect(world.askedHealth.value.isEmpty, "asked again too soon: \(world.askedHealth.value)")
        #expect(world.device.device.peer(Self.others[1])?.endpoint == Endpoint("198.51.100.2:51830"))
        world.clock.withLock { $0 += ValonSync.discoveryProbeInterval }
        _ = await world.sync([.serial(12), .nodes(serial: 12, peers: peers, nodes: nodes, relays: [relay])])
        #expect(world.askedHealth.value == ["http://100.100.0.250:8053"])
    }

    @Test("a dry run shows each path's verdict but keeps nothing, sends nothing and asks for nothing")
    func dryRunAsksForNoRelay() async throws {
        let world = try World()
        world.clock.value += 100
        let (result, _) = await world.sync([.serial(10), .zone(serial: 10, peers: Self.registry(ownLAN: Self.lan))], dryRun: true)
        let planned = try result.get()
        #expect(planned.status == .planned)
        #expect(world.reporter.relayRequests.isEmpty && world.provoked.value.isEmpty)
        #expect(planned.paths.count == Self.others.count)
        #expect(planned.paths.values.allSatisfy { $0.contains(": waiting for a handshake since \(world.clock.value)") })
        #expect(planned.planText.contains("PATH (docs/ARCHITECTURE.md §10)"))
        #expect(try ClientState.load(directory: world.directory, interface: "wgtest").paths == nil, "a dry run keeps no path")
    }

    @Test("a LAN endpoint without a handshake gives way to the NAT endpoint; only when that fails too is a relay asked")
    func failedLANTriesNATFirst() async throws {
        let world = try World()
        let start = world.clock.value
        // p0 has a LAN endpoint in my subnet, so rule 1 picks it.
        var peers = Self.registry(ownLAN: Self.lan)
        peers[0].lanEndpoint = Endpoint("192.168.1.77:51820")
        let zone: [Answer] = [.serial(10), .zone(serial: 10, peers: peers)]
        _ = await world.sync(zone)
        #expect(world.device.device.peer(Self.others[0])?.endpoint == Endpoint("192.168.1.77:51820"))
        world.clock.value = start + 16
        let (lanFailed, _) = await world.sync([.serial(10), .zone(serial: 10, peers: peers)])
        #expect(try lanFailed.get().status == .upToDate)
        #expect(!world.reporter.relayRequests.contains(Self.others[0]), "the NAT endpoint is tried before a relay")
        // The failure cancels the serial short cut: the next run plans again, without the LAN endpoint.
        world.clock.value = start + 17
        let (planned, _) = await world.sync(zone)
        #expect(try planned.get().peers.first { $0.pubkey == Self.others[0].base64 }?.reason == .nat)
        #expect(world.device.device.peer(Self.others[0])?.endpoint == Endpoint("203.0.113.20:40000"))
        world.clock.value = start + 33
        _ = await world.sync([.serial(10)])
        #expect(world.reporter.relayRequests.contains(Self.others[0]), "the NAT endpoint failed as well: a relay")
    }
}
