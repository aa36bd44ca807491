import Logging
import Testing
import ValonTestSupport
import ValonDiscovery
import ValonKit

/// A ``DiscoveryServer`` running in-process in a task, for tests; ``stop()`` shuts it down
/// gracefully and waits until every part has ended.
final class RunningDiscovery: Sendable {
    let server: DiscoveryServer
    let task: Task<Void, any Error>

    init(config: DiscoveryConfig) throws {
        var logger = Logger(label: "valon-discovery-test")
        logger.logLevel = .warning
        server = try DiscoveryServer(config: config, logger: logger)
        task = Task { [server] in try await server.run() }
    }

    /// Waits until the API and DNS listen and (with `registryRead`) the registry has been
    /// read once; returns the API port.
    func ready(registryRead: Bool = true) async throws -> Int {
        try await eventually("the discovery node to start") {
            server.api.boundPort != nil && server.dns.boundPort != nil && (!registryRead || server.store.live != nil)
        }
        return server.api.boundPort!
    }

    /// Runs `body` with a started node and its API port, and stops the node afterwards,
    /// also when `body` throws.
    static func with<T>(_ config: DiscoveryConfig, registryRead: Bool = true,
                        _ body: (RunningDiscovery, Int) async throws -> T) async throws -> T {
        let node = try RunningDiscovery(config: config)
        do {
            let result = try await body(node, try await node.ready(registryRead: registryRead))
            await node.stop()
            return result
        } catch {
            await node.stop()
            throw error
        }
    }

    /// `dig +short` against the node's DNS server on loopback.
    func dig(_ name: String, _ type: String = "A") async throws -> String {
        let port = try #require(server.dns.boundPort)
        return try await offPool { try Command.check(["dig", "+short", "+time=2", "+tries=2", "@127.0.0.1", "-p", "\(port)", name, type]) }
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Shuts the node down gracefully and waits until it has stopped.
    func stop() async {
        await server.shutdown()
        _ = await task.result
    }
}
