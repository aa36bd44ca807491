import Foundation
import Testing
import ValonKit

/// A discovery node for `valonctl` tests: a real etcd member, a real `wireguard-go`
/// interface with a private key (in its own namespace), and a `valonctl.yml` in the
/// seed's example form pointing at both, in a temporary directory.
final class ValonctlFixture: @unchecked Sendable {
    let etcd: EtcdCluster
    let device: WireGuardGoDevice?
    let directory: String
    let configPath: String
    let discoveryPrivateKey: WireGuardKey
    /// The interface valonctl.yml names: the running device, or a name nothing uses.
    var interface: String { device?.name ?? missingInterface }
    let missingInterface: String

    /// `withInterface: false` names an interface that does not exist.
    init(withInterface: Bool = true, apiURL: String = "http://127.0.0.1:9", network: String = "100.100.0.0/24",
         discoveryIP: String = "100.100.0.1", etcdArguments: [String] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("valonctl-\(randomSuffix())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        missingInterface = "vkno\(randomSuffix(6))"
        discoveryPrivateKey = WireGuardKey.generatePrivate()
        etcd = try await EtcdCluster.start(extraArguments: etcdArguments)
        if withInterface {
            do {
                let device = try await offPool { try WireGuardGoDevice() }
                try device.backend.apply(WireGuardDevice(name: device.name, privateKey: discoveryPrivateKey, listenPort: 51820))
                self.device = device
            } catch {
                etcd.shutdown()
                throw error
            }
        } else {
            device = nil
        }
        configPath = directory + "/valonctl.yml"
        try writeConfig(etcdEndpoints: etcd.clientURLs, apiURL: apiURL, network: network, discoveryIP: discoveryIP)
    }

    /// Writes valonctl.yml in the layout of the seed's `configs/valonctl.yml.example`.
    func writeConfig(etcdEndpoints: [String], apiURL: String, network: String = "100.100.0.0/24",
                     discoveryIP: String = "100.100.0.1", credentials: (user: String, password: String)? = nil,
                     to path: String? = nil) throws {
        let auth = credentials.map { "\n  username: \($0.user)\n  password: \($0.password)" } ?? ""
        let text = """
            wireguard:
              interface: \(interface)
              ip: \(discoveryIP)
              endpoint: 192.168.1.100:51820  # Discovery Role の LAN IP
              network: \(network)        # IP 自動割り当て範囲

            etcd:
              endpoints:
            \(etcdEndpoints.map { "    - \($0)" }.joined(separator: "\n"))\(auth)

            ddns:
              api_url: \(apiURL)

            """
        try text.write(toFile: path ?? configPath, atomically: true, encoding: .utf8)
    }

    /// `valonctl --config <this fixture's file> ARGS…`, the config option after the subcommand.
    func valonctl(_ arguments: [String], input: String? = nil, user: (uid: Int, gid: Int)? = nil) throws -> Command.Result {
        try ValonctlRunner.run(arguments + ["--config", configPath], input: input, user: user)
    }

    /// The registry as `etcdctl get --prefix /valon/` shows it.
    func registry() throws -> [String: String] {
        try etcd.dump(prefix: "/valon/")
    }

    /// The interface as `wg show IF dump` shows it.
    func wgDump() throws -> WireGuardDevice {
        guard let device else { throw ValonctlRunner.Missing(description: "this fixture has no interface") }
        return try WireGuardDump.parse(try Command.check(["wg", "show", device.name, "dump"]), name: device.name)
    }

    func shutdown() {
        device?.stop()
        etcd.shutdown()
        try? FileManager.default.removeAll(atPath: directory)
    }
}

/// A fresh peer key pair; tests only ever hand valonctl the public half.
func newPublicKey() throws -> WireGuardKey {
    try WireGuardKey.generatePrivate().publicKey()
}
