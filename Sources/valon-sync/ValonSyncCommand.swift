import ArgumentParser
import Foundation
import ValonKit

/// `valon-sync` (docs/ARCHITECTURE.md §5): report this peer's LAN endpoint, read every peer from the
/// discovery node's DNS and apply the endpoints to the WireGuard interface in one batch.
@main
struct ValonSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valon-sync",
        abstract: "Publish this peer's LAN endpoint and sync the WireGuard interface with the VALON registry.",
        discussion: """
            Configuration: --config PATH, else $VALON_CONFIG, else /etc/valon/client.conf, \
            else /usr/local/etc/valon/client.conf; every key can be overridden by VALON_<KEY>.

            Exit status: 0 synced; 1 failed (when the registry could not be read the interface \
            is left exactly as it was); 2 usage error; 3 synced, but the endpoint report failed.
            """)

    @Option(name: .long, help: "The client configuration file.")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "Where the state between runs is kept.")
    var stateDirectory = ClientState.defaultDirectory

    @Flag(name: .customLong("dry-run"), help: "Print the plan; change nothing and report nothing.")
    var dryRun = false

    @Flag(help: "Print the result as JSON (one object per sync).")
    var json = false

    @Flag(help: "Keep running and sync on every change of the zone's serial.")
    var follow = false

    @Option(help: "Seconds between serial checks with --follow.")
    var interval: Double = 2

    @Option(help: "Sync only the peer with this public key (base64).")
    var peer: String?

    @Flag(name: .customLong("no-report"), help: "Do not report the LAN endpoint to the DDNS API.")
    var noReport = false

    @Flag(help: "Read the whole registry even when the serial is unchanged.")
    var force = false

    func validate() throws {
        if interval <= 0 { throw ValidationError("--interval must be positive") }
        if let peer, (try? WireGuardKey(base64: peer)) == nil { throw ValidationError("--peer \(peer) is not a base64 public key") }
    }

    func run() async throws {
        var options: ValonSync.Options
        do {
            options = ValonSync.Options(config: try ClientConfig.load(path: config))
        } catch {
            FileHandle.standardError.write(Data("valon-sync: \(error)\n".utf8))
            throw ExitCode(1)
        }
        options.stateDirectory = stateDirectory
        options.dryRun = dryRun
        options.onlyPeer = peer.flatMap { try? WireGuardKey(base64: $0) }
        options.report = !noReport
        options.force = force
        let sync = ValonSync(options: options)
        repeat {
            let status = await once(sync)
            if !follow { throw ExitCode(status) }
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        } while true
    }

    /// One sync, printed; returns the exit status.
    private func once(_ sync: ValonSync) async -> Int32 {
        do {
            let result = try await sync.run()
            if json {
                print(result.json)
            } else {
                if dryRun { print(result.planText) }
                print(result.summary)
            }
            if let reportError = result.reportError {
                FileHandle.standardError.write(Data("valon-sync: endpoint report failed: \(reportError)\n".utf8))
                return 3
            }
            return 0
        } catch {
            if json { print(#"{"error":{"code":"\#(error.code.rawValue)","message":\#(jsonString(error.description))}}"#) }
            FileHandle.standardError.write(Data("valon-sync: \(error)\n".utf8))
            return 1
        }
    }

    private func jsonString(_ text: String) -> String {
        (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
