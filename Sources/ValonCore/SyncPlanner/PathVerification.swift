/// Whether a peer's direct path works, as valon-sync judges it across runs
/// (docs/ARCHITECTURE.md §10). Pure: it reads only its arguments.
///
/// A direct endpoint (LAN or NAT, as ``EndpointSelection`` chose it) counts as working only
/// once the peer is heard on it: a handshake at or after the moment it was set, or bytes
/// received since then (a session that was up keeps running across an endpoint change, and
/// the datagram that provokes a handshake draws a keepalive or an ICMP answer back). A
/// handshake from before that moment can be an old session on the previous path, so it does
/// not count. A path once working is judged again when its session has died (no handshake
/// for ``sessionLifetime``: WireGuard rejects a session after 180 s). When nothing
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
    /// A handshake older than this means the session is gone (REJECT_AFTER_TIME 180 s, plus
    /// the window): a working path is judged afresh.
    public static let sessionLifetime: Int64 = 180 + window
    /// How long a failed LAN endpoint stays out of the plans before it is tried again.
    public static let lanRetry: Int64 = 600

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
        /// Bytes received from the peer so far (the device's counter).
        public var rxBytes: UInt64?
        /// Either side is behind a NAT the discovery nodes found symmetric (`nat_kind`,
        /// docs/ARCHITECTURE.md §11): the NAT endpoint cannot work, so it fails at once.
        public var symmetricNAT: Bool

        public init(lan: Endpoint?, nat: Endpoint?, endpoint: Endpoint?, lastHandshake: Int64?, relayPort: UInt16?,
                    wgIP: IPAddress? = nil, rxBytes: UInt64? = nil, symmetricNAT: Bool = false) {
            self.symmetricNAT = symmetricNAT
            self.wgIP = wgIP
            self.rxBytes = rxBytes
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
        /// When the LAN endpoint was tried and not heard on: plans use the NAT endpoint for
        /// ``PathVerification/lanRetry``.
        public var lanFailedAt: Int64?
        /// The peer's received-bytes counter when `since` began.
        public var rxAtSince: UInt64?
        /// The path was heard on since `since`.
        public var working: Bool?

        public init(lan: String?, nat: String?, endpoint: String?, since: Int64, failedAt: Int64? = nil,
                    relayRequestedAt: Int64? = nil, relayPort: UInt16? = nil, wgIP: String? = nil,
                    lanFailedAt: Int64? = nil, rxAtSince: UInt64? = nil, working: Bool? = nil, relayRequests: Int? = nil) {
            self.lan = lan
            self.nat = nat
            self.endpoint = endpoint
            self.since = since
            self.failedAt = failedAt
            self.relayRequestedAt = relayRequestedAt
            self.relayPort = relayPort
            self.wgIP = wgIP
            self.lanFailedAt = lanFailedAt
            self.rxAtSince = rxAtSince
            self.working = working
            self.relayRequests = relayRequests
        }

        /// Whether plans leave the LAN endpoint out at `now`.
        public func lanFailed(at now: Int64) -> Bool {
            lanFailedAt.map { now - $0 < PathVerification.lanRetry } ?? false
        }
        /// Relay requests sent so far for this record.
        public var relayRequests: Int?

        enum CodingKeys: String, CodingKey {
            case lan, nat, endpoint, since
            case wgIP = "wg_ip"
            case lanFailedAt = "lan_failed_at"
            case rxAtSince = "rx_at_since"
            case working
            case relayRequests = "relay_requests"
            case failedAt = "failed_at"
            case relayRequestedAt = "relay_requested_at"
            case relayPort = "relay_port"
        }

        /// The kind of path the device uses now: `relay`, `lan`, `nat`, or `none` (no endpoint).
        public var kind: String {
            if relayPort != nil { return "relay" }
            guard let endpoint else { return "none" }
            return endpoint == lan ? "lan" : endpoint == nat ? "nat" : "direct"
        }

        /// The path and why, for `--json`, `--dry-run` and logs: the kind first (`lan`, `nat`,
        /// `relay`, `none`), then the endpoint tried, whether its handshake was seen, and when.
        /// For example `nat 203.0.113.20:51820: handshake seen, since 1767225600`, or
        /// `relay 203.0.113.1:51822 (port 51822): direct failed at 1767225615; lan failed at 1767225600`.
        public var summary: String {
            let lanNote = lanFailedAt.map { "; lan failed at \($0)" } ?? ""
            let head = "\(kind) \(endpoint ?? "-")"
            if let relayPort {
                return "\(head) (port \(relayPort)): direct failed" + (failedAt.map { " at \($0)" } ?? "") + lanNote
            }
            guard endpoint != nil else { return "none: no endpoint to try" + lanNote }
            if working == true { return "\(head): handshake seen, since \(since)" + lanNote }
            if let failedAt {
                return "\(head): no handshake since \(since), failed at \(failedAt)"
                    + (relayRequestedAt.map { "; relay asked at \($0)" } ?? "") + lanNote
            }
            return "\(head): waiting for a handshake since \(since)" + lanNote
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
        func fresh() -> Path { Path(lan: lan, nat: nat, endpoint: endpoint, since: now, rxAtSince: observed.rxBytes) }
        var path = previous ?? fresh()
        if path.lan != lan || path.nat != nat {
            // The record changed: try direct again from now.
            path = fresh()
        }
        if let address = observed.wgIP { path.wgIP = address.description }
        if let port = observed.relayPort {
            path.relayPort = port
            path.endpoint = endpoint
            return Verdict(path: path, requestRelay: false, provoke: false)
        }
        /// Heard on `path` since its clock started: a handshake since then, or bytes received.
        func heard(on path: Path) -> Bool {
            observed.lastHandshake.map { $0 >= path.since } == true
                || (observed.rxBytes.map { rx in path.rxAtSince.map { rx > $0 } ?? false } ?? false)
        }
        if path.relayPort != nil || (path.endpoint != endpoint && !(path.working == true && heard(on: path))) {
            // A new endpoint on the device (or the relay gone): its clock starts now. (An
            // endpoint WireGuard roamed to on a live session is no new attempt.)
            path.relayPort = nil
            path.since = now
            path.rxAtSince = observed.rxBytes
            path.failedAt = nil
            path.working = nil
        }
        path.endpoint = endpoint
        guard endpoint != nil else { return Verdict(path: path, requestRelay: false, provoke: false) }
        if heard(on: path) {
            if path.working == true, let handshake = observed.lastHandshake, now - handshake > sessionLifetime {
                // The session died since: judge the path afresh.
                path.since = now
                path.rxAtSince = observed.rxBytes
                path.working = nil
                return Verdict(path: path, requestRelay: false, provoke: true)
            }
            path.working = true
            path.failedAt = nil
            path.relayRequestedAt = nil
            path.relayRequests = nil
            // Later bytes are measured from here, so a session that dies shows.
            path.rxAtSince = observed.rxBytes ?? path.rxAtSince
            if let handshake = observed.lastHandshake, handshake > path.since { path.since = handshake }
            return Verdict(path: path, requestRelay: false, provoke: false)
        }
        if path.working == true {
            // Heard before, silent since the last look.
            if let handshake = observed.lastHandshake, now - handshake <= sessionLifetime {
                return Verdict(path: path, requestRelay: false, provoke: false)
            }
            path.since = now
            path.rxAtSince = observed.rxBytes
            path.working = nil
            return Verdict(path: path, requestRelay: false, provoke: true)
        }
        let hopeless = observed.symmetricNAT && path.endpoint != nil && path.endpoint == path.nat
        guard now - path.since >= window || hopeless else { return Verdict(path: path, requestRelay: false, provoke: true) }
        if !path.lanFailed(at: now), path.endpoint != nil, path.endpoint == path.lan, path.nat != nil {
            // The LAN endpoint failed; the NAT endpoint comes next, on its own clock.
            path.lanFailedAt = now
            path.since = now
            path.rxAtSince = observed.rxBytes
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
