import ArgumentParser
import Foundation
import Logging
import ValonDiscovery
import ValonKit

/// `valon-discovery`: the discovery node's daemon (docs/ARCHITECTURE.md §1, §6). Parses the arguments,
/// reads the config, builds a ``DiscoveryServer`` and runs it until SIGTERM or SIGINT.
@main
struct ValonDiscoveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valon-discovery",
        abstract: "VALON's discovery node: DNS for the peer registry, the DDNS API, endpoint learning and reconciliation.",
        discussion: """
        Exit status: 0 after a graceful shutdown (SIGTERM, SIGINT); 64 for bad arguments; \
        78 when the configuration cannot be read or is invalid (the message names the file, \
        line and key); 69 when the node cannot start (the WireGuard interface is missing or \
        is not WireGuard, the etcd client cannot be set up); 1 when a part fails while running.
        """
    )

    @Option(name: .long, help: ArgumentHelp("The YAML configuration (default: /etc/valon/discovery.yml).", valueName: "path"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Read the original CoreDNS plugin's Corefile instead of YAML.", valueName: "path"))
    var corefile: String?

    @Option(name: .long, help: ArgumentHelp("Where the registry snapshot is persisted (overrides state_dir; default: /var/lib/valon/discovery).", valueName: "path"))
    var stateDir: String?

    @Option(name: .long, help: ArgumentHelp("How much to log on standard error.", valueName: "level"))
    var logLevel: Logger.Level = .info

    static let defaultConfig = "/etc/valon/discovery.yml"

    func validate() throws {
        if config != nil && corefile != nil { throw ValidationError("give either --config or --corefile, not both") }
        if let stateDir, !stateDir.hasPrefix("/") { throw ValidationError("--state-dir \(stateDir) is not an absolute path") }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "valon-discovery")
        var settings: DiscoveryConfig
        do {
            settings = try DiscoveryConfig.load(path: corefile ?? config ?? Self.defaultConfig, corefile: corefile != nil)
        } catch {
            Self.fail("configuration error: \(error)", code: 78)
        }
        if let stateDir { settings.stateDirectory = stateDir }
        let server: DiscoveryServer
        do {
            server = try DiscoveryServer(config: settings, logger: logger)
        } catch {
            Self.fail("cannot start: \(error)", code: 69)
        }
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("valon-discovery: \(message)\n".utf8))
        Self.exit(withError: ExitCode(code))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
