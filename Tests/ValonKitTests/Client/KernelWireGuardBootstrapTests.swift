import Foundation
import Testing
@testable import ValonKit

/// valon-bootstrap's kernel path end to end: the interface made over rtnetlink, configured
/// over generic netlink, a real handshake with a kernel WireGuard "discovery node" in
/// another namespace, a second run that changes nothing, and `down`. This machine's kernel
/// has no WireGuard module, so the suite runs in the VM of scripts/vm/run-netlink-tests.sh
/// (VALON_VM_KERNEL_WIREGUARD=1). `ip`, `wg` and `ping` are the oracles.
///
/// The client side is the VM's own namespace (ValonBootstrap works in the namespace of
/// its process); the names carry a random suffix.
@Suite("KernelWireGuard: valon-bootstrap creates and configures a kernel interface",
       .enabled(if: RouteNetlinkClientRootTests.kernelHasWireGuard, "needs the WireGuard module: run scripts/vm/run-netlink-tests.sh"),
       .tags(.process, .root), .timeLimit(.minutes(10)))
struct KernelWireGuardBootstrapRootTests {
    @Test("up creates the kernel link and hands shake with the node; a rerun changes nothing; down removes it")
    func upTwiceThenDown() async throws {
        let suffix = randomSuffix(5)
        let interface = "vbk\(suffix)", hostVeth = "vbh\(suffix)", nodeVeth = "vbn\(suffix)", nodeLink = "vbd\(suffix)"
        let node = try NetworkNamespace(prefix: "vbnode")
        let directory = NSTemporaryDirectory() + "valon-kb-\(suffix)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer {
            node.delete()
            _ = try? Command.run(["ip", "link", "del", interface])
            _ = try? Command.run(["ip", "link", "del", hostVeth])
            try? FileManager.default.removeItem(atPath: directory)
        }

        // The discovery node: kernel WireGuard in its namespace, behind a veth pair.
        let nodeKey = WireGuardKey.generatePrivate()
        try WireGuardKeyFile.write(nodeKey, to: "\(directory)/node.key")
        let clientKey = WireGuardKey.generatePrivate()
        try WireGuardKeyFile.write(clientKey, to: "\(directory)/client.key")
        try Command.check(["ip", "link", "add", hostVeth, "type", "veth", "peer", "name", nodeVeth, "netns", node.name])
        try Command.check(["ip", "addr", "add", "198.18.40.1/30", "dev", hostVeth])
        try Command.check(["ip", "link", "set", hostVeth, "up"])
        try node.ip(["addr", "add", "198.18.40.2/30", "dev", nodeVeth])
        try node.ip(["link", "set", nodeVeth, "up"])
        try node.ip(["link", "add", nodeLink, "type", "wireguard"])
        try Command.check(["ip", "netns", "exec", node.name, "wg", "set", nodeLink, "private-key", "\(directory)/node.key",
                           "listen-port", "51820", "peer", try clientKey.publicKey().base64, "allowed-ips", "100.64.40.2/32"])
        try node.ip(["addr", "add", "100.64.40.1/24", "dev", nodeLink])
        try node.ip(["link", "set", nodeLink, "up"])

        let config = try ClientConfig(parsing: """
            WG_INTERFACE=\(interface)
            DISCOVERY_PUBKEY=\(try nodeKey.publicKey().base64)
            DISCOVERY_ENDPOINT=198.18.40.2:51820
            DISCOVERY_ALLOWED_IPS=100.64.40.1/32
            DISCOVERY_DNS=100.64.40.1:53
            DISCOVERY_API=http://100.64.40.1:8053
            DNS_ZONE=valon.test
            OWN_WG_IP=100.64.40.2
            WG_PORT=51821
            ALLOWED_IPS=100.64.40.0/24
            PRIVATE_KEY_FILE=\(directory)/client.key
            """, file: "\(directory)/client.conf")
        var options = ValonBootstrap.Options(config: config)
        options.stateDirectory = "\(directory)/state"
        options.sync = false   // no valon-discovery here: the handshake is the end of `up`
        options.handshakeTimeout = .seconds(30)
        let bootstrap = ValonBootstrap(options: options)

        let first = try await bootstrap.up()
        #expect(first.backend == "kernel")
        #expect(first.userspacePID == nil)
        #expect(first.changes.first == "created kernel interface \(interface)", "\(first.changes)")
        #expect(first.handshakeAgeSeconds != nil)

        let link = try Command.check(["ip", "-d", "link", "show", "dev", interface])
        #expect(link.contains("mtu 1420"), "\(link)")
        #expect(link.contains("wireguard"), "\(link)")
        #expect(link.contains(",UP"), "\(link)")
        #expect(try Command.check(["ip", "-o", "addr", "show", "dev", interface]).contains("inet 100.64.40.2/24"))
        #expect(try Command.check(["ip", "route", "show", "dev", interface]).contains("100.64.40.0/24"))
        let dump = try Command.check(["wg", "show", interface, "dump"]).split(separator: "\n")
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(dump.first?[0] == clientKey.base64)
        #expect(dump.first?[2] == "51821")
        #expect(dump.count == 2)
        let discoveryPeer = try #require(dump.last)
        #expect(discoveryPeer[0] == (try nodeKey.publicKey().base64))
        #expect(discoveryPeer[2] == "198.18.40.2:51820")
        #expect(discoveryPeer[3] == "100.64.40.1/32")
        #expect(discoveryPeer[4] != "0", "a handshake happened")
        #expect(discoveryPeer[7] == "25")
        // The node saw it too, and the tunnel carries traffic.
        let nodeHandshakes = try Command.check(["ip", "netns", "exec", node.name, "wg", "show", nodeLink, "latest-handshakes"])
        #expect(!nodeHandshakes.contains("\t0"), "\(nodeHandshakes)")
        #expect(try Command.run(["ping", "-c", "1", "-W", "5", "100.64.40.1"]).status == 0)

        let second = try await bootstrap.up()
        #expect(second.changes == [], "a second run changes nothing: \(second.changes)")
        #expect(try Command.check(["ip", "-d", "link", "show", "dev", interface]) == link)

        let removed = try bootstrap.down()
        #expect(removed == ["deleted interface \(interface)"])
        #expect(try Command.run(["ip", "link", "show", "dev", interface]).status != 0)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/client.key"), "the key stays")
    }
}
