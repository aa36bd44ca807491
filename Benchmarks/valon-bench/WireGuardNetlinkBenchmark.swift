import Foundation
import ValonKit

/// Applying N peers to a kernel WireGuard device through ValonKit's netlink backend, side
/// by side with `wg setconf` of the same peers. Needs the WireGuard module and root:
/// scripts/vm/run-netlink-bench.sh runs it in the test VM.
///
/// Each round starts from an empty device and programs a private key, a port and N peers
/// (public key, endpoint, one /32 allowed IP), replacing all peers, as `wg setconf` does.
enum WireGuardNetlinkBenchmark: Benchmark {
    static let name = "wg-netlink"
    static let summary = "apply N peers via netlink vs `wg setconf` (args: N... [--rounds R]); needs kernel WireGuard"

    static func run(arguments: [String]) async throws {
        var counts = [Int](), rounds = 3, index = 0
        while index < arguments.count {
            if arguments[index] == "--rounds", index + 1 < arguments.count {
                rounds = Int(arguments[index + 1]) ?? rounds
                index += 2
            } else {
                counts.append(Int(arguments[index]) ?? 1000)
                index += 1
            }
        }
        if counts.isEmpty { counts = [1000, 10_000] }

        let links = try RouteNetlinkClient()
        let device = "wgbench0"
        try? links.deleteLink(name: device)
        try links.createWireGuardLink(name: device)
        defer { try? links.deleteLink(name: device) }
        let backend = WireGuardNetlinkBackend()

        for count in counts {
            let update = try makeUpdate(device: device, count: count)
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("wgbench-\(count).conf")
            try configText(update).write(to: config, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: config) }

            var ours = [Double](), theirs = [Double]()
            for _ in 0..<rounds {
                try backend.apply(WireGuardDevice(name: device, flags: [.replacePeers]))
                ours.append(try seconds { try backend.apply(update) })
                let applied = try backend.device(named: device).peers.count
                guard applied == count else { throw BenchmarkFailure("netlink applied \(applied) of \(count) peers") }

                try backend.apply(WireGuardDevice(name: device, flags: [.replacePeers]))
                theirs.append(try seconds { try runWG(["setconf", device, config.path]) })
                let set = try backend.device(named: device).peers.count
                guard set == count else { throw BenchmarkFailure("wg setconf applied \(set) of \(count) peers") }
            }
            let messages = WireGuardNetlink.setDeviceRequests(update, name: device, family: 0x15).count
            print(String(format: "wg-netlink: %6d peers  valon netlink median %.3f s (%d messages)  wg setconf median %.3f s  ratio %.2f  [rounds %d]",
                         count, median(ours), messages, median(theirs), median(theirs) / median(ours), rounds))
        }
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func makeUpdate(device: String, count: Int) throws -> WireGuardDevice {
        var peers = [WireGuardPeer]()
        peers.reserveCapacity(count)
        for index in 0..<count {
            let address = IPv4Address(value: 0x0a40_0000 + UInt32(index))
            peers.append(WireGuardPeer(
                publicKey: try WireGuardKey.generatePrivate().publicKey(),
                endpoint: Endpoint(address: .v4(IPv4Address(value: 0xc633_6400 + UInt32(index % 250) + 1)), port: UInt16(20000 + index % 40000)),
                allowedIPs: [IPNetwork(address: .v4(address), prefixLength: 32)!]))
        }
        return WireGuardDevice(name: device, privateKey: WireGuardKey.generatePrivate(), listenPort: 51820,
                               peers: peers, flags: [.replacePeers])
    }

    /// The same configuration in `wg setconf` syntax (wg(8) CONFIGURATION FILE FORMAT).
    static func configText(_ update: WireGuardDevice) -> String {
        var text = "[Interface]\nPrivateKey = \(update.privateKey!.base64)\nListenPort = \(update.listenPort!)\n"
        for peer in update.peers {
            text += "\n[Peer]\nPublicKey = \(peer.publicKey.base64)\nEndpoint = \(peer.endpoint!)\n"
            text += "AllowedIPs = \(peer.allowedIPs.map(\.description).joined(separator: ", "))\n"
        }
        return text
    }

    static func runWG(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wg")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkFailure("wg \(arguments.joined(separator: " ")) exited \(process.terminationStatus)") }
    }


}
