import ArgumentParser
import Foundation
import ValonKit

extension Peer {
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a peer from the registry and the discovery interface.",
            discussion: """
                Deletes all of the peer's keys, its alias and its address claim in one etcd \
                transaction, then removes the peer from the interface. If the interface is \
                missing or refuses the change, the registry removal stands, a warning says why, \
                and valon-discovery's reconciler removes the peer from the interface.

                Examples:
                  valonctl peer remove client01
                  valonctl peer remove 'kHx…='
                """)

        @Argument(help: ArgumentHelp("The peer's alias or base64 public key.", valueName: "alias|pubkey"))
        var name: String

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator()
            let removal = try await admin.removePeer(named: name)
            if let note = removal.interfaceNote { Output.warning(note) }
            if options.json {
                Output.json(PeerRemovalJSON(removal))
                return
            }
            print("Removed peer from etcd")
            if removal.removedFromInterface { print("Removed peer from WireGuard interface \(admin.interfaceName)") }
            if let peer = removal.peer {
                print("✓ Successfully removed peer \(peer.publicKey.base64) (alias: \(peer.alias), IP: \(peer.wgIP))")
            } else {
                print("✓ Successfully removed the damaged record of \(removal.name)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every peer as JSON: [{\"pubkey\", \"ip\", \"alias\"}].",
            discussion: """
                Writes to standard output, or to FILE (replaced atomically).

                Examples:
                  valonctl peer export
                  valonctl peer export /var/backups/valon-peers.json
                """)

        @Argument(help: ArgumentHelp("The file to write; standard output when omitted.", valueName: "file"))
        var file: String?

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            // The export is JSON whether or not --json is given.
            let admin = try options.administrator()
            let text = AdminJSON.encode(try await admin.exportPeers()) + "\n"
            guard let file else {
                print(text, terminator: "")
                return
            }
            try AdminFiles.write(text, to: file)
        }
    }
}
