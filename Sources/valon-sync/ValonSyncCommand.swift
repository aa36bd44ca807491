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

            --follow also listens on OWN_WG_IP, UDP port NOTIFY_PORT (default 53530), for DNS NOTIFY \
            (RFC 1996) from the discovery nodes' WireGuard addresses only, and syncs at once on one, \
            and on a change of the host's addresses or routes; the serial check every --interval \
            stays as the backstop.

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

    @Option(help: "Seconds between serial checks with --follow (a NOTIFY from a discovery node syncs at once in between).")
    var interval: Double = 2

    @Option(name: .customLong("notify-port"),
            help: "With --follow, the UDP port on OWN_WG_IP to take NOTIFY on (RFC 1996); 0 turns it off (default: NOTIFY_PORT, else 53530).")
    var notifyPort: UInt16?

    @Flag(name: .customLong("no-network-watch"),
          help: "With --follow, do not sync at once when the host's addresses or routes change (only every --interval and on NOTIFY).")
    var noNetworkWatch = false

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
        options.keepsMemory = follow
        let sync = ValonSync(options: options)
        guard follow else { throw ExitCode(await once(sync).status) }
        try await followChanges(sync, notifyPort: notifyPort ?? options.config.notifyPort)
    }

    /// `--follow`: syncs every `--interval`, at once on a NOTIFY from a discovery node
    /// (docs/ARCHITECTURE.md §12) unless the NOTIFY port is 0, and at once when the host's
    /// addresses or routes change (it may have moved) unless `--no-network-watch`.
    private func followChanges(_ sync: ValonSync, notifyPort: UInt16) async throws {
        let wake = SyncTrigger()
        var trigger: SyncTrigger?
        var listener: NotifyListener?
        var monitor: NetworkChangeMonitor?
        if !noNetworkWatch {
            do {
                monitor = try NetworkChangeMonitor { wake.fireNetworkChange() }
                monitor?.start()
                trigger = wake
            } catch {
                Self.warn("\(error); a move of this host is noticed at the next --interval")
            }
        }
        if let local = sync.notifyEndpoint(port: notifyPort) {
            let zone: DNSName
            do {
                zone = try DNSName(sync.options.config.dnsZone)
            } catch {
                Self.warn("DNS_ZONE \(sync.options.config.dnsZone) is not a DNS name: \(error)")
                throw ExitCode(1)
            }
            trigger = wake
            listener = NotifyListener(local: local, zone: zone, nodes: sync.notifyNodes(),
                                      log: { Self.warn($0) }, onNotify: { wake.fire(serial: $0) })
            listener?.start()
        }
        let follower = SyncFollower(interval: .milliseconds(Int(interval * 1000)), trigger: trigger)
        await follower.run { wake in
            // A NOTIFY's sync touches only what changed; the others are whole (§12.2).
            let (_, serial, incremental) = await once(sync, incremental: wake == .notify || wake == .catchUp)
            if !incremental { listener?.update(nodes: sync.notifyNodes()) }
            return serial
        }
        await listener?.stop()
        await monitor?.stop()
    }

    static func warn(_ line: String) {
        FileHandle.standardError.write(Data("valon-sync: \(line)\n".utf8))
    }

    /// One sync, printed; returns the exit status, the zone serial it saw (`nil` when it
    /// failed) and whether it was incremental. `incremental` tries
    /// ``ValonSync/runIncremental()`` first, and runs a whole sync where that cannot serve.
    private func once(_ sync: ValonSync, incremental: Bool = false) async -> (status: Int32, serial: UInt32?, incremental: Bool) {
        var incrementalRun = false
        do {
            var result: SyncResult
            if incremental, let changes = try await sync.runIncremental() {
                result = changes
                incrementalRun = true
            } else {
                result = try await sync.run()
            }
            if json {
                emit(result.json)
            } else {
                if dryRun { emit(result.planText) }
                emit(result.summary)
            }
            if let reportError = result.reportError {
                FileHandle.standardError.write(Data("valon-sync: endpoint report failed: \(reportError)\n".utf8))
                return (3, result.serial, incrementalRun)
            }
            return (0, result.serial, incrementalRun)
        } catch {
            if json { emit(#"{"error":{"code":"\#(error.code.rawValue)","message":\#(jsonString(error.description))}}"#) }
            FileHandle.standardError.write(Data("valon-sync: \(error)\n".utf8))
            return (1, nil, incrementalRun)
        }
    }

    /// Writes a line to stdout at once (`write(2)`, no stdio buffer): under `--follow` each
    /// sync's line appears when it happens, also when stdout is a pipe or a file.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func jsonString(_ text: String) -> String {
        (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
