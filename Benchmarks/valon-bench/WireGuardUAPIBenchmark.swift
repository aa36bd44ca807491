import Foundation
import ValonKit

/// Applying N peers to a fresh `wireguard-go` device through ValonKit's userspace (UAPI)
/// backend, side by side with `wg setconf` of the same peers on a fresh device of the same
/// `wireguard-go` in the same network namespace; then reading them back with our `get`
/// and with `wg show NAME dump`. Needs root: scripts/bench/wg-uapi.sh runs it.
///
/// Each peer has a real public key, an IPv4 endpoint, one /32 allowed IP and a keepalive,
/// as a VALON client programs them; the device gets a private key and a port, and the
/// peer list is replaced, as `wg setconf` does. Our timing covers encoding the update,
/// the socket round trip and wireguard-go's work; `wg setconf`'s covers its process start,
/// reading the config file and the same socket round trip.
enum WireGuardUAPIBenchmark: Benchmark {
    static let name = "wg-uapi"
    static let summary = "apply N peers via the userspace socket vs `wg setconf` on wireguard-go (args: N... [--rounds R] [--client-only]); root"

    static func run(arguments: [String]) async throws {
        var counts = [Int](), rounds = 5, clientOnly = false
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--rounds", let value = rest.popFirst().flatMap({ Int($0) }) {
                rounds = value
            } else if argument == "--client-only" {
                clientOnly = true
            } else if let count = Int(argument) {
                counts.append(count)
            }
        }
        if counts.isEmpty { counts = [1_000, 10_000] }

        if clientOnly {
            for count in counts { try clientSide(try peers(count), rounds: rounds) }
            return
        }
        let namespace = "vkbench" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try tool(["ip", "netns", "add", namespace])
        defer { _ = try? tool(["ip", "netns", "del", namespace]) }
        print("wg-uapi: wireguard-go \(try tool(["wireguard-go", "--version"]).split(separator: "\n").first ?? ""), namespace \(namespace), \(rounds) rounds, fresh device per run")

        for count in counts {
            let update = try peers(count)
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(namespace)-\(count).conf")
            try configText(update).write(to: config, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: config) }

            var ours = [Double](), theirs = [Double](), ourGet = [Double](), theirDump = [Double]()
            for round in 0..<rounds {
                // Alternate which side goes first, so neither always meets a warmer machine.
                for side in round % 2 == 0 ? [0, 1] : [1, 0] {
                    let device = try UserspaceDevice(namespace: namespace)
                    defer { device.stop() }
                    let backend = WireGuardUAPIBackend()
                    if side == 0 {
                        ours.append(try seconds { try backend.apply(update, to: device.name) })
                    } else {
                        theirs.append(try seconds { try tool(["wg", "setconf", device.name, config.path]) })
                    }
                    var read = WireGuardDevice(name: device.name)
                    if side == 0 {
                        ourGet.append(try seconds { read = try backend.device(named: device.name) })
                    } else {
                        theirDump.append(try seconds { try tool(["wg", "show", device.name, "dump"]) })
                        read = try backend.device(named: device.name)
                    }
                    guard read.peers.count == count, read.privateKey == update.privateKey else {
                        throw Failure("\(side == 0 ? "valon" : "wg setconf") left \(read.peers.count) of \(count) peers")
                    }
                }
            }
            try clientSide(update, rounds: rounds)
            print(String(format: "wg-uapi: %6d peers  set: valon median %.3f s (min %.3f)  wg setconf median %.3f s (min %.3f)  wg/valon %.2f",
                         count, median(ours), ours.min()!, median(theirs), theirs.min()!, median(theirs) / median(ours)))
            print(String(format: "wg-uapi: %6d peers  get: valon median %.3f s  wg show dump median %.3f s  wg/valon %.2f",
                         count, median(ourGet), median(theirDump), median(theirDump) / median(ourGet)))
        }
    }

    /// Encoding the set request and parsing a get reply, without a daemon.
    static func clientSide(_ update: WireGuardDevice, rounds: Int) throws {
        let encode = try (0..<rounds).map { _ in try seconds { _ = WireGuardUAPI.setRequest(for: update) } }
        let reply = getReply(update)
        let parse = try (0..<rounds).map { _ in try seconds { _ = try WireGuardUAPI.parseGetReply(reply, device: "x") } }
        print(String(format: "wg-uapi: %6d peers  client side alone: encode set %.1f ms (%d bytes), parse get %.1f ms (%d bytes)",
                     update.peers.count, median(encode) * 1e3, WireGuardUAPI.setRequest(for: update).count, median(parse) * 1e3, reply.count))
    }

    /// A private key, port 51820, replace-peers, and `count` peers.
    static func peers(_ count: Int) throws -> WireGuardDevice {
        var peers = [WireGuardPeer]()
        peers.reserveCapacity(count)
        for index in 0..<count {
            peers.append(WireGuardPeer(
                publicKey: try WireGuardKey.generatePrivate().publicKey(),
                endpoint: Endpoint(address: .v4(IPv4Address(value: 0xc000_0200 + UInt32(index % 250) + 1)), port: UInt16(20_000 + index % 40_000)),
                persistentKeepalive: 25,
                allowedIPs: [IPNetwork(address: .v4(IPv4Address(value: 0x6440_0000 + UInt32(index))), prefixLength: 32)!]))
        }
        return WireGuardDevice(name: "", privateKey: .generatePrivate(), listenPort: 51820, peers: peers, flags: .replacePeers)
    }

    /// The same configuration in wg(8)'s configuration file format.
    static func configText(_ update: WireGuardDevice) -> String {
        var text = "[Interface]\nPrivateKey = \(update.privateKey!.base64)\nListenPort = \(update.listenPort!)\n"
        for peer in update.peers {
            text += "\n[Peer]\nPublicKey = \(peer.publicKey.base64)\nEndpoint = \(peer.endpoint!)\n"
            text += "AllowedIPs = \(peer.allowedIPs.map(\.description).joined(separator: ", "))\nPersistentKeepalive = 25\n"
        }
        return text
    }

    /// The reply wireguard-go gives to `get=1` for a device holding `update`, with
    /// statistics as after some traffic.
    static func getReply(_ update: WireGuardDevice) -> [UInt8] {
        var text = "private_key=\(update.privateKey!.hex)\nlisten_port=\(update.listenPort!)\n"
        for peer in update.peers {
            text += "public_key=\(peer.publicKey.hex)\npreshared_key=\(WireGuardKey.zero.hex)\nprotocol_version=1\n"
            text += "endpoint=\(peer.endpoint!)\nlast_handshake_time_sec=1764129000\nlast_handshake_time_nsec=123456789\n"
            text += "tx_bytes=123456\nrx_bytes=654321\npersistent_keepalive_interval=25\n"
            for network in peer.allowedIPs { text += "allowed_ip=\(network)\n" }
        }
        return Array((text + "errno=0\n").utf8)
    }

    /// `wireguard-go -f NAME` in the namespace, stopped by its PID.
    final class UserspaceDevice {
        let name = "vkb" + String(UInt64.random(in: 0...UInt64(1) << 50), radix: 36)
        private let process = Process()

        init(namespace: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ip", "netns", "exec", namespace, "wireguard-go", "-f", name]
            process.environment = ProcessInfo.processInfo.environment.merging(["WG_PROCESS_FOREGROUND": "1"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<500 where process.isRunning {
                if (try? WireGuardUAPIBackend().device(named: name)) != nil { return }
                usleep(10_000)
            }
            stop()
            throw Failure("wireguard-go \(name) did not open its socket")
        }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs a tool to completion; throws unless it exits 0; returns its output.
    @discardableResult
    static func tool(_ arguments: [String]) throws -> String {
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure("\(arguments.joined(separator: " ")) exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }


}
