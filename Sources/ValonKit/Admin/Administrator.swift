import Foundation

/// What `valonctl` does on a discovery node, as a library: the registry in etcd and the
/// node's WireGuard interface, driven by `valonctl.yml` (docs/ARCHITECTURE.md §1, §3).
///
/// The executable only parses arguments and prints; every operation lives here so
/// tests and other tools can call it directly.
public final class Administrator: Sendable {
    public let configuration: ValonctlConfig
    public let registry: PeerRegistry
    /// Where `<interface>.pub` and `<interface>.key` are looked for when the interface is
    /// down (the seed's `/etc/wireguard`).
    public let keyDirectory: String

    public static let defaultKeyDirectory = "/etc/wireguard"

    public init(configuration: ValonctlConfig, keyDirectory: String = Administrator.defaultKeyDirectory) throws(AdminError) {
        self.configuration = configuration
        self.keyDirectory = keyDirectory
        let etcd: EtcdClient
        do {
            // An administrator's command waits at most 3 s through an election.
            var client = configuration.etcd.clientConfiguration
            client.retryWindow = .seconds(3)
            etcd = try EtcdClient(client)
        } catch {
            throw AdminError(error)
        }
        registry = PeerRegistry(etcd: etcd, configuration: PeerRegistry.Configuration(
            network: configuration.network, reservedAddresses: [configuration.discoveryIP],
            keys: RegistryKeys(prefix: configuration.etcd.prefix)))
    }

    /// Reads `valonctl.yml` at `path`. A file the caller may not read is
    /// ``AdminError/Code/permissionDenied`` (it holds etcd credentials and is often
    /// readable by root only); a missing or invalid one ``AdminError/Code/configuration``.
    public static func loadConfiguration(path: String) throws(AdminError) -> ValonctlConfig {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.readToEnd() ?? Data()
        } catch let error as CocoaError where error.code == .fileReadNoPermission {
            throw AdminError(.permissionDenied, "cannot read the configuration \(path): permission denied (run valonctl as root, or give this user read access)")
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
            throw AdminError(.configuration, "the configuration \(path) does not exist (write one like the example in `valonctl --help`, or pass --config PATH)")
        } catch {
            throw AdminError(.configuration, "cannot read the configuration \(path): \(error.localizedDescription)")
        }
        do {
            return try ValonctlConfig(parsing: String(decoding: data, as: UTF8.self), file: path)
        } catch {
            throw AdminError(error)
        }
    }

    public var interfaceName: String { configuration.interface }

    /// The discovery interface as its backend reads it, or `nil` when there is no such
    /// interface. Any other failure (permission, protocol) is thrown.
    public func readInterface() throws(AdminError) -> WireGuardDevice? {
        do {
            return try WireGuardControl.device(named: interfaceName)
        } catch where error.code == .noSuchDevice {
            return nil
        } catch {
            throw AdminError(error)
        }
    }

    func applyToInterface(_ update: WireGuardDevice) throws(AdminError) {
        do {
            try WireGuardControl.apply(update, to: interfaceName)
        } catch {
            throw AdminError(error)
        }
    }

    func registryCall<T>(_ body: () async throws(RegistryError) -> T) async throws(AdminError) -> T {
        do {
            return try await body()
        } catch {
            throw AdminError(error)
        }
    }
}
