import ArgumentParser
import ValonKit

/// `valonctl relay …` (docs/ARCHITECTURE.md §10).
struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and remove the pairs relayed by the discovery nodes.",
        subcommands: [List.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every relayed pair: its relay port and its two peers.",
            discussion: """
                Examples:
                  valonctl relay list
                  valonctl relay list --json
                """)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator()
            let (relays, problems) = try await admin.listRelays()
            for problem in problems { Output.warning(problem) }
            if options.json {
                Output.json(relays)
                return
            }
            guard !relays.isEmpty else {
                print("No relayed pairs.")
                return
            }
            let width = max(4, relays.map(\.first.count).max() ?? 0)
            print("PORT   " + "PEER".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "PEER")
            for relay in relays {
                print(String(relay.port).padding(toLength: 7, withPad: " ", startingAt: 0)
                      + relay.first.padding(toLength: width + 2, withPad: " ", startingAt: 0) + relay.second)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the relay of a pair; its peers try direct paths again.",
            discussion: """
                Deletes the pair's allocation and its port's claim in one etcd transaction; the \
                discovery nodes close the port on their next look at etcd.

                Examples:
                  valonctl relay remove client01 laptop
                """)

        @Argument(help: ArgumentHelp("One peer's alias or base64 public key.", valueName: "alias|pubkey"))
        var first: String
        @Argument(help: ArgumentHelp("The other peer's alias or base64 public key.", valueName: "alias|pubkey"))
        var second: String

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator()
            let removed = try await admin.removeRelay(between: first, and: second)
            if options.json {
                Output.json(removed)
                return
            }
            print("✓ Removed the relay of \(removed.first) and \(removed.second) (port \(removed.port))")
        }
    }
}
