import Logging
import ValonKit

/// The DDNS API's decisions, apart from HTTP: who may change which peer's LAN endpoint
/// (docs/ARCHITECTURE.md §3 and §7).
///
/// The caller is the source address of the TCP connection alone. It must be the
/// registered `wg_ip` of the key in the body, read from etcd at the time of the request,
/// so a peer can only ever change its own record; WireGuard's cryptokey routing makes the
/// address unforgeable through the tunnel. The alias, when given, must be the peer's; the
/// API never changes aliases. Writes go through ``PeerRegistry/setEndpoint(_:to:of:)``,
/// a compare-and-swap that writes only on change.
public final class DDNSHandler: Sendable {
    public let registry: PeerRegistry
    public let limiter: TokenBucketLimiter
    /// The WireGuard networks: a LAN endpoint inside them is refused.
    public let tunnelNetworks: [IPNetwork]
    /// The relay's ports and the service to wake after an allocation; `nil` when the relay is off.
    public let relay: RelaySettings?
    let logger: Logger

    public init(registry: PeerRegistry, limiter: TokenBucketLimiter, tunnelNetworks: [IPNetwork], relay: RelaySettings? = nil,
                logger: Logger) {
        self.registry = registry
        self.limiter = limiter
        self.tunnelNetworks = tunnelNetworks
        self.relay = relay
        self.logger = logger
    }

    /// Takes one request's token for `caller`, or refuses with 429.
    public func admit(_ caller: IPAddress) throws(DDNSError) {
        guard limiter.allow(caller) else {
            throw DDNSError(.tooManyRequests, "too many requests from \(caller); slow down")
        }
    }

    /// `POST /api/endpoint`: sets the caller's LAN endpoint, or clears it for the original
    /// client's offline markers `""` and `"0.0.0.0:0"` (after the same caller checks).
    /// Returns the success message.
    public func updateEndpoint(body: [UInt8], caller: IPAddress) async throws(DDNSError) -> String {
        let request = try DDNSBodyDecoder.decode(EndpointUpdateBody.self, from: body)
        let peer = try await authorize(pubkey: request.pubkey, alias: request.alias, caller: caller)
        let endpoint: Endpoint
        switch try DDNSEndpointRule.update(request.lanEndpoint, tunnelNetworks: tunnelNetworks) {
        case .set(let value):
            endpoint = value
        case .clear(let marker):
            return try await clearEndpoint(of: peer, reason: "offline marker \"\(marker)\"")
        }
        let wrote: Bool
        do {
            wrote = try await registry.setEndpoint(.lan, to: endpoint, of: peer.publicKey)
        } catch {
            throw DDNSError(registry: error, "set the LAN endpoint of \(peer.alias)")
        }
        if wrote {
            logger.info("LAN endpoint updated", metadata: ["alias": "\(peer.alias)", "endpoint": "\(endpoint)"])
            return "lan_endpoint of \(peer.alias) set to \(endpoint)"
        }
        return "lan_endpoint of \(peer.alias) is already \(endpoint); nothing changed"
    }

    /// `DELETE /api/endpoint/delete`: clears the caller's LAN endpoint.
    public func deleteEndpoint(body: [UInt8], caller: IPAddress) async throws(DDNSError) -> String {
        let request = try DDNSBodyDecoder.decode(EndpointDeletionBody.self, from: body)
        let peer = try await authorize(pubkey: request.pubkey, alias: request.alias, caller: caller)
        return try await clearEndpoint(of: peer, reason: nil)
    }

    /// Clears `peer`'s LAN endpoint (compare-and-swap, only when it has one); `reason`
    /// names the offline marker that asked for it.
    private func clearEndpoint(of peer: Peer, reason: String?) async throws(DDNSError) -> String {
        let wrote: Bool
        do {
            wrote = try await registry.setEndpoint(.lan, to: nil, of: peer.publicKey)
        } catch {
            throw DDNSError(registry: error, "clear the LAN endpoint of \(peer.alias)")
        }
        let because = reason.map { " (\($0))" } ?? ""
        if wrote {
            logger.info("LAN endpoint cleared", metadata: ["alias": "\(peer.alias)", "reason": "\(reason ?? "delete")"])
            return "lan_endpoint of \(peer.alias) cleared" + because
        }
        return "\(peer.alias) has no lan_endpoint; nothing changed" + because
    }

    /// The peer named by `pubkey`, if `caller` is that peer and `alias` (when given) is its alias.
    func authorize(pubkey: String, alias: String?, caller: IPAddress) async throws(DDNSError) -> Peer {
        let key: WireGuardKey
        do {
            key = try PeerValidation.key(pubkey)
        } catch {
            throw DDNSError(.malformedRequest, "malformed pubkey: \(error.message)")
        }
        let found: Peer?
        do {
            found = try await registry.peer(key: key)
        } catch {
            throw DDNSError(registry: error, "look up the peer \(key.base64)")
        }
        guard let peer = found else { throw DDNSError(.unknownKey, "no peer is registered with the key \(key.base64)") }
        guard peer.wgIP == caller else {
            logger.warning("DDNS request for another peer refused",
                           metadata: ["caller": "\(caller)", "claimed": "\(peer.alias)", "wg_ip": "\(peer.wgIP)"])
            throw DDNSError(.forbidden, "the request comes from \(caller), not from the peer's WireGuard address")
        }
        if let alias, alias != peer.alias {
            throw DDNSError(.forbidden, "alias \"\(alias.prefix(64))\" is not this peer's alias; the API never changes aliases")
        }
        return peer
    }
}
