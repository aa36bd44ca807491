import Foundation
import ValonKit

/// A real `wireguard-go` device in a throwaway network namespace, for tests.
///
/// The interface is named `vk` and 8 random characters, unique because
/// `/var/run/wireguard` is shared by every namespace and every test run on the machine;
/// a new namespace gets the same name. `stop()` ends the daemon by its own PID and
/// deletes the namespace it created; call it in a `defer`.
final class WireGuardGoDevice: @unchecked Sendable {
    let name: String
    let namespace: String
    private let ownsNamespace: Bool
    let backend = WireGuardUAPIBackend()
    private let process = Process()

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `wireguard-go -f NAME` in `namespace`, or in a new namespace when it is
    /// `nil`; returns once the control socket answers.
    init(namespace existing: String? = nil) throws {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        name = "vk" + String((0..<8).map { _ in alphabet.randomElement()! })
        namespace = existing ?? name
        ownsNamespace = existing == nil
        if ownsNamespace { try Command.check(["ip", "netns", "add", namespace]) }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", namespace, "wireguard-go", "-f", name]
        process.environment = ProcessInfo.processInfo.environment.merging(["WG_PROCESS_FOREGROUND": "1"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            try waitForSocket()
        } catch {
            stop()
            throw error
        }
    }

    private func waitForSocket() throws {
        for _ in 0..<500 {
            guard process.isRunning else {
                throw StartFailure(description: "wireguard-go \(name) exited with status \(process.terminationStatus)")
            }
            if backend.hasSocket(for: name), (try? backend.device(named: name)) != nil { return }
            usleep(20_000)
        }
        throw StartFailure(description: "wireguard-go \(name): no control socket after 10 s")
    }

    /// Runs a command inside the namespace (`ip netns exec NAMESPACE …`).
    @discardableResult
    func exec(_ arguments: [String]) throws -> String {
        try Command.check(["ip", "netns", "exec", namespace] + arguments)
    }

    /// Stops the daemon (SIGTERM to its PID, then SIGKILL after 5 s) and deletes the
    /// namespace it created and any socket left behind.
    func stop() {
        if process.isRunning {
            process.terminate()
            for _ in 0..<250 where process.isRunning { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: backend.socketPath(for: name))
        if ownsNamespace { _ = try? Command.run(["ip", "netns", "del", namespace]) }
    }
}
