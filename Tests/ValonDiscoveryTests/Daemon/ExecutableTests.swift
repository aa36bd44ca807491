import Foundation
import Testing
import ValonKit
import ValonTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `valon-discovery` executable: it starts from a YAML file and from the seed's
/// Corefile, serves until SIGTERM and then exits 0, and refuses a missing interface or a
/// bad config with a message naming it and a distinct exit status.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct ExecutableRootTests {
    /// `valon-discovery`, next to the test runner (any `--scratch-path`), else in `.build/debug`.
    static var executable: String {
        let sibling = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("valon-discovery").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/valon-discovery").path
    }

    /// A started executable with its output going to a file.
    final class Daemon: @unchecked Sendable {
        let process = Process()
        let log: String

        init(_ arguments: [String], directory: String) throws {
            log = "\(directory)/discovery-\(UUID().uuidString.prefix(6)).log"
            guard FileManager.default.createFile(atPath: log, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log])
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.executableURL = URL(fileURLWithPath: ExecutableRootTests.executable)
            // Each daemon persists its registry snapshot in the test's own directory.
            process.arguments = arguments + (arguments.contains("--state-dir") ? [] : ["--state-dir", "\(directory)/state"])
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// Waits for the exit (at most `limit`; then SIGKILL) and returns the status.
        func waitForExit(limit: Duration = .seconds(20)) async -> Int32 {
            let deadline = ContinuousClock.now + limit
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `GET /health` from the host (the discovery address is local), `nil` while nothing answers.
    static func health(_ bed: DiscoveryTestbed, port: Int) async -> (status: Int, body: String)? {
        let url = "http://\(bed.discoveryIP):\(port)/health"
        guard let result = try? await offPool({ try Command.run(["curl", "-s", "--max-time", "2", "-w", "\n%{http_code}", url]) }),
              result.status == 0, let newline = result.stdout.lastIndex(of: "\n"),
              let status = Int(result.stdout[result.stdout.index(after: newline)...]) else { return nil }
        return (status, String(result.stdout[..<newline]))
    }

    @Test func startsFromYAMLAndStopsGracefullyOnSIGTERM() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        let ports = try EtcdCluster.freePorts(2)
        let path = "\(bed.directory)/discovery.yml"
        try Self.write("""
        zone: valon.test
        etcd_endpoints: [\(bed.etcd.clientURLs[0])]
        wg_interface: \(bed.discovery.name)
        ddns_listen: \(bed.discoveryIP):\(ports[0])
        wg_poll_interval: 200ms
        bind: [127.0.0.1]
        port: \(ports[1])
        """, to: path)
        let daemon = try Daemon(["--config", path, "--log-level", "info"], directory: bed.directory)
        defer { daemon.stop() }
        try await eventually("the API to answer /health with 200") { await Self.health(bed, port: ports[0])?.status == 200 }
        try await eventually("the reconciler to add the registered peer") { try await bed.discoveryPeers().count == 1 }

        kill(daemon.process.processIdentifier, SIGTERM)
        let status = await daemon.waitForExit()
        #expect(status == 0, "\(daemon.output)")
        #expect(daemon.output.contains("valon-discovery stopped"), "\(daemon.output)")
        #expect(await Self.health(bed, port: ports[0]) == nil, "the API is closed")
        #expect(try await bed.discoveryPeers().count == 1, "shutting down leaves the interface's peers in place")
    }

    @Test func startsFromTheSeedsCorefile() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 0)
        defer { bed.shutdown() }
        let ports = try EtcdCluster.freePorts(2)
        let path = "\(bed.directory)/Corefile"
        // The seed's Corefile.example, with this testbed's names and ports.
        try Self.write("""
        valon.test:\(ports[1]) {
            valon {
                etcd_endpoints \(bed.etcd.clientURLs[0])
                wg_interface \(bed.discovery.name)
                ddns_listen \(bed.discoveryIP):\(ports[0])
                wg_poll_interval 1s
                etcd_sync_interval 10s
            }
            bind 127.0.0.1
            cache 2
            log
            errors
        }
        """, to: path)
        let daemon = try Daemon(["--corefile", path], directory: bed.directory)
        defer { daemon.stop() }
        try await eventually("the API to answer /health") { await Self.health(bed, port: ports[0]) != nil }
        let health = try #require(await Self.health(bed, port: ports[0]))
        #expect(health.status == 200, "\(health.body)")
        #expect(health.body.contains(#""interface":"\#(bed.discovery.name)""#), "\(health.body)")
        kill(daemon.process.processIdentifier, SIGINT)
        #expect(await daemon.waitForExit() == 0, "\(daemon.output)")
    }

    @Test func aMissingInterfaceIsNamedAtStartUp() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-dx-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(atPath: directory) }
        let missing = "vdnone" + String(UUID().uuidString.prefix(6)).lowercased()
        try Self.write("wg_interface: \(missing)\nddns_listen: 127.0.0.1:18053\n", to: "\(directory)/discovery.yml")
        let daemon = try Daemon(["--config", "\(directory)/discovery.yml"], directory: directory)
        defer { daemon.stop() }
        #expect(await daemon.waitForExit() == 69)
        #expect(daemon.output.contains("the WireGuard interface \(missing) does not exist"), "\(daemon.output)")
    }

    @Test func anAPIAddressThisHostDoesNotHaveIsNamed() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 0)
        defer { bed.shutdown() }
        let ports = try EtcdCluster.freePorts(1)
        let path = "\(bed.directory)/discovery.yml"
        // 192.0.2.1 (TEST-NET-1) is on no interface here: binding fails before anything is sent.
        try Self.write("""
        etcd_endpoints: [\(bed.etcd.clientURLs[0])]
        wg_interface: \(bed.discovery.name)
        ddns_listen: 192.0.2.1:8053
        bind: [127.0.0.1]
        port: \(ports[0])
        """, to: path)
        let daemon = try Daemon(["--config", path], directory: bed.directory)
        defer { daemon.stop() }
        let status = await daemon.waitForExit()
        #expect(status != 0)
        #expect(daemon.output.contains("cannot listen on 192.0.2.1:8053 (ddns_listen)"), "\(daemon.output)")
    }

    @Test(arguments: [
        ("wg_interface: wg0\nwg_poll_interval: soon\n", ":2: wg_poll_interval"),
        ("wg_interface: wg0\nddns_listen: nowhere\n", ":2: ddns_listen"),
        ("zone: valon.internal\nbogus_option: 1\n", "bogus_option"),
    ])
    func aBadConfigNamesTheKeyAndLine(yaml: String, mention: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-dx-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(atPath: directory) }
        try Self.write(yaml, to: "\(directory)/discovery.yml")
        let daemon = try Daemon(["--config", "\(directory)/discovery.yml"], directory: directory)
        defer { daemon.stop() }
        #expect(await daemon.waitForExit() == 78)
        #expect(daemon.output.contains("configuration error: \(directory)/discovery.yml"), "\(daemon.output)")
        #expect(daemon.output.contains(mention), "\(daemon.output)")
    }
}
