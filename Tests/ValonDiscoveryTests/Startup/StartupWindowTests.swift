import Foundation
import Logging
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// docs/ARCHITECTURE.md §9 against a real etcd member holding 5,000 peers: the DNS server
/// opens before the registry is read, and a hammer (UDP, TCP, AXFR) asks about registered
/// peers from that moment on. Before the first read only SERVFAIL may come back; after it,
/// only the real data. Never NXDOMAIN or NODATA for a registered name, never a short
/// transfer, never serial 0. The same with etcd unreachable at start, without and with the
/// snapshot an earlier run persisted, and the catch-up once etcd is back.
@Suite("Start-up: never a registry that was not read", .serialized, .timeLimit(.minutes(5)), .tags(.process))
struct StartupWindowProcessTests {
    static let zone = "valon.internal"
    static let peerCount = 5_000

    /// A store (persisting into `state`) and a DNS server for it on 127.0.0.1, not started.
    struct Node {
        let store: RegistrySnapshotStore
        let server: DNSServer
        var tasks: [Task<Void, any Error>] = []

        init(etcd: EtcdCluster, state: String) throws {
            var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
            configuration.requestTimeout = .seconds(2)
            configuration.retryWindow = .milliseconds(500)
            let registry = PeerRegistry(etcd: try EtcdClient(configuration),
                                        configuration: .init(network: IPNetwork("10.64.0.0/10")!))
            var logger = Logger(label: "valon.startup.test")
            logger.logLevel = .critical
            let metrics = DiscoveryMetrics()
            store = RegistrySnapshotStore(registry: registry, syncInterval: .seconds(30), metrics: metrics, logger: logger,
                                          stateDirectory: state)
            let zone = DNSZone(name: try DNSName(StartupWindowProcessTests.zone), ttl: 2,
                               discoveryAddresses: [IPAddress("100.100.0.1")!], axfrAllow: [IPNetwork("127.0.0.0/8")!])
            server = DNSServer(configuration: .init(zone: zone, bindAddresses: [IPAddress("127.0.0.1")!], port: 0),
                               store: store, metrics: metrics, logger: logger)
        }

        /// Starts the DNS server alone and returns its port.
        mutating func serve() async throws -> UInt16 {
            let server = server
            tasks.append(Task(executorPreference: EventLoopTaskExecutor.nodeTasks) { try await server.run() })
            return try await server.waitUntilBound()
        }

        /// Starts following etcd.
        mutating func follow() {
            let store = store
            tasks.append(Task(executorPreference: EventLoopTaskExecutor.nodeTasks) { try await store.run() })
        }

        func stop() async {
            for task in tasks { task.cancel() }
            for task in tasks { _ = await task.result }
        }
    }

    static func stateDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("valon-state-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func seed(_ etcd: EtcdCluster, count: Int = peerCount) async throws -> (peers: [Peer], serial: UInt32) {
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        let peers = try await RegistrySeed.add(count, to: client)
        let revision = try await client.range(.prefix("/valon/")).header.revision
        return (peers, UInt32(truncatingIfNeeded: revision))
    }

    /// Hammers until `condition` holds for the tally (bounded), then returns it.
    static func hammer(_ hammer: RegistryHammer, until what: String, limit: Duration = .seconds(90),
                       _ condition: @escaping (RegistryHammer.Tally) -> Bool) async throws {
        try await eventually(what, limit: limit) { condition(hammer.current) }
    }

    @Test("5,000 peers in etcd: SERVFAIL before the first read, the real data after it, nothing else")
    func firstRead() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let (peers, serial) = try await Self.seed(etcd)
        let state = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        var node = try Node(etcd: etcd, state: state)
        let port = try await node.serve()
        let hammer = try RegistryHammer(port: port, zone: Self.zone, peers: peers)
        hammer.serials.withLock { $0 = [serial] }
        hammer.start()
        // The window before the read, made long on purpose: the store has not started yet.
        try await Self.hammer(hammer, until: "SERVFAIL before the read") { $0.servfail >= 200 && $0.servfailTransfers >= 2 }
        let before = hammer.current
        node.follow()
        try await eventually("the first read") { node.store.live != nil }
        let read = hammer.current
        try await Self.hammer(hammer, until: "answers after the read") {
            $0.data >= read.data + 1_000 && $0.transfers >= read.transfers + 3
        }
        let tally = await hammer.stop()
        await node.stop()

        #expect(before.data == 0 && before.transfers == 0, "before the read: \(before)")
        #expect(tally.violations.count == 0, "\(tally)")
        #expect(tally.transfers >= 3, "\(tally)")
        #expect(node.store.live?.serial == serial)
        let file = try #require(try RegistrySnapshotFile.load(from: state), "the snapshot was persisted")
        #expect(file.snapshot.peers.count == Self.peerCount)
        #expect(file.snapshot.serial == serial)
    }

    @Test("etcd unreachable at start and nothing persisted: SERVFAIL only; catches up when etcd is back")
    func unreachableWithoutSnapshot() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let (peers, serial) = try await Self.seed(etcd)
        etcd.stop(0)
        let state = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        var node = try Node(etcd: etcd, state: state)
        #expect(node.store.phase == .starting)
        let port = try await node.serve()
        node.follow()
        let hammer = try RegistryHammer(port: port, zone: Self.zone, peers: peers)
        hammer.serials.withLock { $0 = [serial] }
        hammer.start()
        try await Self.hammer(hammer, until: "SERVFAIL while etcd is down") { $0.servfail >= 500 && $0.servfailTransfers >= 3 }
        let down = hammer.current
        #expect(node.store.phase == .starting)

        try await etcd.restart(0)
        try await eventually("the read after etcd came back") { node.store.live != nil }
        let read = hammer.current
        try await Self.hammer(hammer, until: "answers after the read") {
            $0.data >= read.data + 1_000 && $0.transfers >= read.transfers + 2
        }
        let tally = await hammer.stop()
        await node.stop()
        #expect(down.data == 0 && down.transfers == 0, "while etcd was down: \(down)")
        #expect(tally.violations.count == 0, "\(tally)")
        #expect(node.store.live?.serial == serial)
    }

    @Test("etcd unreachable at start with a snapshot from an earlier run: the old data and serial, then the new")
    func unreachableWithSnapshot() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.shutdown() }
        let (peers, serial) = try await Self.seed(etcd)
        let state = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }

        // An earlier run reads etcd and persists the registry.
        var earlier = try Node(etcd: etcd, state: state)
        earlier.follow()
        try await eventually("the earlier run to persist the registry", limit: .seconds(60)) {
            (try? RegistrySnapshotFile.load(from: state))?.snapshot.serial == serial
        }
        await earlier.stop()
        etcd.stop(0)

        var node = try Node(etcd: etcd, state: state)
        guard case .stale = node.store.phase else {
            Issue.record("a persisted snapshot makes the store stale, not \(node.store.phase)")
            return
        }
        #expect(node.store.live == nil, "a persisted snapshot is not live")
        let port = try await node.serve()
        node.follow()
        let hammer = try RegistryHammer(port: port, zone: Self.zone, peers: peers)
        hammer.serials.withLock { $0 = [serial] }
        hammer.start()
        try await Self.hammer(hammer, until: "the persisted data while etcd is down") { $0.data >= 1_000 && $0.transfers >= 2 }
        let down = hammer.current
        #expect(down.servfail == 0 && down.servfailTransfers == 0, "\(down)")

        // etcd comes back with one more peer: the node catches up to the new serial.
        try await etcd.restart(0)
        try await eventually("the read after etcd came back") { node.store.live != nil }
        hammer.serials.withLock { $0 = nil }
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        let extra = try await RegistrySeed.add(1, to: client, aliasPrefix: "late", addressBase: 80)[0]
        let newSerial = UInt32(truncatingIfNeeded: try await client.range(.prefix("/valon/")).header.revision)
        try await eventually("the new peer to be served") { node.store.live?.peer(key: extra.publicKey) != nil }
        let tally = await hammer.stop()
        #expect(tally.violations.count == 0, "\(tally)")
        #expect(node.store.live?.serial == newSerial)
        try await eventually("the new snapshot to be persisted", limit: .seconds(60)) {
            (try? RegistrySnapshotFile.load(from: state))?.snapshot.serial == newSerial
        }
        await node.stop()
    }
}
