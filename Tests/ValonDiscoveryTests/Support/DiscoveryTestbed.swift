import Foundation
import Logging
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// A real discovery node's surroundings for tests: an etcd member, the discovery node's
/// WireGuard interface (`wireguard-go`, in the host's namespace, where the node under test
/// runs), and clients, each a `wireguard-go` interface in a namespace of its own joined to
/// the host by a veth pair, with a working tunnel to the discovery interface. A client's
/// packets through the tunnel come from its WireGuard address, which only its key can
/// make happen; that is what the DDNS API relies on.
///
/// Addresses are random per testbed: the WireGuard network `100.X.Y.0/24` (discovery `.1`,
/// clients from `.10`) and the underlay `198.18.Z.0/24` (RFC 2544's benchmark range).
final class DiscoveryTestbed: @unchecked Sendable {
    struct Client {
        var device: WireGuardGoDevice
        var privateKey: WireGuardKey
        var publicKey: WireGuardKey
        var alias: String
        var wgIP: IPAddress
        /// The client's underlay address, where its WireGuard packets come from.
        var underlay: IPAddress
        /// The client's WireGuard port.
        var port: UInt16
    }

    let etcd: EtcdCluster
    let discovery: WireGuardGoDevice
    let discoveryKey: WireGuardKey
    let discoveryIP: IPAddress
    let network: IPNetwork
    let directory: String
    private(set) var clients: [Client] = []
    private var veths: [String] = []
    private let underlayPrefix: String
    private(set) var discoveryPort: UInt16 = 0

    private init(etcd: EtcdCluster, discovery: WireGuardGoDevice) {
        self.etcd = etcd
        self.discovery = discovery
        discoveryKey = WireGuardKey.generatePrivate()
        let (x, y) = Self.uniqueSubnet()
        network = IPNetwork("100.\(x).\(y).0/24")!
        discoveryIP = IPAddress("100.\(x).\(y).1")!
        underlayPrefix = "198.\(18 + x % 2).\(y)"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-dt-\(UUID().uuidString.prefix(8))").path
    }

    /// Starts etcd and the discovery interface, and `clients` tunnelled clients registered
    /// in etcd as `client0`, `client1`… (`register: false` leaves them out of the registry).
    static func start(clients count: Int, register: Bool = true) async throws -> DiscoveryTestbed {
        let etcd = try await EtcdCluster.start()
        let discovery: WireGuardGoDevice
        do {
            discovery = try await offPool { try WireGuardGoDevice(inHostNamespace: true) }
        } catch {
            etcd.shutdown()
            throw error
        }
        let bed = DiscoveryTestbed(etcd: etcd, discovery: discovery)
        do {
            try FileManager.default.createDirectory(atPath: bed.directory, withIntermediateDirectories: true)
            try await offPool {
                try bed.setUpDiscovery()
                for index in 0..<count { try bed.addClient(index) }
            }
            if register {
                for client in bed.clients {
                    try await bed.registry.add(key: client.publicKey, alias: client.alias, address: client.wgIP)
                }
            }
        } catch {
            bed.shutdown()
            throw error
        }
        return bed
    }

    /// Stops everything the testbed started.
    func shutdown() {
        for client in clients { client.device.stop() }
        for veth in veths { _ = try? Command.run(["ip", "link", "del", veth]) }
        discovery.stop()
        etcd.shutdown()
        try? FileManager.default.removeAll(atPath: directory)
    }

    /// A registry client on the testbed's etcd (for seeding; tests check with `etcdctl`).
    lazy var registry: PeerRegistry = {
        let client = try! EtcdClient(EtcdConfiguration(endpoints: etcd.clientURLs))
        return PeerRegistry(etcd: client, configuration: PeerRegistry.Configuration(network: network, reservedAddresses: [discoveryIP]))
    }()

    /// A configuration for a node on this testbed: the API on the discovery address (port 0
    /// picks one), DNS on loopback port 0, fast polling.
    func config(rateLimit: Double = 50) -> DiscoveryConfig {
        var config = DiscoveryConfig()
        config.zone = "valon.test"
        config.etcd.endpoints = etcd.clientURLs
        config.interface = discovery.name
        config.apiListen = HostPort(host: discoveryIP.description, port: 0)
        config.wireGuardPollInterval = .milliseconds(200)
        config.etcdSyncInterval = .seconds(2)
        config.bind = [IPAddress("127.0.0.1")!]
        config.port = 0
        config.apiRateLimit = rateLimit
        config.stateDirectory = directory + "/state"
        return config
    }

    private func setUpDiscovery() throws {
        let keyFile = try writeKey(discoveryKey, name: "discovery")
        try Command.check(["wg", "set", discovery.name, "private-key", keyFile, "listen-port", "0"])
        try Command.check(["ip", "addr", "add", "\(discoveryIP)/24", "dev", discovery.name])
        try Command.check(["ip", "link", "set", discovery.name, "up"])
        let port = try Command.check(["wg", "show", discovery.name, "listen-port"]).trimmingCharacters(in: .whitespacesAndNewlines)
        discoveryPort = UInt16(port)!
    }

    private func addClient(_ index: Int) throws {
        let device = try WireGuardGoDevice()
        let privateKey = WireGuardKey.generatePrivate()
        let veth = "vh" + device.name.dropFirst(2)
        let hostSide = "\(underlayPrefix).\(4 * index + 1)", clientSide = "\(underlayPrefix).\(4 * index + 2)"
        let wgIP = IPAddress(bytes: discoveryIP.bytes.dropLast() + [UInt8(10 + index)])!
        do {
            try Command.check(["ip", "link", "add", veth, "type", "veth", "peer", "name", "ul0", "netns", device.namespace!])
            veths.append(veth)
            try Command.check(["ip", "addr", "add", "\(hostSide)/30", "dev", veth])
            try Command.check(["ip", "link", "set", veth, "up"])
            try device.exec(["ip", "addr", "add", "\(clientSide)/30", "dev", "ul0"])
            try device.exec(["ip", "link", "set", "ul0", "up"])
            let keyFile = try writeKey(privateKey, name: device.name)
            try device.exec(["wg", "set", device.name, "private-key", keyFile, "listen-port", "0",
                             "peer", try discoveryKey.publicKey().base64, "endpoint", "\(hostSide):\(discoveryPort)",
                             "allowed-ips", "\(discoveryIP)/32"])
            try device.exec(["ip", "addr", "add", "\(wgIP)/24", "dev", device.name])
            try device.exec(["ip", "link", "set", device.name, "up"])
        } catch {
            device.stop()
            throw error
        }
        let port = try device.exec(["wg", "show", device.name, "listen-port"]).trimmingCharacters(in: .whitespacesAndNewlines)
        clients.append(Client(device: device, privateKey: privateKey, publicKey: try privateKey.publicKey(),
                              alias: "client\(index)", wgIP: wgIP, underlay: IPAddress(clientSide)!, port: UInt16(port)!))
    }

    private func writeKey(_ key: WireGuardKey, name: String) throws -> String {
        let path = "\(directory)/\(name).key"
        guard FileManager.default.createFile(atPath: path, contents: Data((key.base64 + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return path
    }

    /// The discovery interface as `wg show NAME dump` prints it: peer key → (endpoint, allowed IPs).
    func discoveryPeers() async throws -> [String: WireGuardDumpPeer] {
        let name = discovery.name
        let lines = try await offPool { try Command.check(["wg", "show", name, "dump"]) }.split(separator: "\n").dropFirst()
        var peers: [String: WireGuardDumpPeer] = [:]
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if fields.count >= 4 { peers[fields[0]] = WireGuardDumpPeer(endpoint: fields[2], allowedIPs: fields[3]) }
        }
        return peers
    }

    /// `etcdctl get` of one peer field, `nil` when absent.
    func field(_ field: String, of key: WireGuardKey) async throws -> String? {
        let etcd = etcd
        return try await offPool { try etcd.dump(prefix: "/valon/peers/\(key.base64)/\(field)")["/valon/peers/\(key.base64)/\(field)"] }
    }

    /// `etcdctl get --prefix /valon/` as key → value.
    func registryDump() async throws -> [String: String] {
        let etcd = etcd
        return try await offPool { try etcd.dump(prefix: "/valon/") }
    }

    /// Runs a command on the host, or in a client's namespace.
    @discardableResult
    func run(_ arguments: [String], in client: Client? = nil) async throws -> String {
        let device = client?.device
        return try await offPool { try device?.exec(arguments) ?? Command.check(arguments) }
    }

    /// The host's end of a client's veth pair.
    func underlayGateway(of client: Client) -> IPAddress {
        IPAddress(bytes: client.underlay.bytes.dropLast() + [client.underlay.bytes[3] - 1])!
    }

    /// The etcd mod revision of one peer field (`etcdctl get -w json`), `nil` when absent.
    func modRevision(_ field: String, of key: WireGuardKey) async throws -> Int? {
        let etcd = etcd
        let output = try await offPool { try etcd.etcdctl(["get", "/valon/peers/\(key.base64)/\(field)", "-w", "json"]) }
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let kvs = object?["kvs"] as? [[String: Any]]
        return (kvs?.first?["mod_revision"] as? NSNumber)?.intValue
    }

    /// `curl` from inside a client's namespace, through its tunnel: status, body and headers.
    func curl(from client: Client, _ method: String, _ path: String, port: Int, body: String? = nil,
              headers: [String] = []) async throws -> (status: Int, body: String, headers: String) {
        let headerFile = "\(directory)/headers-\(UUID().uuidString.prefix(8))"
        var command = ["curl", "-sS", "--max-time", "15", "-o", "-", "-D", headerFile, "-w", "\n%{http_code}", "-X", method]
        for header in headers { command += ["-H", header] }
        if let body { command += ["-H", "Content-Type: application/json", "--data-binary", body] }
        command.append("http://\(discoveryIP):\(port)\(path)")
        let device = client.device
        let output = try await offPool { [command] in try device.exec(command) }
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: headerFile)
        guard let newline = output.lastIndex(of: "\n"), let status = Int(output[output.index(after: newline)...]) else {
            throw Timeout(description: "curl \(method) \(path): no HTTP status in \(output)")
        }
        return (status, String(output[..<newline]), headerText)
    }

    /// `(X, Y)` for `100.X.Y.0/24` (X in 64…127) and the underlay `198.(18 + X % 2).Y.0/24`:
    /// a random start per process, then the next one for each testbed, so testbeds running
    /// side by side never share a network.
    private static func uniqueSubnet() -> (Int, Int) {
        let index = subnetCounter.withLock { value -> Int in
            value += 1
            return (processBase + value) % (64 * 256)
        }
        return (64 + index / 256, index % 256)
    }
    private static let processBase = Int.random(in: 0..<(64 * 256))
    private static let subnetCounter = Locked(0)
}

/// One peer line of `wg show NAME dump`.
struct WireGuardDumpPeer: Sendable, Hashable {
    var endpoint: String
    var allowedIPs: String
}
