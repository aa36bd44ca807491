import Foundation
import ValonKit

/// The relay's side of the API (docs/ARCHITECTURE.md §10).
public struct RelaySettings: Sendable {
    /// The ports the relay gives to pairs.
    public var ports: ClosedRange<UInt16>
    /// Called after an allocation, so the relay opens the port at once.
    public var allocated: @Sendable () -> Void
    /// A peer's latest handshake with the node (seconds since the epoch), if any: a relay is
    /// given only to two peers that are online, so sleeping laptops hold no ports.
    public var lastHandshake: @Sendable (WireGuardKey) -> Int64?
    /// Seconds since the epoch.
    public var now: @Sendable () -> Int64

    public init(ports: ClosedRange<UInt16>, allocated: @escaping @Sendable () -> Void,
                lastHandshake: @escaping @Sendable (WireGuardKey) -> Int64? = { _ in nil },
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.ports = ports
        self.allocated = allocated
        self.lastHandshake = lastHandshake
        self.now = now
    }
}

extension DDNSHandler {
    /// `POST /api/relay`: gives the pair of the caller and `peer` a relay port, or returns
    /// the one it has. The caller is checked as for endpoint updates (403 when it is not the
    /// key's WireGuard address, 404 for an unknown key or peer); 503 when the relay is off or
    /// every port is taken, and then nothing changes.
    func requestRelay(body: [UInt8], caller: IPAddress) async throws(DDNSError) -> DDNSReply {
        let request = try DDNSBodyDecoder.decode(RelayRequestBody.self, from: body)
        let me = try await authorize(pubkey: request.pubkey, alias: nil, caller: caller)
        let other: WireGuardKey
        do {
            other = try PeerValidation.key(request.peer)
        } catch {
            throw DDNSError(.malformedRequest, "malformed peer: \(error.message)")
        }
        guard other != me.publicKey else { throw DDNSError(.malformedRequest, "a peer cannot be relayed to itself") }
        guard let relay else { throw DDNSError(.unavailable, "this discovery node does not relay (relay: false)") }
        let peer: Peer?
        do {
            peer = try await registry.peer(key: other)
        } catch {
            throw DDNSError(registry: error, "look up the peer \(other.base64)")
        }
        guard let peer else { throw DDNSError(.unknownKey, "no peer is registered with the key \(other.base64)") }
        let existing: RelayAllocation?
        do {
            existing = try await registry.relay(between: me.publicKey, and: other)
        } catch {
            throw DDNSError(registry: error, "read the relay of \(me.alias) and \(peer.alias)")
        }
        if existing == nil {
            // Only two peers the node hears from get a port: an offline peer is no NAT problem.
            let now = relay.now()
            for candidate in [me, peer] {
                let heard = relay.lastHandshake(candidate.publicKey)
                guard let heard, now - heard < EndpointSelection.freshHandshakeSeconds else {
                    throw DDNSError(.conflict, "\(candidate.alias) is offline (\(heard.map { "no handshake with the discovery node for \(now - $0) s" } ?? "no handshake with the discovery node")); a relay is given only to two peers that are online")
                }
            }
        }
        let outcome: (allocation: RelayAllocation, created: Bool)
        do {
            outcome = try await registry.allocateRelay(between: me.publicKey, and: other, ports: relay.ports)
        } catch {
            throw DDNSError(registry: error, "relay \(me.alias) and \(peer.alias)")
        }
        relay.allocated()
        let port = outcome.allocation.port
        if outcome.created {
            logger.info("relay allocated", metadata: ["first": "\(me.alias)", "second": "\(peer.alias)", "port": "\(port)"])
        }
        let message = outcome.created ? "relay port \(port) allocated to \(me.alias) and \(peer.alias)"
                                      : "\(me.alias) and \(peer.alias) are relayed on port \(port) already"
        return DDNSReply(success: true, message: message, port: port, created: outcome.created)
    }
}
