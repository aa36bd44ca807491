import Foundation
import NIOPosix
import Testing
import ValonDiscovery
import ValonKit
import ValonTestSupport

/// A relay port between two real wireguard-go peers (docs/ARCHITECTURE.md §10): each peer's
/// endpoint for the other is the relay, the session stays end to end, and `tcpdump` on the
/// relay host, an independent oracle, sees only WireGuard messages leave the port and never
/// the plaintext. A third peer that knows the others' public keys, and junk from an outside
/// host, get nothing forwarded and take no side over; every drop is counted.
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10)))
struct RelayPortRootTests {
    /// A pattern the pings carry: it must never appear on the wire.
    static let pattern = "c0ffee15c0ffee15c0ffee15c0ffee15"

    @Test func twoPeersTalkThroughTheRelayAndOnlyCiphertextCrossesIt() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 3, register: false)
        defer { bed.shutdown() }
        let (alice, bob, mallory) = (bed.clients[0], bed.clients[1], bed.clients[2])
        let pair = RelayPair(first: alice.publicKey, addresses: [alice.underlay],
                             second: bob.publicKey, addresses: [bob.underlay])
        let relay = try await RelayPort.open(pair: pair, address: IPAddress("0.0.0.0")!, port: 0,
                                             group: MultiThreadedEventLoopGroup.singleton)
        let port = relay.port
        #expect(port != 0)

        let capture = bed.directory + "/relay.pcap"
        let tcpdump = try SpawnedProcess("/usr/bin/tcpdump", ["-i", "any", "-n", "-U", "-Z", "root", "-w", capture, "udp port \(port)"])
        var stopped = false
        defer {
            if !stopped { tcpdump.terminate() }
            Task { await relay.close() }
        }
        try await eventually("tcpdump to open its capture") {
            ((try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0) >= 24
        }

        // Each points its endpoint for the other at the relay, as a relayed client does.
        for (me, other) in [(alice, bob), (bob, alice)] {
            try await bed.run(["wg", "set", me.device.name, "peer", other.publicKey.base64,
                               "endpoint", "\(bed.underlayGateway(of: me)):\(port)",
                               "allowed-ips", "\(other.wgIP)/32", "persistent-keepalive", "25"], in: me)
        }
        try await eventually("alice to ping bob through the relay", limit: .seconds(40)) {
            (try? await bed.run(["ping", "-c", "1", "-W", "1", "-p", Self.pattern, "\(bob.wgIP)"], in: alice)) != nil
        }
        _ = try await bed.run(["ping", "-c", "5", "-i", "0.2", "-p", Self.pattern, "\(alice.wgIP)"], in: bob)
        // Packets that fill the tunnel's MTU (1420: 1392 bytes of ICMP data + 28 of headers)
        // are padded only up to the MTU, so their length is no multiple of 16: still relayed.
        _ = try await bed.run(["ping", "-c", "3", "-s", "1392", "-M", "do", "-p", Self.pattern, "\(alice.wgIP)"], in: bob)

        let bound = try await relay.pair()
        #expect(bound.first.bound == Endpoint(address: alice.underlay, port: alice.port))
        #expect(bound.second.bound == Endpoint(address: bob.underlay, port: bob.port))
        // Both devices see the relay as the other's endpoint: the session is theirs.
        let aliceView = try await bed.run(["wg", "show", alice.device.name, "endpoints"], in: alice)
        #expect(aliceView.contains("\(bob.publicKey.base64)\t\(bed.underlayGateway(of: alice)):\(port)"))

        // Mallory knows both public keys and points at the relay too: her handshakes carry a
        // valid mac1 for Bob, but her address is neither side's.
        try await bed.run(["wg", "set", mallory.device.name, "peer", bob.publicKey.base64,
                           "endpoint", "\(bed.underlayGateway(of: mallory)):\(port)", "allowed-ips", "\(bob.wgIP)/32"], in: mallory)
        _ = try? await bed.run(["ping", "-c", "2", "-W", "1", "\(bob.wgIP)"], in: mallory)
        // And a flood of junk and of handshake-shaped datagrams from her host.
        let flood = """
            import os, socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(2000):
                s.sendto(os.urandom(100), ("\(bed.underlayGateway(of: mallory))", \(port)))
                s.sendto(b"\\x01\\x00\\x00\\x00" + os.urandom(144), ("\(bed.underlayGateway(of: mallory))", \(port)))
            """
        try await bed.run(["python3", "-c", flood], in: mallory)
        try await eventually("the flood to be counted") {
            let dropped = relay.counters.snapshot.dropped
            return (dropped[.unknownSource] ?? 0) >= 1000 || (dropped[.notWireGuard] ?? 0) >= 1000
        }
        let afterFlood = try await relay.pair()
        #expect(afterFlood.first.bound == bound.first.bound && afterFlood.second.bound == bound.second.bound,
                "nobody took a side over")
        let bobPeers = try await bed.run(["wg", "show", bob.device.name, "peers"], in: bob)
        #expect(!bobPeers.contains(mallory.publicKey.base64))
        let bobHandshakes = try await bed.run(["wg", "show", bob.device.name, "latest-handshakes"], in: bob)
        #expect(bobHandshakes.contains(alice.publicKey.base64))
        _ = try await bed.run(["ping", "-c", "3", "-W", "2", "\(bob.wgIP)"], in: alice)

        let counters = relay.counters.snapshot
        #expect((counters.forwardedByType[.initiation] ?? 0) >= 1)
        #expect((counters.forwardedByType[.response] ?? 0) >= 1)
        #expect((counters.forwardedByType[.transportData] ?? 0) >= 10)
        #expect(counters.forwardedBytes > 0)
        #expect((counters.dropped[.unknownSource] ?? 0) >= 2000, "every datagram from Mallory's host: \(counters.dropped)")

        // The oracle: what tcpdump saw leave the relay's port (given a moment to write the last).
        try await Task.sleep(for: .seconds(1))
        tcpdump.terminate()
        stopped = true
        let fromRelay = try await offPool { try Command.check(["tcpdump", "-r", capture, "-n", "udp src port \(port)"]) }
        let sent = fromRelay.split(separator: "\n").count
        #expect(sent >= 20, "the relay forwarded: \(sent) datagrams")
        let shapes = "(udp[8] = 1 and udp[4:2] = 156) or (udp[8] = 2 and udp[4:2] = 100) or (udp[8] = 3 and udp[4:2] = 72)"
            + " or (udp[8] = 4 and udp[4:2] >= 40)"
        let notWireGuard = try await offPool {
            try Command.check(["tcpdump", "-r", capture, "-n", "udp src port \(port) and not ((\(shapes)) and udp[9:2] = 0 and udp[11] = 0)"])
        }
        #expect(notWireGuard.isEmpty, "every datagram the relay sent is a WireGuard message of type 1-4:\n\(notWireGuard)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: capture))
        let plaintext = hexBytes(Self.pattern)
        #expect(bytes.range(of: Data(plaintext)) == nil, "the pings' plaintext never crosses the relay")
        #expect(UInt64(sent) >= counters.forwardedPackets, "tcpdump saw every datagram the relay counted")
    }
}
