import Logging
import ServiceLifecycle
import Synchronization
import ValonKit

/// Keeps this discovery node registered (docs/ARCHITECTURE.md §11): its records under
/// `<prefix>discovery/<base64 key>/` on an etcd lease of `ttl`, renewed every third of it,
/// and its address claimed under `ips/`. When the lease is lost (etcd unreachable longer
/// than the TTL, or the lease revoked by hand) it registers again. A graceful shutdown
/// revokes the lease, so the node leaves the zone at once; a node that dies leaves it when
/// the lease expires.
public final class DiscoveryRegistration: Service, Sendable {
    public let registry: PeerRegistry
    public let node: DiscoveryNode
    public let ttl: Duration
    let logger: Logger
    private let lease = Mutex<Int64?>(nil)

    public init(registry: PeerRegistry, node: DiscoveryNode, ttl: Duration, logger: Logger) {
        self.registry = registry
        self.node = node
        self.ttl = ttl
        self.logger = logger
    }

    /// The lease the node's records hang on now; `nil` while it is not registered.
    public var currentLease: Int64? { lease.withLock { $0 } }

    var ttlSeconds: Int64 { max(2, ttl.components.seconds) }

    public func run() async throws {
        var registeredAt: ContinuousClock.Instant?
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let id = currentLease {
                do {
                    if try await registry.renew(lease: id) == 0 {
                        logger.warning("the discovery lease expired: registering again", metadata: ["lease": "\(id)"])
                        lease.withLock { $0 = nil }
                        continue
                    }
                } catch {
                    logger.warning("cannot renew the discovery lease", metadata: ["lease": "\(id)", "error": "\(error)"])
                }
            } else {
                do {
                    let id = try await registry.register(node, ttl: ttlSeconds)
                    lease.withLock { $0 = id }
                    if registeredAt == nil {
                        logger.info("registered as a discovery node", metadata: [
                            "wg_ip": "\(node.wgIP)", "endpoint": "\(node.endpoint ?? "-")", "lease": "\(id)", "ttl": "\(ttlSeconds)s",
                        ])
                    }
                    registeredAt = .now
                    failures = 0
                } catch {
                    // Once a second at first, backing off to 30 s while etcd stays away.
                    if failures == 0 || failures.nonzeroBitCount == 1 {
                        logger.warning("cannot register as a discovery node", metadata: ["error": "\(error)", "attempts": "\(failures + 1)"])
                    }
                    failures += 1
                }
            }
            await pause(currentLease == nil ? .seconds(min(30, 1 << min(failures, 5))) : ttl / 3)
        }
        if let id = currentLease {
            do {
                try await registry.unregister(lease: id)
                logger.info("unregistered: the discovery records are gone", metadata: ["lease": "\(id)"])
            } catch {
                logger.warning("cannot revoke the discovery lease; the records go when it expires",
                               metadata: ["lease": "\(id)", "error": "\(error)"])
            }
            lease.withLock { $0 = nil }
        }
    }

    /// Sleeps in short steps, so a graceful shutdown is noticed within 100 ms.
    private func pause(_ duration: Duration) async {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
    }
}
