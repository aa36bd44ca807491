import Testing
@testable import ValonKit

/// The `set=1` encoder and the reply parsers of the userspace protocol
/// (https://www.wireguard.com/xplatform/), byte for byte.
@Suite struct WireGuardUAPICodecTests {
    /// The key's 64 hex digits: the byte's two digits, 32 times.
    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String(repeating: String([digits[Int(byte >> 4)], digits[Int(byte & 15)]]), count: 32)
    }

    @Test func setRequestForAFullUpdate() {
        let update = WireGuardDevice(
            name: "wg0", privateKey: WireGuardKey.repeating(1), listenPort: 51820, fwmark: 7,
            peers: [
                WireGuardPeer(publicKey: WireGuardKey.repeating(2), presharedKey: WireGuardKey.repeating(3),
                              endpoint: Endpoint("192.0.2.1:51820"), persistentKeepalive: 25,
                              allowedIPs: [IPNetwork("100.100.0.2/32")!, IPNetwork("fd00::2/128")!],
                              flags: [.replaceAllowedIPs, .updateOnly]),
                WireGuardPeer(publicKey: WireGuardKey.repeating(4), endpoint: Endpoint("[2001:db8::1]:1")),
                .removal(of: WireGuardKey.repeating(5)),
            ],
            flags: .replacePeers)
        let expected = """
            set=1
            private_key=\(Self.hex(1))
            listen_port=51820
            fwmark=7
            replace_peers=true
            public_key=\(Self.hex(2))
            update_only=true
            preshared_key=\(Self.hex(3))
            endpoint=192.0.2.1:51820
            persistent_keepalive_interval=25
            replace_allowed_ips=true
            allowed_ip=100.100.0.2/32
            allowed_ip=fd00::2/128
            public_key=\(Self.hex(4))
            endpoint=[2001:db8::1]:1
            public_key=\(Self.hex(5))
            remove=true


            """
        #expect(String(decoding: WireGuardUAPI.setRequest(for: update), as: UTF8.self) == expected)
    }

    @Test func emptyUpdateIsJustSet() {
        #expect(String(decoding: WireGuardUAPI.setRequest(for: WireGuardDevice(name: "wg0")), as: UTF8.self) == "set=1\n\n")
    }

    @Test func removalSendsNothingButTheKey() {
        var peer = WireGuardPeer.removal(of: WireGuardKey.repeating(9))
        peer.allowedIPs = [IPNetwork("10.0.0.0/8")!]
        peer.endpoint = Endpoint("192.0.2.9:9")
        let text = String(decoding: WireGuardUAPI.setRequest(for: WireGuardDevice(name: "x", peers: [peer])), as: UTF8.self)
        #expect(text == "set=1\npublic_key=\(Self.hex(9))\nremove=true\n\n")
    }

    @Test func getReplyFromWireGuardGo() throws {
        // As wireguard-go 0.0.20220316 answers: device lines, then per peer public_key
        // first, a zero preshared key, statistics, allowed IPs; errno last.
        let reply = """
            private_key=\(Self.hex(1))
            listen_port=51820
            fwmark=0
            public_key=\(Self.hex(2))
            preshared_key=\(Self.hex(0))
            protocol_version=1
            endpoint=192.0.2.1:51820
            last_handshake_time_sec=1700000000
            last_handshake_time_nsec=5
            tx_bytes=92
            rx_bytes=180
            persistent_keepalive_interval=0
            allowed_ip=100.100.0.2/32
            allowed_ip=fd00::/64
            public_key=\(Self.hex(3))
            preshared_key=\(Self.hex(4))
            protocol_version=1
            last_handshake_time_sec=0
            last_handshake_time_nsec=0
            tx_bytes=0
            rx_bytes=0
            persistent_keepalive_interval=25
            errno=0

            """
        let device = try WireGuardUAPI.parseGetReply(Array(reply.utf8), device: "wg0")
        #expect(device == WireGuardDevice(
            name: "wg0", privateKey: WireGuardKey.repeating(1), listenPort: 51820, fwmark: nil,
            peers: [
                WireGuardPeer(publicKey: WireGuardKey.repeating(2), endpoint: Endpoint("192.0.2.1:51820"),
                              allowedIPs: [IPNetwork("100.100.0.2/32")!, IPNetwork("fd00::/64")!],
                              lastHandshake: .init(seconds: 1_700_000_000, nanoseconds: 5),
                              rxBytes: 180, txBytes: 92, protocolVersion: 1),
                WireGuardPeer(publicKey: WireGuardKey.repeating(3), presharedKey: WireGuardKey.repeating(4), persistentKeepalive: 25, protocolVersion: 1),
            ]))
        #expect(device.publicKey == (try WireGuardKey.repeating(1).publicKey()))
    }

    @Test func emptyDevice() throws {
        let device = try WireGuardUAPI.parseGetReply(Array("errno=0\n".utf8), device: "wg1")
        #expect(device == WireGuardDevice(name: "wg1"))
        #expect(device.publicKey == nil)
    }

    @Test func unknownKeysAreSkipped() throws {
        let device = try WireGuardUAPI.parseGetReply(Array("listen_port=1\nfuture_key=x\nerrno=0\n".utf8), device: "wg1")
        #expect(device.listenPort == 1)
    }

    /// Each reply is malformed in one way; the error names the line.
    @Test(arguments: [
        ("listen_port=1\n", "no errno line"),
        ("listen_port\nerrno=0\n", "line 1: no '='"),
        ("listen_port=65536\nerrno=0\n", "line 1: listen_port is not a port"),
        ("listen_port=-1\nerrno=0\n", "line 1: listen_port"),
        ("listen_port= 1\nerrno=0\n", "line 1: listen_port"),
        ("fwmark=4294967296\nerrno=0\n", "line 1: fwmark"),
        ("private_key=abc\nerrno=0\n", "line 1: private_key is not 64 hex digits"),
        ("public_key=\(hex(2))\nendpoint=host.example:1\nerrno=0\n", "line 2: endpoint"),
        ("public_key=\(hex(2))\nendpoint=192.0.2.1\nerrno=0\n", "line 2: endpoint"),
        ("public_key=\(hex(2))\nallowed_ip=10.0.0.1\nerrno=0\n", "line 2: allowed_ip"),
        ("public_key=\(hex(2))\nallowed_ip=10.0.0.0/33\nerrno=0\n", "line 2: allowed_ip"),
        ("public_key=\(hex(2))\nrx_bytes=18446744073709551616\nerrno=0\n", "line 2: rx_bytes"),
        ("public_key=\(hex(2))\nlast_handshake_time_nsec=1000000000\nerrno=0\n", "line 2: last_handshake_time_nsec"),
        ("public_key=\(hex(2))\nlisten_port=1\nerrno=0\n", "line 2: listen_port inside a peer"),
        ("allowed_ip=10.0.0.0/8\nerrno=0\n", "line 1: allowed_ip before any public_key"),
        ("errno=0\nlisten_port=1\n", "line 2: data after errno"),
        ("errno=x\n", "line 1: errno is not a number"),
    ])
    func malformedGetReply(reply: String, detail: String) {
        #expect {
            try WireGuardUAPI.parseGetReply(Array(reply.utf8), device: "wgbad")
        } throws: { error in
            let error = error as! WireGuardError
            return error.code == .protocolError && error.message.hasPrefix("get wgbad: ") && error.message.contains(detail)
        }
    }

    @Test(arguments: [("errno=-19\n", Int32(19)), ("errno=22\n", Int32(22))])
    func getReplyWithErrno(reply: String, code: Int32) {
        #expect {
            try WireGuardUAPI.parseGetReply(Array(reply.utf8), device: "wg0")
        } throws: { error in
            (error as! WireGuardError).code == .userspace(errno: code)
        }
    }

    @Test(arguments: [
        ("errno=0", nil),
        ("errno=0\n", nil),
        ("errno=-22\n", WireGuardError.Code.userspace(errno: 22)),
        ("errno=17", .userspace(errno: 17)),
        ("", .protocolError),
        ("ok\n", .protocolError),
        ("errno=\n", .protocolError),
        ("errno=0\nextra=1\n", .protocolError),
    ] as [(String, WireGuardError.Code?)])
    func setReply(reply: String, code: WireGuardError.Code?) {
        do {
            try WireGuardUAPI.parseSetReply(Array(reply.utf8), device: "wg0")
            #expect(code == nil)
        } catch {
            #expect(error.code == code)
            #expect(error.message.hasPrefix("set wg0: "))
        }
    }

    @Test func validationRefusesWhatWireGuardGoWouldRefuseHalfway() {
        let bad = WireGuardDevice(name: "wg0", peers: [
            WireGuardPeer(publicKey: WireGuardKey.repeating(2), allowedIPs: [IPNetwork("10.0.0.1/32")!]),
            WireGuardPeer(publicKey: WireGuardKey.repeating(3), protocolVersion: 2),
        ])
        #expect(throws: WireGuardError.self) { try WireGuardUAPI.validate(bad, device: "wg0") }
        let zeroPort = WireGuardDevice(name: "wg0", peers: [
            WireGuardPeer(publicKey: WireGuardKey.repeating(2), endpoint: Endpoint(address: IPAddress("192.0.2.1")!, port: 0)),
        ])
        #expect(throws: WireGuardError.self) { try WireGuardUAPI.validate(zeroPort, device: "wg0") }
    }

    @Test(arguments: [("wg0", true), ("a23456789012345", true), ("a234567890123456", false), ("", false),
                      (".", false), ("..", false), ("a/b", false), ("a b", false), ("a:1", false)])
    func interfaceNames(name: String, valid: Bool) {
        #expect(WireGuardInterfaceName.isValid(name) == valid)
    }
}
