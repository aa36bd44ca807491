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

    static func start(forwarders: [Endpoint] = [], forwardTimeout: Duration = .seconds(2),
                      syncInterval: Duration = .seconds(10)) async throws -> DNSLiveServer {
        let etcd = try await EtcdCluster.start()
        do {
            return try await DNSLiveServer(etcd: etcd, forwarders: forwarders, forwardTimeout: forwardTimeout,
                                           syncInterval: syncInterval)
        } catch {
            etcd.shutdown()
            throw error
        }
    }

    private init(etcd: EtcdCluster, forwarders: [Endpoint], forwardTimeout: Duration, syncInterval: Duration) async throws {
        self.etcd = etcd
        var etcdConfiguration = EtcdConfiguration(endpoints: etcd.clientURLs)
        etcdConfiguration.requestTimeout = .seconds(1)
        etcdConfiguration.retryWindow = .seconds(1)
        registry = PeerRegistry(etcd: try EtcdClient(etcdConfiguration),
                                configuration: .init(network: Self.network, reservedAddresses: [IPAddress("100.100.0.1")!]))
        var logger = Logger(label: "valon.dns.test")
        logger.logLevel = .warning
        store = RegistrySnapshotStore(registry: registry, syncInterval: syncInterval, metrics: metrics, logger: logger)
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
        tasks = [Task { try await store.run() }, Task { try await server.run() }]
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

    /// Waits (bounded) until the store's snapshot holds `peer` exactly as written.
    func waitUntilServed(_ peer: Peer) async throws -> Bool {
        try await Self.eventually { store.current?.peer(key: peer.publicKey) == peer }
    }

    /// Polls `condition` up to `tries` times, `pause` apart; `true` as soon as it holds.
    static func eventually(tries: Int = 200, pause: Duration = .milliseconds(25),
                           _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<tries {
            if try await condition() { return true }
            try await Task.sleep(for: pause)
        }
        return false
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
