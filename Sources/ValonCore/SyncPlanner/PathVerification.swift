/// Whether a peer's direct path works, as valon-sync judges it across runs
/// (docs/ARCHITECTURE.md §10). Pure: it reads only its arguments.
///
/// A direct endpoint (LAN or NAT, as ``EndpointSelection`` chose it) counts as working only
/// once a handshake at or after the moment it was set arrives. A handshake from before that
/// moment can be an old session on the previous path, so it does not count. When none
/// arrives within ``window`` (15 s: three of WireGuard's handshake attempts, which it makes
/// every 5 s, REKEY_TIMEOUT), that candidate has failed. A failed LAN endpoint gives way to
/// the NAT endpoint (``Path/lanFailed``, which the next plan honours); a failed NAT endpoint
/// (or a LAN one with no NAT endpoint to try) means the pair needs a relay, asked of the
/// discovery node after ``relayRetry``, doubling up to an hour while none is published
/// (an offline peer, which the node refuses, costs it little). A change of the
/// peer's registry record (its LAN or NAT endpoint) starts over: direct paths are tried again.
/// While the zone relays the pair, nothing is verified; the relay's own allocation goes when
/// either peer's endpoints change.
public enum PathVerification {
    /// How long a direct endpoint may go without a fresh handshake before it counts as failed.
    public static let window: Int64 = 15
    /// How long after a relay request the next may be sent; it doubles with each request,
    /// up to ``relayRetryLimit``.
    public static let relayRetry: Int64 = 60
    public static let relayRetryLimit: Int64 = 3600

    /// What the registry and the device say about one peer now.
    public struct Observation: Hashable, Sendable {
        public var lan: Endpoint?
        public var nat: Endpoint?
        /// The endpoint the device has for the peer now.
        public var endpoint: Endpoint?
        /// The latest handshake, seconds since the epoch.
        public var lastHandshake: Int64?
        /// The relay port when the zone relays the pair.
        public var relayPort: UInt16?
        /// The peer's WireGuard address, where a datagram provokes a handshake.
        public var wgIP: IPAddress?

        public init(lan: Endpoint?, nat: Endpoint?, endpoint: Endpoint?, lastHandshake: Int64?, relayPort: UInt16?,
                    wgIP: IPAddress? = nil) {
            self.wgIP = wgIP
            self.lan = lan
            self.nat = nat
            self.endpoint = endpoint
            self.lastHandshake = lastHandshake
            self.relayPort = relayPort
        }
    }

    /// One peer's path as the state file keeps it.
    public struct Path: Codable, Hashable, Sendable {
        /// The registry endpoints this state is about.
        public var lan: String?
        public var nat: String?
        /// The endpoint on the device, and when it was set there.
        public var endpoint: String?
        public var since: Int64
        /// When the direct path was found not to work.
        public var failedAt: Int64?
        /// When a relay was last asked for.
        public var relayRequestedAt: Int64?
        /// The relay port while the zone relays the pair.
        public var relayPort: UInt16?
        /// The peer's WireGuard address.
        public var wgIP: String?
        /// The LAN endpoint was tried and got no handshake: plans use the NAT endpoint.
        public var lanFailed: Bool?
        /// Relay requests sent so far for this record.
        public var relayRequests: Int?

        enum CodingKeys: String, CodingKey {
            case lan, nat, endpoint, since
            case wgIP = "wg_ip"
            case lanFailed = "lan_failed"
            case relayRequests = "relay_requests"
            case failedAt = "failed_at"
            case relayRequestedAt = "relay_requested_at"
            case relayPort = "relay_port"
        }

        /// `lan`, `nat` or `relay`, and why, for `--json` and logs.
        public var summary: String {
            if let relayPort { return "relay (port \(relayPort)): the direct path failed" + (failedAt.map { " at \($0)" } ?? "") }
            if let failedAt { return "direct failed at \(failedAt): no handshake since \(since); relay asked" }
            return "direct since \(since)"
        }
    }

    /// The verdict on one peer.
    public struct Verdict: Hashable, Sendable {
        public var path: Path
        /// Ask the discovery node for a relay now.
        public var requestRelay: Bool
        /// The path waits for its first handshake: send the peer a datagram so that
        /// WireGuard starts one.
        public var provoke: Bool
    }

    /// Updates a peer's path from `previous` (nil for a peer seen for the first time).
    public static func judge(_ previous: Path?, observed: Observation, now: Int64) -> Verdict {
        let lan = observed.lan?.description, nat = observed.nat?.description
        let endpoint = observed.endpoint?.description
        var path = previous ?? Path(lan: lan, nat: nat, endpoint: endpoint, since: now)
        if path.lan != lan || path.nat != nat {
            // The record changed: try direct again from now.
            path = Path(lan: lan, nat: nat, endpoint: endpoint, since: now)
        }
        if let address = observed.wgIP { path.wgIP = address.description }
        if let port = observed.relayPort {
            path.relayPort = port
            path.endpoint = endpoint
            return Verdict(path: path, requestRelay: false, provoke: false)
        }
        if path.relayPort != nil || path.endpoint != endpoint {
            // A new endpoint on the device (or the relay gone): its clock starts now.
            path.relayPort = nil
            path.endpoint = endpoint
            path.since = now
            path.failedAt = nil
        }
        guard endpoint != nil else { return Verdict(path: path, requestRelay: false, provoke: false) }
        if let handshake = observed.lastHandshake, handshake >= path.since {
            path.failedAt = nil
            path.relayRequestedAt = nil
            path.relayRequests = nil
            return Verdict(path: path, requestRelay: false, provoke: false)
        }
        guard now - path.since >= window else { return Verdict(path: path, requestRelay: false, provoke: true) }
        if path.lanFailed != true, path.endpoint != nil, path.endpoint == path.lan, path.nat != nil {
            // The LAN endpoint failed; the NAT endpoint comes next, on its own clock.
            path.lanFailed = true
            path.since = now
            return Verdict(path: path, requestRelay: false, provoke: false)
        }
        path.failedAt = path.failedAt ?? now
        let requests = path.relayRequests ?? 0
        let wait = min(relayRetryLimit, relayRetry << min(requests > 0 ? requests - 1 : 0, 6))
        let ask = path.relayRequestedAt.map { now - $0 >= wait } ?? true
        if ask {
            path.relayRequestedAt = now
            path.relayRequests = requests + 1
        }
        return Verdict(path: path, requestRelay: ask, provoke: false)
    }
}
