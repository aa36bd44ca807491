import Foundation
import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// A live VALON for the client's end-to-end tests: an etcd member, a discovery node's
/// `wireguard-go` interface in the host's namespace with the real `valon-discovery`
/// executable serving DNS and the DDNS API on its WireGuard address, and one client
/// namespace joined to the host by a veth pair, with a client.conf for valon-bootstrap
/// and valon-sync (`.build/debug/`, run inside the namespace with `ip netns exec`).
///
/// Networks are random per testbed (`100.X.Y.0/24`, underlay `198.18.Y.0/30`) and every
/// name unique, so testbeds run next to other helpers' tests.
final class ClientTestbed: @unchecked Sendable {
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    let etcd: EtcdCluster
    let discovery: WireGuardGoDevice
    let discoveryKey = WireGuardKey.generatePrivate()
    let network: IPNetwork
    let discoveryIP: IPAddress
    let clientIP: IPAddress
    let clientKey = WireGuardKey.generatePrivate()
    let namespace: String
    let interface: String
    let directory: String
    let hostSide: String
    let clientSide: String
    private(set) var discoveryPort: UInt16 = 0
    private(set) var dnsPort = 0
    private(set) var apiPort = 0
    private var daemon: Process?
    private let veth: String
    /// The host side of the link ``moveClient()`` made.
    private var movedVeth: String?

    /// The build products: the test runner's own directory (any `--scratch-path`), else
    /// the package's `.build/debug`.
    static var buildDirectory: String {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        if FileManager.default.isExecutableFile(atPath: runner + "/valon-discovery") { return runner }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug").path
    }

    init(axfrFromTunnel: Bool = true) async throws {
        let x = Int.random(in: 64...127), y = Int.random(in: 1...254)
        network = IPNetwork("100.\(x).\(y).0/24")!
        discoveryIP = IPAddress("100.\(x).\(y).1")!
        clientIP = IPAddress("100.\(x).\(y).2")!
        let suffix = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(8))
        namespace = "vcl-\(suffix)"
        interface = "vc\(suffix)"
        veth = "vh\(suffix)"
        hostSide = "198.18.\(y).\(4 * Int.random(in: 0...60) + 1)"
        clientSide = IPAddress(bytes: IPAddress(hostSide)!.bytes.dropLast() + [IPAddress(hostSide)!.bytes[3] + 1])!.description
        directory = NSTemporaryDirectory() + "valon-ct-\(suffix)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        etcd = try await EtcdCluster.start()
        do {
            discovery = try await offPool { try WireGuardGoDevice(inHostNamespace: true) }
        } catch {
            etcd.shutdown()
            throw error
        }
        do {
            try setUp(axfrFromTunnel: axfrFromTunnel)
            _ = try await registry.add(key: try clientKey.publicKey(), alias: "client0", address: clientIP)
            try startDiscovery()
        } catch {
            shutdown()
            throw error
        }
    }

    private func setUp(axfrFromTunnel: Bool) throws {
        let keyFile = "\(directory)/discovery.key"
        try WireGuardKeyFile.write(discoveryKey, to: keyFile)
        try Command.check(["wg", "set", discovery.name, "private-key", keyFile, "listen-port", "0"])
        try Command.check(["ip", "addr", "add", "\(discoveryIP)/24", "dev", discovery.name])
        try Command.check(["ip", "link", "set", discovery.name, "up"])
        discoveryPort = UInt16(try Command.check(["wg", "show", discovery.name, "listen-port"]).trimmingCharacters(in: .whitespacesAndNewlines))!
        try Command.check(["ip", "netns", "add", namespace])
        try Command.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
        try Command.check(["ip", "link", "add", veth, "type", "veth", "peer", "name", "ul0", "netns", namespace])
        try Command.check(["ip", "addr", "add", "\(hostSide)/30", "dev", veth])
        try Command.check(["ip", "link", "set", veth, "up"])
        try Command.check(["ip", "-n", namespace, "addr", "add", "\(clientSide)/30", "dev", "ul0"])
        try Command.check(["ip", "-n", namespace, "link", "set", "ul0", "up"])
        try Command.check(["ip", "-n", namespace, "route", "add", "default", "via", hostSide])
        try WireGuardKeyFile.write(clientKey, to: "\(directory)/client.key")
        let ports = try EtcdCluster.freePorts(2)
        dnsPort = ports[0]
        apiPort = ports[1]
        try """
            zone: valon.test
            etcd_endpoints: [\(etcd.clientURLs[0])]
            wg_interface: \(discovery.name)
            ddns_listen: \(discoveryIP):\(apiPort)
            wg_poll_interval: 200ms
            etcd_sync_interval: 2s
            bind: [\(discoveryIP), 127.0.0.1]
            port: \(dnsPort)
            axfr_allow: [127.0.0.0/8\(axfrFromTunnel ? ", \(network)" : "")]
            ddns_rate_limit: 100
            state_dir: \(directory)/discovery-state

            """.write(toFile: "\(directory)/discovery.yml", atomically: true, encoding: .utf8)
        try """
            WG_INTERFACE=\(interface)
            DISCOVERY_PUBKEY=\(try discoveryKey.publicKey().base64)
            DISCOVERY_ENDPOINT=\(hostSide):\(discoveryPort)
            DISCOVERY_ALLOWED_IPS=\(discoveryIP)/32
            DISCOVERY_DNS=\(discoveryIP):\(dnsPort)
            DISCOVERY_API=http://\(discoveryIP):\(apiPort)
            DNS_ZONE=valon.test
            OWN_WG_IP=\(clientIP)
            OWN_ALIAS=client0
            WG_PORT=51820
            ALLOWED_IPS=\(network)
            PRIVATE_KEY_FILE=\(directory)/client.key

            """.write(toFile: "\(directory)/client.conf", atomically: true, encoding: .utf8)
    }

    /// Starts `valon-discovery` and, with `waitForAnswer`, waits until its DNS answers the SOA.
    func startDiscovery(waitForAnswer: Bool = true) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.buildDirectory + "/valon-discovery")
        process.arguments = ["--config", "\(directory)/discovery.yml", "--log-level", "warning"]
        let log = FileHandle(forWritingAtPath: "\(directory)/discovery.log") ?? {
            _ = FileManager.default.createFile(atPath: "\(directory)/discovery.log", contents: nil)
            return FileHandle(forWritingAtPath: "\(directory)/discovery.log")!
        }()
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        daemon = process
        guard waitForAnswer else { return }
        for _ in 0..<200 {
            let reply = try Command.run(["dig", "+short", "+time=1", "+tries=1", "-p", String(dnsPort), "@127.0.0.1", "valon.test", "SOA"])
            if reply.status == 0, !reply.stdout.isEmpty { return }
            usleep(50_000)
        }
        throw StartFailure(description: "valon-discovery did not answer DNS on port \(dnsPort): \(discoveryLog)")
    }

    /// Stops `valon-discovery` (SIGKILL to its PID).
    func stopDiscovery() {
        guard let daemon, daemon.isRunning else { return }
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
    }

    var discoveryLog: String { (try? String(contentsOfFile: "\(directory)/discovery.log", encoding: .utf8)) ?? "" }

    lazy var registry: PeerRegistry = {
        let client = try! EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        return PeerRegistry(etcd: client, configuration: PeerRegistry.Configuration(network: network, reservedAddresses: [discoveryIP]))
    }()

    /// The address `last` in the testbed's VALON network (its last octet).
    func ip(_ last: Int) -> IPAddress {
        IPAddress(bytes: network.address.bytes.dropLast() + [UInt8(last)])!
    }

    /// The zone's SOA serial as dig sees it.
    func serial() throws -> UInt32 {
        let text = try Command.check(["dig", "+short", "-p", String(dnsPort), "@127.0.0.1", "valon.test", "SOA"])
        return UInt32(text.split(separator: " ")[2])!
    }

    /// Waits until the zone's serial differs from `old`.
    func waitForSerial(after old: UInt32) throws {
        for _ in 0..<200 {
            if try serial() != old { return }
            usleep(50_000)
        }
    }

    /// The `valon_dns_queries_total` counters added up, from `/metrics`.
    func dnsQueriesServed() throws -> Int {
        let text = try Command.check(["curl", "-s", "--max-time", "3", "http://\(discoveryIP):\(apiPort)/metrics"])
        return text.split(separator: "\n").filter { $0.hasPrefix("valon_dns_queries_total") }
            .compactMap { Double($0.split(separator: " ").last!) }.reduce(0) { $0 + Int($1) }
    }

    /// Runs a client tool inside the namespace.
    func run(_ tool: String, _ arguments: [String] = [], environment: [String: String]? = nil) throws -> Command.Result {
        try Command.run(command(tool, arguments), environment: environment)
    }

    /// The command line that runs a client tool inside the namespace.
    func command(_ tool: String, _ arguments: [String] = []) -> [String] {
        ["ip", "netns", "exec", namespace, Self.buildDirectory + "/" + tool,
         "--config", "\(directory)/client.conf", "--state-dir", "\(directory)/state"] + arguments
    }

    /// `wg show IF dump` peers without the volatile columns: key → "endpoint allowed-ips keepalive".
    func clientPeers() throws -> [String: String] {
        let lines = try Command.check(["wg", "show", interface, "dump"]).split(separator: "\n").dropFirst()
        var peers = [String: String]()
        for line in lines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            peers[f[0]] = "\(f[2]) \(f[3]) \(f[7])"
        }
        return peers
    }

    /// Moves the client to another network, as a laptop changing networks does: its link
    /// `ul0` is deleted (its interface index and address vanish) and a new link with an
    /// address in another subnet takes its place; the discovery node stays reachable at the
    /// same address through it. Returns the client's new underlay address.
    func moveClient() throws -> String {
        let octets = IPAddress(hostSide)!.bytes
        let newHost = "198.19.\(octets[2]).\(octets[3])", newClient = "198.19.\(octets[2]).\(octets[3] + 1)"
        let moved = "vm" + veth.dropFirst(2)
        try Command.check(["ip", "-n", namespace, "link", "del", "ul0"])
        try Command.check(["ip", "link", "add", moved, "type", "veth", "peer", "name", "ul1", "netns", namespace])
        movedVeth = moved
        try Command.check(["ip", "addr", "add", "\(newHost)/30", "dev", moved])
        try Command.check(["ip", "addr", "add", "\(hostSide)/32", "dev", moved])
        try Command.check(["ip", "link", "set", moved, "up"])
        try Command.check(["ip", "-n", namespace, "addr", "add", "\(newClient)/30", "dev", "ul1"])
        try Command.check(["ip", "-n", namespace, "link", "set", "ul1", "up"])
        try Command.check(["ip", "-n", namespace, "route", "add", "default", "via", newHost])
        return newClient
    }

    func shutdown() {
        stopDiscovery()
        _ = try? run("valon-bootstrap", ["--down"])
        _ = try? Command.run(["ip", "link", "del", veth])
        if let movedVeth { _ = try? Command.run(["ip", "link", "del", movedVeth]) }
        _ = try? Command.run(["ip", "netns", "del", namespace])
        discovery.stop()
        etcd.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
