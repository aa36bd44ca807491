import Foundation
import Testing
import ValonTestSupport
import ValonKit

/// The userspace backend against a real `wireguard-go` (root, a network namespace per
/// test), with `wg show NAME dump` as the oracle.
@Suite(.tags(.process, .root), .timeLimit(.minutes(10))) struct WireGuardUAPIBackendRootTests {
    /// `count` peers with real keys: every third with a preshared key, every fourth with
    /// an IPv4 endpoint, every fifth with an IPv6 endpoint and a keepalive, each with a
    /// /32 and some with an IPv6 /128 as well.
    static func peers(_ count: Int) throws -> [WireGuardPeer] {
        try (0..<count).map { index in
            var peer = WireGuardPeer(publicKey: try WireGuardKey.generatePrivate().publicKey())
            peer.allowedIPs = [IPNetwork("100.64.\(index / 250).\(index % 250 + 1)/32")!]
            if index % 3 == 0 { peer.presharedKey = .generatePreshared() }
            if index % 4 == 0 { peer.endpoint = Endpoint("192.0.2.\(index % 200 + 1):\(10_000 + index)") }
            if index % 5 == 0 {
                peer.endpoint = Endpoint("[2001:db8::\(String(index, radix: 16))]:51820")
                peer.persistentKeepalive = 25
                peer.allowedIPs.append(IPNetwork("fd00::\(String(index, radix: 16))/128")!)
            }
            return peer
        }
    }

    static func dump(_ device: WireGuardGoDevice) throws -> WireGuardDevice {
        try WireGuardDump.parse(try Command.check(["wg", "show", device.name, "dump"]), name: device.name)
    }

    @Test func thousandPeersInOneSetReadBackByGetAndByWg() async throws {
        try await offPool {
            let wg = try WireGuardGoDevice()
            defer { wg.stop() }
            let privateKey = WireGuardKey.generatePrivate()
            let update = WireGuardDevice(name: wg.name, privateKey: privateKey, listenPort: 0, fwmark: 0x51,
                                         peers: try Self.peers(1_000), flags: .replacePeers)
            try wg.backend.apply(update, to: wg.name)

            let mine = try wg.backend.device(named: wg.name)
            let oracle = try Self.dump(wg)
            #expect(mine.peers.count == 1_000)
            #expect(mine.privateKey == privateKey)
            #expect(mine.publicKey == (try privateKey.publicKey()))
            #expect(mine.fwmark == 0x51)
            #expect(mine.listenPort != nil)
            #expect(mine.peers.count == oracle.peers.count)
            var applied = update
            applied.listenPort = mine.listenPort
            #expect(mine.configurationDifference(from: applied) == nil)
            #expect(mine.configurationDifference(from: oracle) == nil)
            #expect(mine.peers.allSatisfy { $0.protocolVersion == 1 && $0.lastHandshake == nil })
        }
    }

    @Test func partialUpdates() async throws {
        try await offPool {
            let wg = try WireGuardGoDevice()
            defer { wg.stop() }
            let initial = try Self.peers(3)
            try wg.backend.apply(WireGuardDevice(name: wg.name, peers: initial))

            // Remove one.
            try wg.backend.apply(WireGuardDevice(name: wg.name, peers: [.removal(of: initial[1].publicKey)]))
            var oracle = try Self.dump(wg)
            #expect(Set(oracle.peers.map(\.publicKey)) == [initial[0].publicKey, initial[2].publicKey])

            // Replace allowed IPs of one; add to another's.
            var replace = WireGuardPeer(publicKey: initial[0].publicKey, allowedIPs: [IPNetwork("10.9.0.0/16")!], flags: .replaceAllowedIPs)
            replace.persistentKeepalive = 7
            let add = WireGuardPeer(publicKey: initial[2].publicKey, allowedIPs: [IPNetwork("10.8.0.0/24")!])
            try wg.backend.apply(WireGuardDevice(name: wg.name, peers: [replace, add]))
            oracle = try Self.dump(wg)
            #expect(oracle.peer(initial[0].publicKey)?.allowedIPs == [IPNetwork("10.9.0.0/16")!])
            #expect(oracle.peer(initial[0].publicKey)?.persistentKeepalive == 7)
            #expect(Set(oracle.peer(initial[2].publicKey)?.allowedIPs ?? []) == Set(initial[2].allowedIPs + [IPNetwork("10.8.0.0/24")!]))

            // Update-only: a missing peer is not created, an existing one is changed.
            let missing = try WireGuardKey.generatePrivate().publicKey()
            try wg.backend.apply(WireGuardDevice(name: wg.name, peers: [
                WireGuardPeer(publicKey: missing, allowedIPs: [IPNetwork("10.7.0.1/32")!], flags: .updateOnly),
                WireGuardPeer(publicKey: initial[2].publicKey, endpoint: Endpoint("198.51.100.7:7"), flags: .updateOnly),
            ]))
            oracle = try Self.dump(wg)
            #expect(oracle.peer(missing) == nil)
            #expect(oracle.peers.count == 2)
            #expect(oracle.peer(initial[2].publicKey)?.endpoint == Endpoint("198.51.100.7:7"))

            // Our get agrees with wg.
            #expect(try wg.backend.device(named: wg.name).configurationDifference(from: oracle) == nil)
        }
    }

    @Test func syncAppliesTheSmallestUpdateAndKeepsProtectedPeers() async throws {
        try await offPool {
            let wg = try WireGuardGoDevice()
            defer { wg.stop() }
            let peers = try Self.peers(6)
            try wg.backend.apply(WireGuardDevice(name: wg.name, peers: Array(peers[0..<4])))
            let discovery = peers[0].publicKey

            // Desired: drop 0 (protected) and 1, change 2's allowed IPs, keep 3, add 4 and 5.
            var changed = peers[2]
            changed.allowedIPs = [IPNetwork("100.64.9.9/32")!]
            let desired = WireGuardDevice(name: wg.name, peers: [changed, peers[3], peers[4], peers[5]])
            let update = try wg.backend.sync(wg.name, to: desired) { $0.publicKey != discovery }
            #expect(update.peers.map(\.publicKey) == [peers[1].publicKey, peers[2].publicKey, peers[4].publicKey, peers[5].publicKey])

            var expected = WireGuardDevice(name: wg.name, peers: [peers[0]] + desired.peers)
            let oracle = try Self.dump(wg)
            expected.listenPort = oracle.listenPort
            #expect(oracle.configurationDifference(from: expected) == nil)

            // Nothing left to do: the second sync sends nothing.
            #expect(try wg.backend.sync(wg.name, to: desired) { $0.publicKey != discovery }.isEmptyUpdate)
        }
    }

    @Test func listAndChooseTheUserspaceBackend() async throws {
        try await offPool {
            let wg = try WireGuardGoDevice()
            defer { wg.stop() }
            #expect(try wg.backend.listDevices().contains(wg.name))
            #expect(try WireGuardControl.listDevices().contains(wg.name))
            #expect(WireGuardControl.backend(for: wg.name) is WireGuardUAPIBackend)
            let key = WireGuardKey.generatePrivate()
            try WireGuardControl.apply(WireGuardDevice(name: wg.name, privateKey: key), to: wg.name)
            #expect(try WireGuardControl.device(named: wg.name).privateKey == key)
            #expect(try Command.check(["wg", "show", wg.name, "public-key"]).trimmingCharacters(in: .whitespacesAndNewlines)
                    == (try key.publicKey()).base64)
        }
    }

    @Test(arguments: ["get", "set"])
    func missingDeviceIsNoSuchDevice(operation: String) {
        let name = "vkmissing\(Int.random(in: 100_000...999_999))"
        for backend in [WireGuardUAPIBackend() as any WireGuardBackend, WireGuardControl.backend(for: name)] {
            #expect {
                if operation == "get" { _ = try backend.device(named: name) } else { try backend.apply(WireGuardDevice(name: name)) }
            } throws: { error in
                let error = error as! WireGuardError
                return error.code == .noSuchDevice && error.message.hasPrefix("\(operation) \(name): ")
            }
        }
    }

    @Test func refusedUpdateIsReportedWithTheDaemonsErrno() async throws {
        try await offPool {
            let wg = try WireGuardGoDevice()
            defer { wg.stop() }
            // A second device in the same namespace holds the port first.
            let holder = try WireGuardGoDevice(namespace: wg.namespace)
            defer { holder.stop() }
            try holder.backend.apply(WireGuardDevice(name: holder.name, listenPort: 40_001))
            #expect {
                try wg.backend.apply(WireGuardDevice(name: wg.name, listenPort: 40_001))
            } throws: { error in
                let error = error as! WireGuardError
                return error.code == .userspace(errno: 98) && error.message.hasPrefix("set \(wg.name): ")
            }
        }
    }
}
