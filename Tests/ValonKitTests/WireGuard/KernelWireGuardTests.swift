import Foundation
import Testing
@testable import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// The netlink backend against the kernel's WireGuard module. This machine's kernel has
/// none, so the suite runs in the VM of scripts/vm/run-netlink-tests.sh, whose /init sets
/// VALON_VM_KERNEL_WIREGUARD=1; the script fails when the VM reports zero tests.
/// Each test works in its own namespace; `wg show … dump` (wireguard-tools, in the VM) is
/// the independent oracle.
@Suite("KernelWireGuard: netlink backend against the kernel module",
       .enabled(if: RouteNetlinkClientRootTests.kernelHasWireGuard, "needs the WireGuard module: run scripts/vm/run-netlink-tests.sh"),
       .tags(.process, .root), .timeLimit(.minutes(10)))
struct KernelWireGuardRootTests {
    /// A namespace with one WireGuard link made by our rtnetlink code.
    struct Fixture {
        let namespace: NetworkNamespace
        let client: RouteNetlinkClient
        let backend: WireGuardNetlinkBackend
        let name: String

        init(messageLimit: Int = WireGuardNetlink.defaultMessageLimit) throws {
            namespace = try NetworkNamespace(prefix: "vkwg")
            client = try namespace.routeClient()
            backend = namespace.wireGuardBackend(messageLimit: messageLimit)
            name = "wg\(randomSuffix(6))"
            try client.createWireGuardLink(name: name)
        }

        /// `wg show NAME dump` in the namespace, peers keyed by public key (base64):
        /// [preshared key, endpoint, allowed IPs, handshake, rx, tx, keepalive].
        func dump() throws -> (device: [String], peers: [String: [String]]) {
            let lines = try namespace.ipOutput(["netns", "exec", namespace.name, "wg", "show", name, "dump"])
                .split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            var peers = [String: [String]]()
            for fields in lines.dropFirst() { peers[fields[0]] = Array(fields.dropFirst()) }
            return (lines.first ?? [], peers)
        }
    }

    static func peer(_ index: Int, allowedIPs: Int = 2) -> WireGuardPeer {
        let ips = (0..<allowedIPs).map { ip in
            ip % 2 == 0
                ? IPNetwork(address: .v4(IPv4Address(value: 0x0a00_0000 | UInt32(index) << 8 | UInt32(ip / 2))), prefixLength: 32)!
                : IPNetwork("fd00:\(String(index, radix: 16))::\(String(ip, radix: 16))/128")!
        }
        return WireGuardPeer(
            publicKey: try! WireGuardKey.generatePrivate().publicKey(),
            presharedKey: index % 2 == 0 ? WireGuardKey.generatePreshared() : nil,
            endpoint: index % 3 == 0 ? Endpoint("[2001:db8::\(String(index, radix: 16))]:\(10000 + index)")
                : Endpoint("198.51.100.\(index % 250 + 1):\(20000 + index)"),
            persistentKeepalive: index % 5 == 0 ? 25 : nil,
            allowedIPs: ips)
    }

    @Test("1,200 peers and a peer with 3,000 allowed IPs: set in split messages, read back from a multi-part dump")
    func manyPeers() throws {
        let fixture = try Fixture()
        defer { fixture.namespace.delete() }
        var peers = (0..<1200).map { Self.peer($0) }
        let bigPeer = Self.peer(5000, allowedIPs: 3000)
        peers.append(bigPeer)
        let privateKey = WireGuardKey.generatePrivate()
        let update = WireGuardDevice(name: fixture.name, privateKey: privateKey, listenPort: 51820, fwmark: 0x1234,
                                     peers: peers, flags: [.replacePeers])
        #expect(WireGuardNetlink.setDeviceRequests(update, name: fixture.name, family: 0x15).count > 10)
        try fixture.backend.apply(update)

        // The kernel's own dump really is multi-part, and the big peer spans messages.
        let socket = try fixture.namespace.openSocket(bus: Netlink.Bus.generic)
        let family = try WireGuardNetlinkBackend.resolveFamily(socket)
        let parts = try socket.request(WireGuardNetlink.getDeviceRequest(family: family, name: fixture.name),
                                       operation: "WG_CMD_GET_DEVICE", target: fixture.name)
        #expect(parts.count > 2)
        var bigPeerParts = 0
        for reply in parts {
            let peers = try reply.attributes(after: GenericNetlink.headerSize).first(WireGuardNetlink.DeviceAttribute.peers)
            for entry in try peers?.nested() ?? [] {
                if try entry.nested().first(WireGuardNetlink.PeerAttribute.publicKey)?.payload.elementsEqual(bigPeer.publicKey.bytes) == true {
                    bigPeerParts += 1
                }
            }
        }
        #expect(bigPeerParts > 1)

        let device = try fixture.backend.device(named: fixture.name)
        #expect(device.privateKey == privateKey)
        #expect(device.publicKey == (try privateKey.publicKey()))
        #expect(device.listenPort == 51820)
        #expect(device.fwmark == 0x1234)
        #expect(device.peers.count == peers.count)
        let read = Dictionary(uniqueKeysWithValues: device.peers.map { ($0.publicKey, $0) })
        for sent in peers {
            let got = try #require(read[sent.publicKey])
            #expect(Set(got.allowedIPs) == Set(sent.allowedIPs))
            #expect(got.allowedIPs.count == sent.allowedIPs.count)
            #expect(got.presharedKey == sent.presharedKey)
            #expect(got.endpoint == sent.endpoint)
            #expect(got.persistentKeepalive == sent.persistentKeepalive)
            #expect(got.protocolVersion == 1)
        }

        let oracle = try fixture.dump()
        #expect(oracle.device.first == privateKey.base64)
        #expect(oracle.device.dropFirst(2).first == "51820")
        #expect(oracle.peers.count == peers.count)
        for sent in peers {
            let fields = try #require(oracle.peers[sent.publicKey.base64])
            #expect(fields[0] == (sent.presharedKey?.base64 ?? "(none)"))
            #expect(fields[1] == sent.endpoint?.description)
            #expect(Set(fields[2].split(separator: ",").map(String.init)) == Set(sent.allowedIPs.map(\.description)))
            #expect(fields[6] == (sent.persistentKeepalive.map(String.init) ?? "off"))
        }
    }

    @Test("partial updates: remove, replace and append allowed IPs, update-only, keys, replace peers")
    func partialUpdates() throws {
        let fixture = try Fixture()
        defer { fixture.namespace.delete() }
        let (a, b, c) = (Self.peer(1), Self.peer(2), Self.peer(3))
        try fixture.backend.apply(WireGuardDevice(name: fixture.name, listenPort: 40000, peers: [a, b, c]))

        try fixture.backend.apply(WireGuardDevice(name: fixture.name, peers: [.removal(of: b.publicKey)]))
        var device = try fixture.backend.device(named: fixture.name)
        #expect(Set(device.peers.map(\.publicKey)) == [a.publicKey, c.publicKey])
        #expect(device.listenPort == 40000)

        let replaced = [IPNetwork("10.250.0.0/16")!, IPNetwork("fd00:250::/64")!]
        try fixture.backend.apply(WireGuardDevice(name: fixture.name, peers: [
            WireGuardPeer(publicKey: a.publicKey, allowedIPs: replaced, flags: [.replaceAllowedIPs]),
            WireGuardPeer(publicKey: c.publicKey, allowedIPs: [IPNetwork("10.251.0.0/24")!]),
        ]))
        device = try fixture.backend.device(named: fixture.name)
        #expect(Set(device.peer(a.publicKey)?.allowedIPs ?? []) == Set(replaced))
        #expect(Set(device.peer(c.publicKey)?.allowedIPs ?? []) == Set(c.allowedIPs + [IPNetwork("10.251.0.0/24")!]))

        let missing = Self.peer(4)
        try fixture.backend.apply(WireGuardDevice(name: fixture.name, peers: [
            WireGuardPeer(publicKey: missing.publicKey, persistentKeepalive: 9, allowedIPs: missing.allowedIPs, flags: [.updateOnly]),
            WireGuardPeer(publicKey: c.publicKey, presharedKey: .zero, persistentKeepalive: 7, flags: [.updateOnly]),
        ]))
        device = try fixture.backend.device(named: fixture.name)
        #expect(device.peer(missing.publicKey) == nil)
        #expect(device.peer(c.publicKey)?.persistentKeepalive == 7)
        #expect(device.peer(c.publicKey)?.presharedKey == nil)
        #expect(device.peers.count == 2)

        let key = WireGuardKey.generatePrivate()
        try fixture.backend.apply(WireGuardDevice(name: fixture.name, privateKey: key, listenPort: 40001, fwmark: 7))
        device = try fixture.backend.device(named: fixture.name)
        #expect(device.privateKey == key && device.listenPort == 40001 && device.fwmark == 7 && device.peers.count == 2)
        try fixture.backend.apply(WireGuardDevice(name: fixture.name, privateKey: .zero, fwmark: 0))
        device = try fixture.backend.device(named: fixture.name)
        #expect(device.privateKey == nil && device.fwmark == nil)

        try fixture.backend.apply(WireGuardDevice(name: fixture.name, peers: [b], flags: [.replacePeers]))
        device = try fixture.backend.device(named: fixture.name)
        #expect(device.peers.map(\.publicKey) == [b.publicKey])
        let oracle = try fixture.dump()
        #expect(Array(oracle.peers.keys) == [b.publicKey.base64])
        #expect(try fixture.backend.listDevices() == [fixture.name])
    }

    @Test("sync reaches a desired device through netlink, then has nothing left to do")
    func sync() throws {
        let fixture = try Fixture()
        defer { fixture.namespace.delete() }
        let (a, b, c, d) = (Self.peer(1), Self.peer(2), Self.peer(3), Self.peer(4))
        try fixture.backend.apply(WireGuardDevice(name: fixture.name, privateKey: WireGuardKey.generatePrivate(),
                                                  listenPort: 41000, peers: [a, b, c]))
        var changed = b
        changed.allowedIPs = [IPNetwork("10.77.0.0/16")!]
        changed.presharedKey = nil
        let desired = WireGuardDevice(name: fixture.name, privateKey: WireGuardKey.generatePrivate(), listenPort: 41001,
                                      peers: [a, changed, d])
        let update = try fixture.backend.sync(fixture.name, to: desired)
        #expect(!update.isEmptyUpdate)
        let device = try fixture.backend.device(named: fixture.name)
        #expect(device.privateKey == desired.privateKey && device.listenPort == 41001)
        #expect(Set(device.peers.map(\.publicKey)) == [a.publicKey, b.publicKey, d.publicKey])
        for peer in desired.peers {
            let got = try #require(device.peer(peer.publicKey))
            #expect(Set(got.allowedIPs) == Set(peer.allowedIPs))
            #expect(got.presharedKey == peer.presharedKey && got.endpoint == peer.endpoint)
        }
        #expect(try fixture.backend.sync(fixture.name, to: desired).isEmptyUpdate)
    }

    @Test("kernel refusals come back typed, with the errno")
    func errors() throws {
        let fixture = try Fixture()
        defer { fixture.namespace.delete() }
        let absent = #expect(throws: WireGuardError.self) { try fixture.backend.device(named: "nowg0") }
        #expect(absent?.code == .noSuchDevice)
        let absentSet = #expect(throws: WireGuardError.self) {
            try fixture.backend.apply(WireGuardDevice(name: "nowg0", listenPort: 1))
        }
        #expect(absentSet?.code == .noSuchDevice)

        let veth = "ve\(randomSuffix(6))"
        try fixture.namespace.ip(["link", "add", veth, "type", "veth", "peer", "name", "vf" + veth.dropFirst(2)])
        let notWireGuard = #expect(throws: WireGuardError.self) { try fixture.backend.device(named: veth) }
        #expect(notWireGuard?.code == .kernel(errno: EOPNOTSUPP))

        var future = Self.peer(1)
        future.protocolVersion = 2
        let version = #expect(throws: WireGuardError.self) {
            try fixture.backend.apply(WireGuardDevice(name: fixture.name, peers: [future]))
        }
        #expect(version?.code == .kernel(errno: EPFNOSUPPORT))  // wireguard's netlink.c refuses other versions so
        #expect(version?.message.contains("WG_CMD_SET_DEVICE") == true)
    }

    @Test("two devices in two namespaces handshake over a veth pair and pass a ping")
    func handshake() throws {
        let left = try NetworkNamespace(prefix: "vkwl"), right = try NetworkNamespace(prefix: "vkwr")
        defer { left.delete(); right.delete() }
        let suffix = randomSuffix(6)
        try left.ip(["link", "add", "vl\(suffix)", "type", "veth", "peer", "name", "vr\(suffix)", "netns", right.name])
        try left.ip(["address", "add", "10.231.0.1/24", "dev", "vl\(suffix)"])
        try right.ip(["address", "add", "10.231.0.2/24", "dev", "vr\(suffix)"])
        try left.ip(["link", "set", "vl\(suffix)", "up"])
        try right.ip(["link", "set", "vr\(suffix)", "up"])

        let keys = (WireGuardKey.generatePrivate(), WireGuardKey.generatePrivate())
        let sides = [(left, keys.0, keys.1, "10.232.0.1", "10.232.0.2", "10.231.0.2"),
                     (right, keys.1, keys.0, "10.232.0.2", "10.232.0.1", "10.231.0.1")]
        let name = "wg\(suffix)"
        for (namespace, own, other, address, peerAddress, peerUnderlay) in sides {
            let client = try namespace.routeClient()
            try client.createWireGuardLink(name: name)
            try namespace.wireGuardBackend().apply(WireGuardDevice(
                name: name, privateKey: own, listenPort: 51820,
                peers: [WireGuardPeer(publicKey: try other.publicKey(), endpoint: Endpoint("\(peerUnderlay):51820"),
                                      allowedIPs: [IPNetwork("\(peerAddress)/32")!])]))
            try client.addAddress(IPNetwork("\(address)/24")!, interface: name)
            try client.setUp(true, name: name)
        }

        let route = try left.routeClient().lookupRoute(to: IPAddress("10.232.0.2")!)
        #expect(route.source == IPAddress("10.232.0.1"))
        #expect(route.interfaceIndex == (try left.routeClient().interfaceIndex(name: name)))

        var answered = false
        for _ in 0..<10 where !answered {
            answered = try Command.run(["ip", "netns", "exec", left.name, "ping", "-c", "1", "-W", "2", "10.232.0.2"]).status == 0
        }
        #expect(answered, "ping through the tunnel")
        for namespace in [left, right] {
            let peer = try #require(try namespace.wireGuardBackend().device(named: name).peers.first)
            #expect(peer.lastHandshake != nil)
            #expect(peer.rxBytes > 0 && peer.txBytes > 0)
        }
    }
}

/// Paths that run everywhere: on this host (no module) and in the VM.
@Suite("WireGuard netlink backend without a device", .tags(.process, .root), .timeLimit(.minutes(10)))
struct WireGuardNetlinkBackendErrorRootTests {
    @Test("reading a missing device is noSuchDevice, with or without the module")
    func missingDevice() throws {
        let namespace = try NetworkNamespace()
        defer { namespace.delete() }
        let error = #expect(throws: WireGuardError.self) {
            try namespace.wireGuardBackend().device(named: "wg\(randomSuffix(6))")
        }
        #expect(error?.code == .noSuchDevice)
        if !RouteNetlinkClientRootTests.kernelHasWireGuard {
            #expect(error?.message.contains("no \"wireguard\" generic netlink family") == true)
        }
        #expect(try namespace.wireGuardBackend().listDevices() == [])
    }

    @Test("an interface without a userspace socket is controlled through netlink")
    func backendChoice() {
        #expect(WireGuardControl.backend(for: "wg\(randomSuffix(6))") is WireGuardNetlinkBackend)
    }
}
