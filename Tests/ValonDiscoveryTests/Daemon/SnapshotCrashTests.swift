import Foundation
import Synchronization
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The persisted snapshot survives `kill -9` in the middle of a write (docs/ARCHITECTURE.md
/// §9). The real `valon-discovery` follows a registry of 5,000 peers while one peer's
/// endpoint changes every few milliseconds, so it writes the snapshot again and again. A
/// watcher on a thread of its own sends SIGKILL the moment the node's temporary file
/// appears, that is, between its creation and the rename. After each kill the file in place
/// is the last complete one; and the next start, with etcd stopped, serves that file and
/// removes the leftover.
@Suite(.serialized, .timeLimit(.minutes(5)), .tags(.process, .root)) struct SnapshotCrashRootTests {
    static let peers = 5_000
    static let kills = 3

    @Test func theSnapshotFileSurvivesKill9DuringAWrite() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 0)
        defer { bed.shutdown() }
        let etcd = try EtcdClient(EtcdConfiguration(endpoints: bed.etcd.clientURLs))
        let seeded = try await RegistrySeed.add(Self.peers, to: etcd, addressBase: 10)
        let state = "\(bed.directory)/state"
        let file = RegistrySnapshotFile.path(in: state)
        let ports = try EtcdCluster.freePorts(2)
        let config = "\(bed.directory)/discovery.yml"
        try ExecutableRootTests.write("""
        zone: valon.test
        etcd_endpoints: [\(bed.etcd.clientURLs[0])]
        wg_interface: \(bed.discovery.name)
        ddns_listen: \(bed.discoveryIP):\(ports[0])
        wg_poll_interval: 10s
        bind: [127.0.0.1]
        port: \(ports[1])
        state_dir: \(state)
        """, to: config)

        // The churn: one peer's LAN port changes as fast as etcd takes it.
        let registry = bed.registry
        let churning = Mutex(true)
        let churn = Task {
            var port: UInt16 = 1_000
            while churning.withLock({ $0 }) {
                port = port == 60_000 ? 1_000 : port + 1
                _ = try? await registry.setEndpoint(.lan, to: Endpoint("192.168.7.7:\(port)"), of: seeded[0].publicKey)
            }
        }
        defer {
            churning.withLock { $0 = false }
            churn.cancel()
        }

        // A first run writes one whole snapshot and stops cleanly: the good file to keep.
        let first = try ExecutableRootTests.Daemon(["--config", config, "--log-level", "warning"], directory: bed.directory)
        try await eventually("the first snapshot to be written") {
            (try? RegistrySnapshotFile.load(from: state))?.snapshot.peers.count == Self.peers
        }
        kill(first.process.processIdentifier, SIGTERM)
        _ = await first.waitForExit()
        var lastGood = try RegistrySnapshotFile.load(from: state)

        var midWrite = 0
        var attempts = 0
        while midWrite < Self.kills && attempts < 40 {
            attempts += 1
            let daemon = try ExecutableRootTests.Daemon(["--config", config, "--log-level", "warning"], directory: bed.directory)
            let pid = daemon.process.processIdentifier
            let temporary = DurableFile.temporaryPrefix(of: file) + "\(pid)"
            // Watch for the temporary file and kill at once; give up after 20 s.
            let killed = try await onOwnThread { () -> Bool in
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline {
                    if access(temporary, F_OK) == 0 {
                        kill(pid, SIGKILL)
                        return true
                    }
                }
                return false
            }
            if !killed { daemon.stop() }
            _ = await daemon.waitForExit()
            // The temporary file is still there: the kill came before the rename.
            if killed && access(temporary, F_OK) == 0 { midWrite += 1 }
            // Whatever moment the kill hit, the file in place is whole.
            if FileManager.default.fileExists(atPath: file) {
                let bytes = try #require(try DurableFile.read(file, limit: 1 << 28))
                let snapshot = try RegistrySnapshotFile(decoding: bytes, file: file)
                #expect(snapshot.snapshot.peers.count == Self.peers)
                if let lastGood { #expect(snapshot.snapshot.revision >= lastGood.snapshot.revision) }
                lastGood = snapshot
            }
        }
        churning.withLock { $0 = false }
        _ = await churn.result
        #expect(midWrite == Self.kills, "killed during a write \(midWrite) times in \(attempts) starts")
        let persisted = try #require(lastGood, "a snapshot was written")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0 != RegistrySnapshotFile.fileName }
        #expect(!leftovers.isEmpty, "the killed writes left their temporary files: \(leftovers)")

        // The next start, etcd stopped: the last good file is served, the leftovers removed.
        bed.etcd.stop(0)
        let daemon = try ExecutableRootTests.Daemon(["--config", config, "--log-level", "info"], directory: bed.directory)
        defer { daemon.stop() }
        let dig = ["dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p", "\(ports[1])"]
        try await eventually("the persisted serial to be served") {
            let soa = (try? await offPool { try Command.run(dig + ["valon.test", "SOA"]).stdout }) ?? ""
            return soa.split(separator: " ").dropFirst(2).first == "\(persisted.snapshot.serial)"
        }
        let peer = persisted.snapshot.peers[persisted.snapshot.peers.count / 2]
        #expect(try await offPool { try Command.run(dig + ["\(peer.alias).valon.test", "A"]).stdout }
            .trimmingCharacters(in: .whitespacesAndNewlines) == peer.wgIP.description)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state) == [RegistrySnapshotFile.fileName],
                "the leftovers are gone")
        #expect(daemon.output.contains("serving the persisted registry snapshot"), "\(daemon.output)")
    }
}
