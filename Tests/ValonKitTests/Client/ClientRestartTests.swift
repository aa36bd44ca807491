import Foundation
import Synchronization
import Testing
@testable import ValonKit
import ValonTestSupport

/// A client following a registry of 2,000 peers while the discovery node restarts
/// (docs/ARCHITECTURE.md §9): `valon-sync --follow` runs in its namespace, the node is
/// killed and started ten times, once with etcd stopped, and `wg show dump` sampled every
/// 100 ms never shows a peer missing. Then a node with nothing read answers SERVFAIL, and a
/// single `valon-sync` exits 1 naming the server and the answer with the device untouched.
@Suite("client across discovery restarts", .serialized, .timeLimit(.minutes(6)), .tags(.process, .root))
struct ClientRestartRootTests {
    static let peers = 2_000
    /// The peers on the client's interface inside 10.64.0.0/15, where the seeded peers live
    /// (added to this client's VALON networks), from `wg show dump`.
    static func seededPeers(on interface: String) -> Int? {
        guard let dump = try? Command.run(["wg", "show", interface, "dump"]), dump.status == 0 else { return nil }
        return dump.stdout.split(separator: "\n").dropFirst().count { $0.split(separator: "\t").dropFirst(3).first.map { $0.hasPrefix("10.64.") || $0.hasPrefix("10.65.") } == true }
    }

    @Test func theDeviceNeverLosesAPeerWhileTheNodeRestarts() async throws {
        let bed = try await ClientTestbed()
        defer { bed.shutdown() }
        let etcd = try EtcdClient(EtcdConfiguration(endpoints: bed.etcd.clientURLs))
        try await RegistrySeed.add(Self.peers, to: etcd)
        // Bootstrap only once the node serves the seeded registry, so its first sync has it all.
        let revision = UInt32(truncatingIfNeeded: try await etcd.range(.prefix("/valon/")).header.revision)
        try await eventually("the node to serve the seeded registry", limit: .seconds(60)) { (try? bed.serial()) == revision }
        let network = "\(bed.network),10.64.0.0/15"
        let environment = ["VALON_ALLOWED_IPS": network]
        let boot = try bed.run("valon-bootstrap", ["--handshake-timeout", "20"], environment: environment)
        #expect(boot.status == 0, "\(boot.stdout)\(boot.stderr)")
        try await eventually("every seeded peer on the device", limit: .seconds(60)) { Self.seededPeers(on: bed.interface) == Self.peers }

        // valon-sync --follow, exec'd so that the PID is its own; its output goes to a file.
        let log = "\(bed.directory)/follow.log"
        let line = (["exec", "env", "VALON_ALLOWED_IPS=\(network)"] + bed.command("valon-sync", ["--follow", "--interval", "0.5"]))
            .map { "'\($0)'" }.joined(separator: " ") + " >'\(log)' 2>&1"
        let follow = try SpawnedProcess("/bin/sh", ["-c", line])
        defer { follow.terminate() }

        // The sampler: every 100 ms, on a thread of its own, until told to stop.
        let sampling = Mutex(true)
        let samples = Mutex([Int]())
        let sampler = Task {
            try await onOwnThread {
                while sampling.withLock({ $0 }) {
                    if let count = Self.seededPeers(on: bed.interface) { samples.withLock { $0.append(count) } }
                    usleep(100_000)
                }
            }
        }

        for round in 0..<10 {
            bed.stopDiscovery()
            if round == 5 {
                // A restart while etcd is down: the node serves the snapshot it persisted.
                bed.etcd.stop(0)
                try bed.startDiscovery()
                try await Task.sleep(for: .seconds(3))
                try await bed.etcd.restart(0)
            } else {
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...800)))
                try bed.startDiscovery()
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 500...1_500)))
        }
        // The follower still follows: a new peer reaches the device.
        try await RegistrySeed.add(1, to: etcd, aliasPrefix: "late", addressBase: 65)
        try await eventually("the follower to add a new peer", limit: .seconds(60)) { Self.seededPeers(on: bed.interface) == Self.peers + 1 }
        sampling.withLock { $0 = false }
        try await sampler.value
        let seen = samples.withLock { $0 }
        #expect(seen.count > 20, "sampled throughout the restarts: \(seen.count) times")
        #expect(seen.min() ?? 0 >= Self.peers, "the fewest seeded peers ever on the device: \(seen.min() ?? -1)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(follow.isRunning, "the follower survived every restart")
    }

    @Test func aNodeThatHasReadNothingAnswersServfailAndTheDeviceStays() async throws {
        let bed = try await ClientTestbed()
        defer { bed.shutdown() }
        let boot = try bed.run("valon-bootstrap", ["--handshake-timeout", "20"])
        #expect(boot.status == 0, "\(boot.stdout)\(boot.stderr)")
        let before = try bed.clientPeers()

        // The node restarts with nothing persisted and etcd down: it has read nothing.
        bed.stopDiscovery()
        try FileManager.default.removeItem(atPath: "\(bed.directory)/discovery-state")
        bed.etcd.stop(0)
        try bed.startDiscovery(waitForAnswer: false)
        let dig = ["dig", "+time=1", "+tries=1", "-p", String(bed.dnsPort), "@127.0.0.1", "valon.test", "SOA"]
        try await eventually("the node to answer SERVFAIL") { (try? Command.run(dig))?.stdout.contains("status: SERVFAIL") == true }

        let failed = try bed.run("valon-sync", ["--force"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("\(bed.discoveryIP):\(bed.dnsPort)"), "names the server: \(failed.stderr)")
        #expect(failed.stderr.contains("SERVFAIL"), "names the answer: \(failed.stderr)")
        #expect(try bed.clientPeers() == before, "the device is untouched")
    }
}
