import ArgumentParser
import Foundation
import ValonKit

/// `valonctl`, the VALON administrator's tool on a discovery node (docs/ARCHITECTURE.md §1).
@main
struct Valonctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valonctl",
        abstract: "Manage the peers of a VALON WireGuard mesh and check the discovery node.",
        discussion: """
            Peers live in etcd (under /valon/ by default) and on the discovery node's WireGuard \
            interface; valonctl changes both, the registry first.

            Examples:
              valonctl peer add 'kHx…=' --alias client01          allocate the next address
              valonctl peer add 'kHx…=' --alias nas --wg-ip 100.100.0.10
              valonctl peer list --json
              valonctl --config /etc/valon/valonctl.yml peer list    global options go before or after
              valonctl peer remove client01
              valonctl peer export peers.json
              valonctl relay list                                  pairs relayed by the discovery nodes
              valonctl discovery list                              every discovery node, its lease, DNS and API
              valonctl status
              wg_key=$(valonctl genkey); echo "$wg_key" | valonctl pubkey

            Global options, before or after the subcommand (`valonctl --config FILE peer list` \
            is `valonctl peer list --config FILE`): --config PATH and --json; each command's \
            --help lists the ones it takes.

            Configuration (--config, default \(ValonctlConfig.defaultPath)):
              wireguard:
                interface: wg0
                ip: 100.100.0.1
                endpoint: 192.168.1.100:51820
                network: 100.100.0.0/24
              etcd:
                endpoints:
                  - http://127.0.0.1:2379
              ddns:
                api_url: http://100.100.0.1:8053

            Exit status:
            \(ExitStatus.table)

            Shell completion: valonctl --generate-completion-script bash|zsh|fish
            """,
        version: "1.0.0",
        subcommands: [Peer.self, Relay.self, Discovery.self, Status.self, Genkey.self, Pubkey.self])

    /// Parses and runs like ArgumentParser's `main()`, but exits with valonctl's own
    /// statuses: 2 for a usage error, and each ``AdminError`` class's status.
    static func main() async {
        do {
            var command = try parseAsRoot(globalOptionOrder.normalised(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as AdminError {
            Output.error(error.message)
            Foundation.exit(error.code.exitStatus)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            if exitCode(for: error) == .validationFailure {
                Output.error(fullMessage(for: error))
                Foundation.exit(AdminError.Code.usage.exitStatus)
            }
            exit(withError: error)
        }
    }
}

extension Valonctl {
    /// ``GlobalOptions``' options, accepted before the subcommand too, over every
    /// subcommand path of this command tree.
    static var globalOptionOrder: GlobalOptionOrder {
        GlobalOptionOrder(options: [.init("--config", takesValue: true), .init("--json", takesValue: false)],
                          commands: commandPaths(of: self))
    }

    /// Every path of subcommand names below `command`, under each name and alias.
    static func commandPaths(of command: ParsableCommand.Type) -> [[String]] {
        command.configuration.subcommands.flatMap { sub -> [[String]] in
            let names = [sub.configuration.commandName ?? sub._commandName] + sub.configuration.aliases
            let below = commandPaths(of: sub)
            return names.flatMap { name in [[name]] + below.map { [name] + $0 } }
        }
    }
}

/// The exit statuses, as the help lists them.
enum ExitStatus {
    static var table: String {
        (["  0  success"] + AdminError.Code.allCases.map { "  \($0.exitStatus)  \($0.summary)" }).joined(separator: "\n")
    }
}
