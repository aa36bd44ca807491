import Foundation
import Logging
import Testing
@testable import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The persisted registry snapshot (docs/ARCHITECTURE.md §9): a round trip, a table of
/// damaged files each rejected whole with an error naming the file and what is wrong, the
/// atomic replace leaving no temporary file, and the store serving a persisted file as
/// `stale` (never as `live`) or ignoring a damaged one.
@Suite("Registry snapshot file")
struct RegistrySnapshotFileTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("valon-snap-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let peers = DNSZoneFixture.peers
    static let relays = [RelayAllocation(between: peers[0].publicKey, and: peers[1].publicKey, port: 51821)]
    static let file = RegistrySnapshotFile(snapshot: RegistrySnapshot(peers: peers, revision: 4242, relays: relays), prefix: "/valon/",
                                           savedAt: Date(timeIntervalSince1970: 1_764_600_000))

    @Test func roundTripThroughTheDisk() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.file.save(to: directory)
        let loaded = try #require(try RegistrySnapshotFile.load(from: directory))
        #expect(loaded == Self.file)
        #expect(loaded.snapshot.peers == Self.peers)
        #expect(loaded.snapshot.relays == Self.relays)
        let path = RegistrySnapshotFile.path(in: directory)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [RegistrySnapshotFile.fileName])
    }

    /// A file an earlier version wrote has no `relays`: it reads as a registry without relayed pairs.
    @Test func aFileWithoutRelaysReadsAsNone() throws {
        let text = Self.good.replacingOccurrences(of: #","relays":[{"first":"\#(Self.relays[0].first.base64)","port":51821,"second":"\#(Self.relays[0].second.base64)"}]"#, with: "")
        #expect(text != Self.good, "the relays were taken out")
        let file = try RegistrySnapshotFile(decoding: Array(text.utf8), file: "old.json")
        #expect(file.snapshot.relays.isEmpty)
        #expect(file.snapshot.peers == Self.peers)
    }

    @Test func noFileIsNil() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try RegistrySnapshotFile.load(from: directory) == nil)
        #expect(try RegistrySnapshotFile.load(from: directory + "/missing") == nil)
    }

    @Test func aLeftoverTemporaryFileIsRemovedAndTheLastGoodFileRead() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.file.save(to: directory)
        let leftover = DurableFile.temporaryPrefix(of: RegistrySnapshotFile.path(in: directory)) + "12345"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(#"{"format": "valon-regi"#.utf8)))
        #expect(try RegistrySnapshotFile.load(from: directory) == Self.file)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    struct Damage: Sendable, CustomTestStringConvertible {
        var what: String
        var text: String
        var complaint: String
        var testDescription: String { what }
    }

    static let good = String(decoding: file.encoded(), as: UTF8.self)
    static let key = peers[0].publicKey.base64

    static let damages: [Damage] = [
        Damage(what: "empty", text: "", complaint: "the file is empty"),
        Damage(what: "truncated", text: String(good.prefix(good.count / 2)), complaint: "not a registry snapshot"),
        Damage(what: "not JSON", text: "revision=5\n", complaint: "not a registry snapshot"),
        Damage(what: "another format", text: good.replacingOccurrences(of: "valon-registry-snapshot", with: "other"),
               complaint: #"format is "other""#),
        Damage(what: "a newer version", text: good.replacingOccurrences(of: #""version":1"#, with: #""version":2"#),
               complaint: "version 2 is not supported"),
        Damage(what: "revision 0", text: good.replacingOccurrences(of: #""revision":4242"#, with: #""revision":0"#),
               complaint: "revision 0"),
        Damage(what: "a bad key", text: good.replacingOccurrences(of: key, with: "AAAA"), complaint: #"peers[0].pubkey "AAAA""#),
        Damage(what: "a bad address", text: good.replacingOccurrences(of: #""wg_ip":"100.100.0.2""#, with: #""wg_ip":"100.100.0.300""#),
               complaint: "peers[0].wg_ip"),
        Damage(what: "a bad endpoint", text: good.replacingOccurrences(of: "192.168.1.50:51820", with: "192.168.1.50"),
               complaint: "lan_endpoint"),
        Damage(what: "a missing field", text: good.replacingOccurrences(of: #""alias":"client01","#, with: ""),
               complaint: #"missing "alias""#),
        Damage(what: "a relay with a bad key", text: good.replacingOccurrences(of: #""first":"\#(relays[0].first.base64)""#, with: #""first":"AAAA""#),
               complaint: "relays[0]"),
        Damage(what: "a relay on port 0", text: good.replacingOccurrences(of: #""port":51821"#, with: #""port":0"#),
               complaint: "relays[0]"),
    ]

    @Test(arguments: damages)
    func aDamagedFileIsRejectedWholeNamingFileAndEntry(_ damage: Damage) throws {
        #expect(damage.what == "empty" || damage.text != Self.good, "the damage applies")
        let error = #expect(throws: RegistrySnapshotFileError.self) {
            try RegistrySnapshotFile(decoding: Array(damage.text.utf8), file: "/var/lib/valon/discovery/registry-snapshot.json")
        }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains("/var/lib/valon/discovery/registry-snapshot.json") == true)
        #expect(error?.description.contains(damage.complaint) == true, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func anUnreadableFileIsNamed() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A directory where the file should be: open succeeds, read fails with EISDIR.
        try FileManager.default.createDirectory(atPath: RegistrySnapshotFile.path(in: directory), withIntermediateDirectories: true)
        let error = #expect(throws: RegistrySnapshotFileError.self) { try RegistrySnapshotFile.load(from: directory) }
        #expect(error?.code == .unreadable)
        #expect(error?.description.contains(RegistrySnapshotFile.path(in: directory)) == true)
    }

    @Test func anUnwritableDirectoryIsNamed() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A file where the state directory should be.
        let blocked = directory + "/blocked"
        #expect(FileManager.default.createFile(atPath: blocked, contents: Data()))
        let error = #expect(throws: RegistrySnapshotFileError.self) { try Self.file.save(to: blocked + "/state") }
        #expect(error?.code == .unwritable)
        #expect(error?.description.contains(blocked) == true)
    }

    // MARK: - The store's start

    static func store(_ directory: String, prefix: String = "/valon/") throws -> RegistrySnapshotStore {
        var configuration = EtcdConfiguration(endpoints: ["http://127.0.0.1:9"])
        configuration.requestTimeout = .milliseconds(200)
        let registry = PeerRegistry(etcd: try EtcdClient(configuration),
                                    configuration: .init(network: IPNetwork("100.100.0.0/24")!, keys: RegistryKeys(prefix: prefix)))
        return RegistrySnapshotStore(registry: registry, syncInterval: .seconds(10), metrics: DiscoveryMetrics(),
                                     logger: Logger(label: "valon.test"), stateDirectory: directory)
    }

    @Test func theStoreServesAPersistedFileAsStaleNeverLive() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.file.save(to: directory)
        let store = try Self.store(directory)
        #expect(store.phase == .stale(savedAt: Self.file.savedAt))
        #expect(store.current?.peers == Self.peers)
        #expect(store.current?.serial == 4242)
        #expect(store.live == nil)
        #expect(!store.isEtcdHealthy)
    }

    @Test(arguments: ["damaged", "other prefix", "none"])
    func theStoreStartsEmptyHandedWithoutAUsableFile(_ kind: String) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        switch kind {
        case "damaged":
            #expect(FileManager.default.createFile(atPath: RegistrySnapshotFile.path(in: directory), contents: Data("{".utf8)))
        case "other prefix":
            try RegistrySnapshotFile(snapshot: Self.file.snapshot, prefix: "/other/", savedAt: Date()).save(to: directory)
        default: break
        }
        let store = try Self.store(directory)
        #expect(store.phase == .starting)
        #expect(store.current == nil)
    }

    @Test func theFirstEtcdReadReplacesAPersistedSnapshotWhateverItsRevision() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.file.save(to: directory)
        let store = try Self.store(directory)
        // etcd restored from an older backup: revision 10 < 4242.
        store.install(RegistrySnapshot(peers: [Self.peers[0]], revision: 10))
        #expect(store.phase == .live)
        #expect(store.live?.revision == 10)
        // From then on, an older read never replaces a newer one.
        store.install(RegistrySnapshot(peers: [], revision: 9))
        #expect(store.live?.revision == 10)
        #expect(store.live?.peers == [Self.peers[0]])
    }
}
