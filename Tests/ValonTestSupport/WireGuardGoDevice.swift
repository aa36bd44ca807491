import Foundation
import ValonKit

/// A real `wireguard-go` device in a throwaway network namespace (or, for a node under
/// test that runs in the test process, in the host's namespace), for tests.
///
/// The interface is named `vk` and 8 random characters, unique because
/// `/var/run/wireguard` is shared by every namespace and every test run on the machine;
/// a new namespace gets the same name. `stop()` ends the daemon by its own PID and
/// deletes the namespace it created; call it in a `defer`.
public final class WireGuardGoDevice: @unchecked Sendable {
    public let name: String
    /// The namespace, `nil` for the host's.
    public let namespace: String?
    private let ownsNamespace: Bool
    public let backend = WireGuardUAPIBackend()
    private let process = Process()

    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `wireguard-go -f NAME` in `namespace`, or in a new namespace when it is
    /// `nil`, or in the host's namespace with `inHostNamespace`; returns once the control
    /// socket answers.
    public init(namespace existing: String? = nil, inHostNamespace: Bool = false) throws {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        name = "vk" + String((0..<8).map { _ in alphabet.randomElement()! })
        namespace = inHostNamespace ? nil : existing ?? name
        ownsNamespace = existing == nil && !inHostNamespace
        if ownsNamespace, let namespace { try Command.check(["ip", "netns", "add", namespace]) }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = (namespace.map { ["ip", "netns", "exec", $0] } ?? []) + ["wireguard-go", "-f", name]
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

    /// Up to 30 s: wireguard-go starts in well under a second, but a test run that keeps
    /// both cores busy has been seen to take more than 10.
    private func waitForSocket() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            guard process.isRunning else {
                throw StartFailure(description: "wireguard-go \(name) exited with status \(process.terminationStatus)")
            }
            if backend.hasSocket(for: name), (try? backend.device(named: name)) != nil { return }
            usleep(20_000)
        }
        throw StartFailure(description: "wireguard-go \(name): no control socket after 30 s")
    }

    /// Runs a command inside the namespace (`ip netns exec NAMESPACE …`).
    @discardableResult
    public func exec(_ arguments: [String]) throws -> String {
        try Command.check((namespace.map { ["ip", "netns", "exec", $0] } ?? []) + arguments)
    }

    /// Stops the daemon (SIGTERM to its PID, then SIGKILL after 5 s) and deletes the
    /// namespace it created and any socket left behind.
    public func stop() {
        if process.isRunning {
            let pid = process.processIdentifier
            process.terminate()
            // kill(pid, 0) sees the process itself, whether or not Foundation noticed its exit.
            var status: Int32 = 0
            var reaped = false
            for _ in 0..<250 {
                let waited = waitpid(pid, &status, WNOHANG)
                if waited == pid { reaped = true; break }
                if waited == -1 { break }  // Foundation reaped it
                usleep(20_000)
            }
            if !reaped {
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
                _ = Command.reap(process)
            }
        }
        try? FileManager.default.removeItem(atPath: backend.socketPath(for: name))
        if ownsNamespace, let namespace { _ = try? Command.run(["ip", "netns", "del", namespace]) }
    }
}
