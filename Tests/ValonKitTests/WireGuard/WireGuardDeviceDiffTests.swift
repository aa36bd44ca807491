import Testing
import ValonTestSupport
import ValonKit

/// The sync diff (`wg syncconf`'s computation): each case is a device as read back, the
/// desired state, and the exact update expected.
@Suite struct WireGuardDeviceDiffTests {
    static func nets(_ texts: String...) -> [IPNetwork] { texts.map { IPNetwork($0)! } }
    static func peer(_ byte: UInt8, _ allowed: [IPNetwork] = [], endpoint: String? = nil,
                     psk: WireGuardKey? = nil, keepalive: UInt16? = nil, flags: WireGuardPeer.Flags = []) -> WireGuardPeer {
        WireGuardPeer(publicKey: WireGuardKey.repeating(byte), presharedKey: psk, endpoint: endpoint.flatMap { Endpoint($0) },
                      persistentKeepalive: keepalive, allowedIPs: allowed, flags: flags)
    }
    static func device(_ peers: [WireGuardPeer], privateKey: WireGuardKey? = nil, port: UInt16? = nil, fwmark: UInt32? = nil) -> WireGuardDevice {
        WireGuardDevice(name: "wg0", privateKey: privateKey, listenPort: port, fwmark: fwmark, peers: peers)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var current: WireGuardDevice
        var desired: WireGuardDevice
        var expected: [WireGuardPeer]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "identical devices need nothing",
             current: device([peer(1, nets("10.0.0.1/32"), endpoint: "192.0.2.1:1", keepalive: 25)]),
             desired: device([peer(1, nets("10.0.0.1/32"), endpoint: "192.0.2.1:1", keepalive: 25)]),
             expected: []),
        Case(label: "a new peer is added with its whole configuration",
             current: device([]),
             desired: device([peer(2, nets("10.0.0.2/32", "fd00::2/128"), endpoint: "192.0.2.2:2", psk: WireGuardKey.repeating(9), keepalive: 25)]),
             expected: [peer(2, nets("10.0.0.2/32", "fd00::2/128"), endpoint: "192.0.2.2:2", psk: WireGuardKey.repeating(9), keepalive: 25)]),
        Case(label: "a peer the registry dropped is removed",
             current: device([peer(1, nets("10.0.0.1/32")), peer(2, nets("10.0.0.2/32"))]),
             desired: device([peer(1, nets("10.0.0.1/32"))]),
             expected: [.removal(of: WireGuardKey.repeating(2))]),
        Case(label: "an endpoint change sends only the endpoint, update-only",
             current: device([peer(1, nets("10.0.0.1/32"), endpoint: "192.0.2.1:1")]),
             desired: device([peer(1, nets("10.0.0.1/32"), endpoint: "198.51.100.1:1")]),
             expected: [peer(1, endpoint: "198.51.100.1:1", flags: .updateOnly)]),
        Case(label: "no endpoint desired leaves the learned one",
             current: device([peer(1, nets("10.0.0.1/32"), endpoint: "192.0.2.1:1")]),
             desired: device([peer(1, nets("10.0.0.1/32"))]),
             expected: []),
        Case(label: "allowed IPs are replaced as a whole",
             current: device([peer(1, nets("10.0.0.1/32", "10.1.0.0/16"))]),
             desired: device([peer(1, nets("10.0.0.1/32"))]),
             expected: [peer(1, nets("10.0.0.1/32"), flags: [.updateOnly, .replaceAllowedIPs])]),
        Case(label: "allowed IPs compare as canonical sets: order and host bits do not count",
             current: device([peer(1, nets("10.1.0.0/16", "10.0.0.1/32"))]),
             desired: device([peer(1, nets("10.0.0.1/32", "10.1.2.3/16", "10.0.0.1/32"))]),
             expected: []),
        Case(label: "dropping the preshared key sends the zero key",
             current: device([peer(1, psk: WireGuardKey.repeating(9))]),
             desired: device([peer(1)]),
             expected: [peer(1, psk: .zero, flags: .updateOnly)]),
        Case(label: "a zero preshared key desired equals none",
             current: device([peer(1)]),
             desired: device([peer(1, psk: .zero)]),
             expected: []),
        Case(label: "dropping the keepalive sends 0; keepalive 0 desired equals none",
             current: device([peer(1, keepalive: 25), peer(2)]),
             desired: device([peer(1), peer(2, keepalive: 0)]),
             expected: [peer(1, keepalive: 0, flags: .updateOnly)]),
        Case(label: "removals first in device order, then changes and additions in desired order",
             current: device([peer(5), peer(1, nets("10.0.0.1/32")), peer(4)]),
             desired: device([peer(3), peer(1, nets("10.0.0.9/32")), peer(2)]),
             expected: [.removal(of: WireGuardKey.repeating(5)), .removal(of: WireGuardKey.repeating(4)), peer(3),
                        peer(1, nets("10.0.0.9/32"), flags: [.updateOnly, .replaceAllowedIPs]), peer(2)]),
        Case(label: "a key listed twice: the last entry counts, at the first place",
             current: device([]),
             desired: device([peer(1, nets("10.0.0.1/32")), peer(2), peer(1, nets("10.0.0.7/32"))]),
             expected: [peer(1, nets("10.0.0.7/32")), peer(2)]),
        Case(label: "flags and statistics of the desired device are ignored",
             current: device([peer(1)]),
             desired: WireGuardDevice(name: "wg0", peers: [
                 WireGuardPeer(publicKey: WireGuardKey.repeating(1), flags: .remove, rxBytes: 5),
                 WireGuardPeer(publicKey: WireGuardKey.repeating(2), flags: [.updateOnly, .replaceAllowedIPs], lastHandshake: .init(seconds: 3)),
             ], flags: .replacePeers),
             expected: [peer(2)]),
    ]

    @Test(arguments: cases)
    func diff(_ test: Case) {
        let update = test.current.update(toReach: test.desired)
        #expect(update.peers == test.expected)
        #expect(update.flags.isEmpty)
        #expect(update.name == "wg0")
        #expect(update.isEmptyUpdate == test.expected.isEmpty)
    }

    @Test func removalsAreRestrictedByThePredicate() {
        let discovery = Self.peer(1, Self.nets("100.100.0.1/32"))
        let foreign = Self.peer(2, Self.nets("192.168.77.0/24"))
        let stale = Self.peer(3, Self.nets("100.100.0.3/32"))
        let valon = IPNetwork("100.100.0.0/24")!
        let current = Self.device([discovery, foreign, stale])
        let update = current.update(toReach: Self.device([])) { peer in
            peer.publicKey != discovery.publicKey && peer.allowedIPs.allSatisfy { valon.contains($0.address) }
        }
        #expect(update.peers == [WireGuardPeer.removal(of: WireGuardKey.repeating(3))])
    }

    @Test(arguments: [
        // (current private key, port, fwmark) → (desired …) → (expected update fields)
        (nil, nil, nil, nil, nil, nil, nil, nil, nil),
        (nil, 51820, 7, nil, nil, nil, nil, nil, nil),
        (nil, 51820, 7, 4, 51820, 7, 4, nil, nil),
        (4, 51820, 7, 4, 51821, 0, nil, 51821, 0),
        (nil, 51820, nil, 0, 0, 0, nil, nil, nil),
        (4, 1, nil, 0, nil, 9, 0, nil, 9),
    ] as [(UInt8?, UInt16?, UInt32?, UInt8?, UInt16?, UInt32?, UInt8?, UInt16?, UInt32?)])
    func deviceFields(currentKey: UInt8?, currentPort: UInt16?, currentMark: UInt32?,
                      desiredKey: UInt8?, desiredPort: UInt16?, desiredMark: UInt32?,
                      expectedKey: UInt8?, expectedPort: UInt16?, expectedMark: UInt32?) {
        let current = Self.device([], privateKey: currentKey.map(WireGuardKey.repeating), port: currentPort, fwmark: currentMark)
        let desired = Self.device([], privateKey: desiredKey.map(WireGuardKey.repeating), port: desiredPort, fwmark: desiredMark)
        let update = current.update(toReach: desired)
        #expect(update.privateKey == expectedKey.map(WireGuardKey.repeating))
        #expect(update.listenPort == expectedPort)
        #expect(update.fwmark == expectedMark)
    }

    /// Applying the update to the current state gives the desired state: checked with a
    /// model of what a device does with an update, over many random pairs.
    @Test func applyingTheDiffReachesTheDesiredState() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let current = Self.randomDevice(using: &generator)
            let desired = Self.randomDevice(using: &generator)
            let result = Self.model(applying: current.update(toReach: desired), to: current)
            #expect(Self.comparable(result) == Self.comparable(desired), "\(current) → \(desired)")
            #expect(result.update(toReach: desired).isEmptyUpdate)
        }
    }

    static func randomDevice(using generator: inout SystemRandomNumberGenerator) -> WireGuardDevice {
        let keys = (1...8).filter { _ in Bool.random(using: &generator) }
        return device(keys.map { byte in
            peer(UInt8(byte),
                 (0..<Int.random(in: 0...3, using: &generator)).map { _ in IPNetwork("10.0.\(Int.random(in: 0...4, using: &generator)).0/24")! },
                 endpoint: Bool.random(using: &generator) ? "192.0.2.\(Int.random(in: 1...3, using: &generator)):1" : nil,
                 psk: Bool.random(using: &generator) ? WireGuardKey.repeating(UInt8.random(in: 20...21, using: &generator)) : nil,
                 keepalive: Bool.random(using: &generator) ? UInt16.random(in: 1...2, using: &generator) : nil)
        })
    }

    static func model(applying update: WireGuardDevice, to device: WireGuardDevice) -> WireGuardDevice {
        WireGuardDeviceModel.applying(update, to: device)
    }

    struct PeerState: Hashable {
        var allowedIPs: Set<IPNetwork>
        var presharedKey: WireGuardKey?
        var persistentKeepalive: UInt16?
    }

    /// Peers by key with allowed IPs as a set; endpoints are left out (a device keeps one
    /// that the desired state does not name).
    static func comparable(_ device: WireGuardDevice) -> [WireGuardKey: PeerState] {
        Dictionary(uniqueKeysWithValues: device.peers.map { peer in
            (peer.publicKey, PeerState(allowedIPs: Set(peer.allowedIPs.map(\.canonical)),
                                       presharedKey: peer.presharedKey, persistentKeepalive: peer.persistentKeepalive))
        })
    }
}
