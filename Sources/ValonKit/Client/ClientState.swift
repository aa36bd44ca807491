import Foundation

/// What valon-sync and valon-bootstrap remember between runs, as JSON files in the state
/// directory (`/var/lib/valon/` by default): the last LAN endpoint reported and seen, the SOA serial
/// and device fingerprint of the last applied sync, the userspace process bootstrap started.
public struct ClientState: Codable, Hashable, Sendable {
    /// The report the API last accepted: skip the next one when it would be the same.
    public struct Report: Codable, Hashable, Sendable {
        public var publicKey: String
        public var lanEndpoint: String
        public var alias: String?
        public var api: String
    }

    /// The last sync that read the whole registry and applied it.
    public struct Applied: Codable, Hashable, Sendable {
        public var serial: UInt32
        /// ``SyncFingerprint`` of the device right after the apply.
        public var fingerprint: String
        /// The digest of the applied zone file (``AppliedZoneFile``), the base of the next
        /// IXFR; `nil` when none was kept (a browse, a failed write, an older state file).
        public var zoneDigest: String?

        public init(serial: UInt32, fingerprint: String, zoneDigest: String? = nil) {
            self.serial = serial
            self.fingerprint = fingerprint
            self.zoneDigest = zoneDigest
        }
    }

    /// A userspace WireGuard process that valon-bootstrap started.
    public struct Userspace: Codable, Hashable, Sendable {
        public var pid: Int32
        public var implementation: String
    }

    public var report: Report?
    /// The LAN endpoint the last run saw, reported or not: when it changes, the host has
    /// moved, and valon-sync sets every peer's endpoint again (see ``ValonSync``).
    public var localEndpoint: String?
    public var applied: Applied?
    public var userspace: Userspace?
    /// `true` when valon-bootstrap created the interface (so `--down` may delete it).
    public var createdInterface: Bool?
    /// Each peer's direct path as verified so far (docs/ARCHITECTURE.md §10), by base64 key.
    public var paths: [String: PathVerification.Path]?
    /// The discovery nodes the zone published at the last read (docs/ARCHITECTURE.md §11):
    /// kept as WireGuard peers while they stay in the zone, and tried when the configured
    /// node does not answer.
    public var discoveryNodes: [DiscoveryNode]?
    /// The base64 key of the discovery node that answered the last run; tried first.
    public var activeDiscovery: String?
    /// The learned discovery nodes (base64 keys) that answered `/health` through the tunnel:
    /// only these are synced through, failed over to, or relayed through (§11).
    public var verifiedDiscovery: [String]?
    /// When each learned node not yet verified was last asked, Unix seconds: asked again at
    /// most every ``ValonSync/discoveryProbeInterval``.
    public var discoveryProbes: [String: Int64]?

    public init() {}

    /// The default state directory.
    public static let defaultDirectory = "/var/lib/valon"

    /// The state file of interface `interface` in `directory`.
    public static func path(directory: String, interface: String) -> String {
        "\(directory)/\(interface).state.json"
    }

    /// Reads the state; an absent file is an empty state, an unreadable one an error.
    public static func load(directory: String, interface: String) throws(ClientError) -> ClientState {
        let file = path(directory: directory, interface: interface)
        guard FileManager.default.fileExists(atPath: file) else { return ClientState() }
        do {
            return try JSONDecoder().decode(ClientState.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw ClientError(.state, "cannot read the state file \(file) (delete it to start afresh)", cause: error)
        }
    }

    /// Writes the state atomically (a temporary file renamed over the old one), creating
    /// the directory (mode 0700) when needed.
    public func save(directory: String, interface: String) throws(ClientError) {
        let file = Self.path(directory: directory, interface: interface)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(self).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw ClientError(.state, "cannot write the state file \(file)", cause: error)
        }
    }

    /// Removes the state file.
    public static func remove(directory: String, interface: String) {
        try? FileManager.default.removeItem(atPath: path(directory: directory, interface: interface))
    }
}
