import Foundation
import Testing
import ValonTestSupport
import ValonKit

/// Two real `wireguard-go` devices in two namespaces joined by a veth pair, configured
/// only through ``WireGuardUAPIBackend`` (the `ip` commands set up the underlay and the
/// tunnel addresses), complete a handshake and carry a ping.
@Suite(.tags(.process, .root), .timeLimit(.minutes(10))) struct WireGuardHandshakeRootTests {
    @Test func twoDevicesHandshakeAndPing() async throws {
        try await offPool {
            let left = try WireGuardGoDevice()
            defer { left.stop() }
            let right = try WireGuardGoDevice()
            defer { right.stop() }

            try left.exec(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", try #require(right.namespace)])
            for (device, index) in [(left, 1), (right, 2)] {
                let veth = index == 1 ? "veth0" : "veth1"
                try device.exec(["ip", "link", "set", "lo", "up"])
                try device.exec(["ip", "address", "add", "10.201.0.\(index)/24", "dev", veth])
                try device.exec(["ip", "link", "set", veth, "up"])
                try device.exec(["ip", "address", "add", "100.101.0.\(index)/24", "dev", device.name])
                try device.exec(["ip", "link", "set", device.name, "up"])
            }

            let leftKey = WireGuardKey.generatePrivate(), rightKey = WireGuardKey.generatePrivate()
            let psk = WireGuardKey.generatePreshared()
            try left.backend.apply(WireGuardDevice(name: left.name, privateKey: leftKey, listenPort: 51820, peers: [
                WireGuardPeer(publicKey: try rightKey.publicKey(), presharedKey: psk, endpoint: Endpoint("10.201.0.2:51821"),
                              allowedIPs: [IPNetwork("100.101.0.2/32")!]),
            ], flags: .replacePeers))
            try right.backend.apply(WireGuardDevice(name: right.name, privateKey: rightKey, listenPort: 51821, peers: [
                WireGuardPeer(publicKey: try leftKey.publicKey(), presharedKey: psk, allowedIPs: [IPNetwork("100.101.0.1/32")!]),
            ], flags: .replacePeers))

            // The first echo request waits for the handshake; allow a few tries on a busy machine.
            // busybox's ping: iputils-ping is not among the machine's packages.
            var pinged = false
            for _ in 0..<3 where !pinged {
                pinged = (try Command.run(["ip", "netns", "exec", try #require(left.namespace), "busybox", "ping", "-c1", "-W2", "100.101.0.2"])).status == 0
            }
            #expect(pinged)

            let leftPeer = try #require(try left.backend.device(named: left.name).peers.first)
            let rightPeer = try #require(try right.backend.device(named: right.name).peers.first)
            #expect(leftPeer.lastHandshake != nil)
            #expect(rightPeer.lastHandshake != nil)
            #expect(leftPeer.txBytes > 0 && leftPeer.rxBytes > 0)
            #expect(rightPeer.txBytes > 0 && rightPeer.rxBytes > 0)
            // The right device learned the left one's endpoint from its packets.
            #expect(rightPeer.endpoint == Endpoint("10.201.0.1:51820"))

            let oracle = try WireGuardDump.parse(try Command.check(["wg", "show", left.name, "dump"]), name: left.name)
            #expect(oracle.peers.first?.lastHandshake?.seconds == leftPeer.lastHandshake?.seconds)
        }
    }
}
