import ArgumentParser
import ValonKit

extension Peer {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a peer and add it to the discovery interface.",
            discussion: """
                Registers the key, alias and address in one etcd transaction, adds the peer to \
                the discovery interface with AllowedIPs = <wg ip>/32, and prints the client's \
                wg-quick configuration and /etc/valon/client.conf.

                Without --wg-ip the lowest free address of wireguard.network is allocated (never \
                the network, broadcast or discovery address). The alias is a lowercase DNS label.

                The registry is the source of truth: if the interface cannot be changed after the \
                peer was registered, the peer stays registered, a warning says why, and \
                valon-discovery's reconciler adds it to the interface. When the interface does not \
                exist, the discovery public key is read from /etc/wireguard/<interface>.pub or \
                derived from <interface>.key; without it nothing is registered (exit 6).

                Examples:
                  valonctl peer add 'kHx…=' --alias client01
                  valonctl peer add 'kHx…=' --alias nas --wg-ip 100.100.0.10 --json
                """)

        @Argument(help: ArgumentHelp("The peer's public key (base64, 44 characters).", valueName: "pubkey"))
        var publicKey: String

        @Option(help: "The peer's name in DNS (a lowercase DNS label).")
        var alias: String

        @Option(name: .customLong("wg-ip"), help: ArgumentHelp("The address to give the peer instead of the next free one.", valueName: "ip"))
        var wgIP: String?

        @Option(name: .customLong("key-dir"), help: ArgumentHelp("Where <interface>.pub or .key are read when the interface is down.", valueName: "dir"))
        var keyDirectory: String = Administrator.defaultKeyDirectory

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator(keyDirectory: keyDirectory)
            let addition = try await admin.addPeer(publicKey: publicKey, alias: alias, address: wgIP)
            if let note = addition.interfaceNote { Output.warning(note) }
            if options.json {
                Output.json(PeerAdditionJSON(addition))
                return
            }
            let peer = addition.peer
            print(addition.allocated ? "Auto-allocated IP address" : "Requested IP address")
            print("  Allocated IP: \(peer.wgIP)")
            print("Registered peer in etcd (\(admin.registry.configuration.keys.peer(peer.publicKey)))")
            if addition.interfaceUpdated {
                print("Added peer to WireGuard interface \(admin.interfaceName) (AllowedIPs = \(peer.hostNetwork))")
            } else {
                print("Not added to WireGuard interface \(admin.interfaceName): valon-discovery adds it from the registry")
            }
            print("✓ Successfully added peer \(peer.publicKey.base64) (alias: \(peer.alias), IP: \(peer.wgIP))")
            print("")
            print("=== WireGuard Configuration for Client ===")
            print("")
            print("Save this as \(addition.setup.wgQuickPath) on the client:")
            print("")
            print(addition.setup.wgQuickConfiguration, terminator: "")
            print("==========================================")
            print("")
            print("=== VALON Client Configuration ===")
            print("")
            print("Save this as /etc/valon/client.conf on the client:")
            print("")
            print(addition.setup.clientConfiguration.rendered(), terminator: "")
            print("==========================================")
        }
    }
}
