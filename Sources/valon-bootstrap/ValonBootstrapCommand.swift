import ArgumentParser
import Foundation
import ValonKit

/// `valon-bootstrap` (docs/ARCHITECTURE.md §1): bring up this client's WireGuard interface from
/// client.conf, reach the discovery node and run a first sync; `--down` undoes it.
@main
struct ValonBootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valon-bootstrap",
        abstract: "Create this client's VALON WireGuard interface, reach the discovery node and sync.",
        discussion: """
            Creates the private key (0600) if PRIVATE_KEY_FILE has none and prints the public key \
            for the administrator. Uses the kernel's WireGuard, or where the kernel has none the \
            userspace implementation named by WG_QUICK_USERSPACE_IMPLEMENTATION (default \
            wireguard-go). Running it again changes nothing.

            Configuration: --config PATH, else $VALON_CONFIG, else /etc/valon/client.conf, \
            else /usr/local/etc/valon/client.conf; every key can be overridden by VALON_<KEY>.
            """)

    @Option(name: .long, help: "The client configuration file.")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "Where valon-bootstrap and valon-sync keep their state.")
    var stateDirectory = ClientState.defaultDirectory

    @Flag(help: "Remove what valon-bootstrap made: the interface and the userspace process.")
    var down = false

    @Option(name: .customLong("handshake-timeout"), help: "Seconds to wait for the handshake with the discovery node.")
    var handshakeTimeout: Double = 15

    @Flag(name: .customLong("no-sync"), help: "Do not run the first sync.")
    var noSync = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        do {
            var options = ValonBootstrap.Options(config: try ClientConfig.load(path: config))
            options.stateDirectory = stateDirectory
            options.handshakeTimeout = .milliseconds(Int(handshakeTimeout * 1000))
            options.sync = !noSync
            let bootstrap = ValonBootstrap(options: options)
            if down {
                for line in try bootstrap.down() { print(line) }
                return
            }
            let outcome = try await bootstrap.up { print($0) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
            } else {
                for change in outcome.changes { print(change) }
                print("\(outcome.interface): up (\(outcome.backend)), public key \(outcome.publicKey)")
                if let sync = outcome.sync { print(sync.summary) }
            }
        } catch {
            FileHandle.standardError.write(Data("valon-bootstrap: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
