import Foundation
import Testing
import ValonKit

/// The UAPI backend against a socket that misbehaves: malformed, truncated, silent or
/// refusing replies give typed errors, and a failed read sends no update at all.
@Suite struct WireGuardUAPIFakeSocketTests {
    static let peerHex = String(repeating: "ab", count: 32)

    func backend(_ server: FakeUAPIServer, timeout: Int = 5) -> WireGuardUAPIBackend {
        WireGuardUAPIBackend(socketDirectory: server.directory, timeoutSeconds: timeout)
    }

    func expectError(_ code: WireGuardError.Code, containing detail: String, _ body: () throws -> Void) {
        #expect {
            try body()
        } throws: { error in
            let error = error as! WireGuardError
            return error.code == code && error.message.contains("vkfake0") && error.message.contains(detail)
        }
    }

    @Test func malformedGetReplyStopsTheSyncBeforeAnySet() throws {
        let server = try FakeUAPIServer(replies: [.bytes("listen_port=51820\npublic_key=\(Self.peerHex)\nallowed_ip=10.0.0.1\nerrno=0\n\n")])
        defer { server.stop() }
        let desired = WireGuardDevice(name: server.name, peers: [WireGuardPeer(publicKey: .generatePreshared())])
        expectError(.protocolError, containing: "line 3: allowed_ip") {
            try backend(server).sync(server.name, to: desired)
        }
        #expect(server.requests == ["get=1\n\n"])
    }

    @Test(arguments: [
        ("listen_port=1\nerrno=0\n", "closed before the blank line"),
        ("", "closed without a reply"),
        ("\n", "no errno line"),
        ("listen_port=1\n\n", "no errno line"),
    ])
    func brokenGetReplies(reply: String, detail: String) throws {
        let server = try FakeUAPIServer(replies: [.bytes(reply)])
        defer { server.stop() }
        expectError(.protocolError, containing: detail) { _ = try backend(server).device(named: server.name) }
    }

    @Test(arguments: [
        ("errno=0\nlisten_port=1\n\n", WireGuardError.Code.protocolError),
        ("ok\n\n", .protocolError),
        ("errno=-1\n\n", .userspace(errno: 1)),
    ])
    func brokenOrRefusingSetReplies(reply: String, code: WireGuardError.Code) throws {
        let server = try FakeUAPIServer(replies: [.bytes(reply)])
        defer { server.stop() }
        expectError(code, containing: "set vkfake0") {
            try backend(server).apply(WireGuardDevice(name: server.name, listenPort: 1))
        }
        #expect(server.requests == ["set=1\nlisten_port=1\n\n"])
    }

    @Test func silenceTimesOut() throws {
        let server = try FakeUAPIServer(replies: [.silence])
        defer { server.stop() }
        expectError(.timedOut, containing: "no reply within 1 s") { _ = try backend(server, timeout: 1).device(named: server.name) }
    }

    @Test func refusedUpdateNeverConnects() throws {
        let server = try FakeUAPIServer(replies: [.bytes("errno=0\n\n")])
        defer { server.stop() }
        let update = WireGuardDevice(name: server.name, peers: [WireGuardPeer(publicKey: .generatePreshared(), protocolVersion: 2)])
        expectError(.invalidArgument, containing: "protocol version 2") { try backend(server).apply(update) }
        #expect(server.requests.isEmpty)
    }

    /// A batch of 1,000 peers goes out as one `set=1` request on one connection.
    @Test func oneRequestForAWholeBatch() throws {
        let server = try FakeUAPIServer(replies: [.bytes("errno=0\n\n")])
        defer { server.stop() }
        let update = WireGuardDevice(name: server.name, peers: (0..<1_000).map { index in
            WireGuardPeer(publicKey: .generatePreshared(), allowedIPs: [IPNetwork("10.2.\(index / 250).\(index % 250)/32")!])
        }, flags: .replacePeers)
        try backend(server).apply(update)
        #expect(server.requests == [String(decoding: WireGuardUAPI.setRequest(for: update), as: UTF8.self)])
    }

    @Test func invalidNameIsRefusedBeforeAnySocket() {
        let backend = WireGuardUAPIBackend(socketDirectory: "/nonexistent")
        #expect { _ = try backend.device(named: "../etc/x") } throws: { ($0 as! WireGuardError).code == .invalidArgument }
    }

    /// A large reply written 7 bytes at a time: the reader finds the blank line across reads.
    @Test func replyInSmallPieces() throws {
        var reply = "listen_port=51820\n"
        let keys = (0..<300).map { _ in WireGuardKey.generatePreshared() }
        for (index, key) in keys.enumerated() {
            reply += "public_key=\(key.hex)\nallowed_ip=10.1.\(index / 250).\(index % 250)/32\n"
        }
        reply += "errno=0\n\n"
        let server = try FakeUAPIServer(replies: [.bytes(reply, chunk: 7)])
        defer { server.stop() }
        let device = try backend(server).device(named: server.name)
        #expect(device.peers.map(\.publicKey) == keys)
        #expect(device.listenPort == 51820)
    }

    @Test func socketWithoutListenerIsNoSuchDevice() throws {
        let server = try FakeUAPIServer(replies: [])
        server.stop()
        // stop() removed the directory; recreate a stale socket file without a listener.
        try FileManager.default.createDirectory(atPath: server.directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: server.directory) }
        let stale = try FakeUAPIServer.staleSocket(at: server.path)
        #expect(stale)
        #expect(backend(server).hasSocket(for: server.name))
        expectError(.noSuchDevice, containing: "get vkfake0") { _ = try backend(server).device(named: server.name) }
        #expect(try backend(server).listDevices() == [server.name])
    }
}
