import Foundation
import ValonKit

/// The registry snapshot a discovery node keeps on disk (docs/ARCHITECTURE.md §9), so that
/// after a restart it can answer from the registry it last read while etcd is still
/// unreachable, instead of from nothing.
///
/// The file is JSON, replaced atomically after every installed snapshot (``DurableFile``):
///
/// ```json
/// {"format": "valon-registry-snapshot", "version": 1, "prefix": "/valon/",
///  "revision": 1234, "saved_at": "2026-12-01T21:00:00Z",
///  "peers": [{"pubkey": "…", "alias": "c1", "wg_ip": "100.100.0.11",
///             "lan_endpoint": "192.168.1.11:51820", "nat_endpoint": "203.0.113.10:51820"}],
///  "relays": [{"first": "…", "second": "…", "port": 51821}]}
/// ```
///
/// `relays` (docs/ARCHITECTURE.md §10) may be absent: files written before the relay existed
/// read as a registry without relayed pairs.
///
/// Reading is strict: a file that is not exactly this shape, whose revision is not
/// positive, or any of whose peers does not parse, is rejected whole with an error that
/// names the file and the entry. The caller treats it as absent; it never serves half a file.
public struct RegistrySnapshotFile: Sendable, Equatable {
    /// The file name inside the node's state directory.
    public static let fileName = "registry-snapshot.json"
    static let format = "valon-registry-snapshot"
    static let version = 1
    /// A larger file is refused (a registry of 100,000 peers takes about 20 MB).
    static let maximumSize = 256 * 1024 * 1024

    /// The registry as it was read.
    public var snapshot: RegistrySnapshot
    /// The etcd key prefix the registry was read under; a file for another prefix is not used.
    public var prefix: String
    /// When the snapshot was written.
    public var savedAt: Date

    public init(snapshot: RegistrySnapshot, prefix: String, savedAt: Date) {
        self.snapshot = snapshot
        self.prefix = prefix
        self.savedAt = savedAt
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.prefix == rhs.prefix && lhs.savedAt == rhs.savedAt
            && lhs.snapshot.revision == rhs.snapshot.revision && lhs.snapshot.peers == rhs.snapshot.peers
            && lhs.snapshot.relays == rhs.snapshot.relays
    }

    /// The path of the file in `directory`.
    public static func path(in directory: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    // MARK: - Encoding

    struct Document: Codable {
        var format: String
        var version: Int
        var prefix: String
        var revision: Int64
        var savedAt: Date
        var peers: [Entry]
        /// The relayed pairs; absent in files written before the relay existed.
        var relays: [RelayEntry]?
        /// The discovery nodes; absent in files written before several nodes existed.
        var discoveryNodes: [DiscoveryNode]?

        enum CodingKeys: String, CodingKey {
            case format, version, prefix, revision, peers, relays
            case discoveryNodes = "discovery_nodes"
            case savedAt = "saved_at"
        }
    }

    struct RelayEntry: Codable {
        var first: String
        var second: String
        var port: UInt16
    }

    struct Entry: Codable {
        var pubkey: String
        var alias: String
        var wgIP: String
        var lanEndpoint: String?
        var natEndpoint: String?
        var natKind: String?

        enum CodingKeys: String, CodingKey {
            case pubkey, alias
            case natKind = "nat_kind"
            case wgIP = "wg_ip"
            case lanEndpoint = "lan_endpoint"
            case natEndpoint = "nat_endpoint"
        }
    }

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        let document = Document(
            format: Self.format, version: Self.version, prefix: prefix, revision: snapshot.revision, savedAt: savedAt,
            peers: snapshot.peers.map { peer in
                Entry(pubkey: peer.publicKey.base64, alias: peer.alias, wgIP: peer.wgIP.description,
                      lanEndpoint: peer.lanEndpoint?.description, natEndpoint: peer.natEndpoint?.description,
                      natKind: peer.natKind?.rawValue)
            },
            relays: snapshot.relays.map { RelayEntry(first: $0.first.base64, second: $0.second.base64, port: $0.port) },
            discoveryNodes: snapshot.discoveryNodes)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        // Encoding these plain strings and numbers cannot fail.
        return Array((try? encoder.encode(document)) ?? Data())
    }

    /// Parses the file's bytes; `file` names it in errors.
    public init(decoding bytes: [UInt8], file: String) throws(RegistrySnapshotFileError) {
        func corrupt(_ what: String) -> RegistrySnapshotFileError { RegistrySnapshotFileError(.corrupt, file: file, what) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let document: Document
        do {
            document = try decoder.decode(Document.self, from: Data(bytes))
        } catch {
            throw corrupt("not a registry snapshot (\(bytes.isEmpty ? "the file is empty" : Self.describe(error)))")
        }
        guard document.format == Self.format else { throw corrupt("format is \"\(document.format)\", not \"\(Self.format)\"") }
        guard document.version == Self.version else {
            throw corrupt("version \(document.version) is not supported (this node reads version \(Self.version))")
        }
        guard document.revision > 0 else { throw corrupt("revision \(document.revision) is not a revision etcd gives") }
        var peers = [Peer]()
        peers.reserveCapacity(document.peers.count)
        for (index, entry) in document.peers.enumerated() {
            func bad(_ field: String, _ value: String) -> RegistrySnapshotFileError {
                corrupt("peers[\(index)].\(field) \"\(value.prefix(64))\" is not valid")
            }
            guard let key = try? WireGuardKey(base64: entry.pubkey) else { throw bad("pubkey", entry.pubkey) }
            // The registry's own rule (PeerRecords): any non-empty alias is a peer's name.
            guard !entry.alias.isEmpty else { throw bad("alias", entry.alias) }
            guard let address = IPAddress(entry.wgIP) else { throw bad("wg_ip", entry.wgIP) }
            var peer = Peer(publicKey: key, alias: entry.alias, wgIP: address)
            if let text = entry.lanEndpoint {
                guard let endpoint = Endpoint(text) else { throw bad("lan_endpoint", text) }
                peer.lanEndpoint = endpoint
            }
            if let text = entry.natEndpoint {
                guard let endpoint = Endpoint(text) else { throw bad("nat_endpoint", text) }
                peer.natEndpoint = endpoint
            }
            if let text = entry.natKind {
                guard let kind = NATKind(rawValue: text) else { throw bad("nat_kind", text) }
                peer.natKind = kind
            }
            peers.append(peer)
        }
        var relays = [RelayAllocation]()
        for (index, entry) in (document.relays ?? []).enumerated() {
            guard let first = try? WireGuardKey(base64: entry.first), let second = try? WireGuardKey(base64: entry.second),
                  first != second, entry.port > 0 else {
                throw corrupt("relays[\(index)] is not two different keys and a port")
            }
            relays.append(RelayAllocation(between: first, and: second, port: entry.port))
        }
        snapshot = RegistrySnapshot(peers: peers, revision: document.revision, relays: relays,
                                    discoveryNodes: document.discoveryNodes ?? [])
        prefix = document.prefix
        savedAt = document.savedAt
    }

    // MARK: - Files

    /// Reads the file in `directory`: `nil` when there is none. Temporary files left by a
    /// process killed while writing are removed.
    public static func load(from directory: String) throws(RegistrySnapshotFileError) -> RegistrySnapshotFile? {
        let file = path(in: directory)
        DurableFile.removeLeftovers(of: file)
        let bytes: [UInt8]
        do throws(SystemError) {
            guard let read = try DurableFile.read(file, limit: maximumSize) else { return nil }
            bytes = read
        } catch {
            throw RegistrySnapshotFileError(.unreadable, file: file, "cannot be read", cause: error)
        }
        return try RegistrySnapshotFile(decoding: bytes, file: file)
    }

    /// Writes the file into `directory` (created, mode 0700, where missing), atomically.
    public func save(to directory: String) throws(RegistrySnapshotFileError) {
        let file = Self.path(in: directory)
        do throws(SystemError) {
            try DurableFile.makeDirectory(directory)
            try DurableFile.replace(file, with: encoded(), mode: 0o600)
        } catch {
            throw RegistrySnapshotFileError(.unwritable, file: file, "cannot be written", cause: error)
        }
    }

    /// The decoder's complaint in one line, with the coding path that failed.
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let reason: String
            if case .keyNotFound(let key, _) = error as? DecodingError {
                reason = "missing \"\(key.stringValue)\""
            } else {
                reason = context.debugDescription
            }
            return path.isEmpty ? reason : "at \(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(reason)"
        default:
            return "\(error)"
        }
    }
}

/// Why a persisted registry snapshot could not be used or written; names the file.
public struct RegistrySnapshotFileError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The file is not a valid snapshot (truncated, edited, another format or version).
        case corrupt
        /// The file exists but cannot be read (permissions, I/O error, too large).
        case unreadable
        /// The file or its directory cannot be written.
        case unwritable
    }

    public var code: Code
    public var file: String
    public var message: String
    public var cause: SystemError?

    public init(_ code: Code, file: String, _ message: String, cause: SystemError? = nil) {
        self.code = code
        self.file = file
        self.message = message
        self.cause = cause
    }

    public var description: String {
        let text = "registry snapshot \(file): \(message)"
        return cause.map { "\(text): \($0)" } ?? text
    }
}
