import Foundation
import Logging
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// A live discovery DNS server for one test: a real etcd member, the registry on it, the
/// snapshot store following it, and the server on 127.0.0.1 and 127.0.0.2 (one port picked
/// by the kernel). Transfers are allowed from 127.0.0.1 only, so 127.0.0.2 is "elsewhere".
final class DNSLiveServer: @unchecked Sendable {
    let etcd: EtcdCluster
    let registry: PeerRegistry
    let store: RegistrySnapshotStore
    let server: DNSServer
    let metrics = DiscoveryMetrics()
    let port: UInt16
    private let tasks: [Task<Void, any Error>]

    static let network = IPNetwork("100.100.0.0/24")!

    /// `network` is the registry's WireGuard network (a /16 for tests with thousands of peers).
    static func start(forwarders: [Endpoint] = [], forwardTimeout: Duration = .seconds(2),
                      syncInterval: Duration = .seconds(10), network: IPNetwork = network,
                      history: RegistryHistory = RegistryHistory(maximumCount: 64, maximumBytes: 64 << 20)) async throws -> DNSLiveServer {
        let etcd = try await EtcdCluster.start()
        do {
            return try await DNSLiveServer(etcd: etcd, forwarders: forwarders, forwardTimeout: forwardTimeout,
                                           syncInterval: syncInterval, network: network, history: history)
        } catch {
            etcd.shutdown()
            throw error
        }
    }

    private init(etcd: EtcdCluster, forwarders: [Endpoint], forwardTimeout: Duration, syncInterval: Duration,
                 network: IPNetwork, history: RegistryHistory) async throws {
        self.etcd = etcd
        var etcdConfiguration = EtcdConfiguration(endpoints: etcd.clientURLs)
        etcdConfiguration.requestTimeout = .seconds(1)
        etcdConfiguration.retryWindow = .seconds(1)
        registry = PeerRegistry(etcd: try EtcdClient(etcdConfiguration),
                                configuration: .init(network: network, reservedAddresses: [IPAddress("100.100.0.1")!]))
        var logger = Logger(label: "valon.dns.test")
        logger.logLevel = .warning
        store = RegistrySnapshotStore(registry: registry, syncInterval: syncInterval, metrics: metrics, logger: logger,
                                      history: history)
        try await store.refresh()
        var zone = DNSZone(name: try DNSName("valon.internal"), ttl: 2, discoveryAddresses: [IPAddress("100.100.0.1")!],
                           axfrAllow: [IPNetwork("127.0.0.1/32")!])
        zone.transferRecordsPerMessage = 50
        var configuration = DNSServer.Configuration(zone: zone, bindAddresses: [IPAddress("127.0.0.1")!, IPAddress("127.0.0.2")!],
                                                    port: 0, forwarders: forwarders)
        configuration.tcpIdleTimeout = .seconds(3)
        configuration.forwardTimeout = forwardTimeout
        server = DNSServer(configuration: configuration, store: store, metrics: metrics, logger: logger)
        let store = store, server = server
        tasks = [Task(executorPreference: EventLoopTaskExecutor.nodeTasks) { try await store.run() }, Task(executorPreference: EventLoopTaskExecutor.nodeTasks) { try await server.run() }]
        do {
            port = try await server.waitUntilBound()
        } catch {
            for task in tasks { task.cancel() }
            throw error
        }
    }

    /// Stops the server, the store and etcd.
    func stop() {
        for task in tasks { task.cancel() }
        etcd.shutdown()
    }

    /// `dig` against the server at `address`, parsed. It runs on a thread of its own, so
    /// that the test does not hold one of Swift's cooperative threads while it waits.
    func dig(_ arguments: [String], at address: String = "127.0.0.1") async throws -> DigResult {
        let arguments = ["@\(address)", "-p", String(port)] + arguments
        return try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try DigResult.run(arguments) }) }.start()
        }
    }

    /// Adds a peer with a fresh key.
    @discardableResult
    func addPeer(_ alias: String, lan: String? = nil, nat: String? = nil) async throws -> Peer {
        let key = try WireGuardKey.generatePrivate().publicKey()
        var peer = try await registry.add(key: key, alias: alias, lanEndpoint: lan.flatMap { Endpoint($0) })
        if let nat = nat.flatMap({ Endpoint($0) }) {
            _ = try await registry.setEndpoint(.nat, to: nat, of: key)
            peer.natEndpoint = nat
        }
        return peer
    }

    /// Writes `count` peers `peer<first>`… with fresh keys at 100.100.<i / 250>.<i % 250 + 2>
    /// (the network must be 100.100.0.0/16) straight into etcd, 25 peers per transaction
    /// (the keys ``PeerRegistry`` writes, without reading the registry before each one), and
    /// waits until the store serves them all.
    @discardableResult
    func addPeers(_ count: Int, first: Int = 0) async throws -> [Peer] {
        let client = try EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        let keys = RegistryKeys()
        let peers = try (first..<(first + count)).map { index in
            Peer(publicKey: try WireGuardKey.generatePrivate().publicKey(), alias: "peer\(index)",
                 wgIP: IPAddress("100.100.\(index / 250).\(index % 250 + 2)")!)
        }
        for start in stride(from: 0, to: peers.count, by: 25) {
            let batch = peers[start..<min(start + 25, peers.count)]
            let puts = batch.flatMap { peer in [
                EtcdPutRequest(key: keys.field(.wgIP, of: peer.publicKey), value: peer.wgIP.description),
                EtcdPutRequest(key: keys.field(.alias, of: peer.publicKey), value: peer.alias),
                EtcdPutRequest(key: keys.alias(peer.alias), value: peer.publicKey.base64),
                EtcdPutRequest(key: keys.ip(peer.wgIP), value: peer.publicKey.base64),
            ] }
            let response = try await client.txn(EtcdTxnRequest(success: puts.map { .put($0) }))
            guard response.succeeded else { throw Failure(description: "etcd refused a batch of peers") }
        }
        let store = store
        try await eventually("the store to serve \(count) new peers") {
            peers.allSatisfy { store.current?.peer(key: $0.publicKey) != nil }
        }
        return peers
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits (bounded) until the store's snapshot holds `peer` exactly as written.
    func waitUntilServed(_ peer: Peer) async throws {
        try await eventually("the store to serve \(peer.alias)") { store.current?.peer(key: peer.publicKey) == peer }
    }
}

/// What `dig` printed, section by section, with whitespace in records folded to one space
/// so that lines compare with zone-file lines.
struct DigResult {
    var status = ""
    var flags: Set<String> = []
    var answer: [String] = []
    var authority: [String] = []
    var additional: [String] = []
    var output = ""

    static func run(_ arguments: [String]) throws -> DigResult {
        let result = try Command.run(["dig", "+time=3", "+tries=1", "+nocmd", "+nostats"] + arguments)
        var parsed = DigResult(output: result.stdout + result.stderr)
        var section = ""
        for raw in result.stdout.split(separator: "\n") {
            let line = String(raw)
            if line.hasPrefix(";; ->>HEADER<<-"), let range = line.range(of: "status: ") {
                parsed.status = String(line[range.upperBound...].prefix { $0 != "," })
            } else if line.hasPrefix(";; flags: ") {
                let flags = line.dropFirst(10).prefix { $0 != ";" }
                parsed.flags = Set(flags.split(separator: " ").map(String.init))
            } else if line.hasPrefix(";; ") && line.hasSuffix("SECTION:") {
                section = line
            } else if !line.hasPrefix(";") {
                let record = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
                if section.contains("ANSWER") || section.isEmpty { parsed.answer.append(record) }
                if section.contains("AUTHORITY") { parsed.authority.append(record) }
                if section.contains("ADDITIONAL") { parsed.additional.append(record) }
            }
        }
        return parsed
    }
}
