import ArgumentParser
import ValonKit

extension Peer {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every registered peer.",
            discussion: """
                Columns: ALIAS, PUBKEY, WG IP, LAN and NAT endpoints, and the last handshake with \
                the discovery interface ("never" without one, "-" when the interface is missing or \
                lacks the peer).

                Examples:
                  valonctl peer list
                  valonctl peer list --json | jq -r '.[].alias'
                """)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator()
            let (views, device, problems) = try await admin.listPeers()
            for problem in problems { Output.warning(problem) }
            if device == nil, !options.json { Output.warning("interface \(admin.interfaceName) does not exist: no handshakes shown") }
            if options.json {
                Output.json(views.map(PeerJSON.init))
            } else {
                print(PeerTable.render(views, interfacePresent: device != nil, now: Output.now), terminator: "")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one peer, named by its alias or its public key.",
            discussion: """
                Examples:
                  valonctl peer show client01
                  valonctl peer show 'kHx…=' --json
                """)

        @Argument(help: ArgumentHelp("The peer's alias or base64 public key.", valueName: "alias|pubkey"))
        var name: String

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator()
            let (view, interfacePresent) = try await admin.showPeer(named: name)
            if options.json {
                Output.json(PeerJSON(view))
            } else {
                print(PeerTable.details(view, interfaceName: admin.interfaceName, interfacePresent: interfacePresent, now: Output.now),
                      terminator: "")
            }
        }
    }
}
