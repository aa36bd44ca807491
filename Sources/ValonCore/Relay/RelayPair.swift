/// What the relay does with each datagram that reaches one relayed pair's port
/// (docs/ARCHITECTURE.md §10): pure, so every rule is table-tested without sockets.
///
/// The pair's two peers both point their endpoint for each other at this port. The relay
/// learns which source is which side from the handshakes themselves, and from nothing else:
/// a source is bound to a side only when
/// 1. its address is one the registry observed for that peer (its NAT or LAN endpoint's), and
/// 2. the datagram is a handshake initiation or response whose `mac1` is valid for the
///    *other* side's public key (the WireGuard paper §5.4.4), that is, it was made for the
///    peer it is going to.
///
/// After that, any WireGuard message from a bound source goes to the other side's bound
/// source. Everything else is dropped with a reason. A side that roams (a new NAT port)
/// rebinds with its next handshake. The relay never decrypts, and needs no key but the two
/// public keys the registry publishes anyway.
public struct RelayPair: Sendable {
    /// One side of the pair.
    public struct Side: Sendable, Hashable {
        public let publicKey: WireGuardKey
        /// The addresses the registry observed for this peer; sources elsewhere never bind.
        public var addresses: Set<IPAddress>
        /// The source this side's messages come from, once a handshake bound it.
        public internal(set) var bound: Endpoint?
        /// The key of `mac1` on handshakes sent *to* this side.
        let mac1Key: WireGuardMAC1Key

        init(publicKey: WireGuardKey, addresses: Set<IPAddress>) {
            self.publicKey = publicKey
            self.addresses = addresses
            mac1Key = WireGuardMAC1Key(receiver: publicKey)
        }
    }

    public enum Which: Sendable, Hashable {
        case first, second
        var other: Which { self == .first ? .second : .first }
    }

    public private(set) var first: Side
    public private(set) var second: Side
    /// Handshakes from unbound sources that may still be checked now (a token bucket):
    /// a flood from an observed address costs a bounded number of hashes.
    private var checkBudget: Double
    private var budgetTime: Double?

    /// Handshake checks per second from unbound sources, and the burst allowed.
    public static let checksPerSecond = 50.0
    public static let checkBurst = 50.0

    public init(first: WireGuardKey, addresses firstAddresses: Set<IPAddress>,
                second: WireGuardKey, addresses secondAddresses: Set<IPAddress>) {
        self.first = Side(publicKey: first, addresses: firstAddresses)
        self.second = Side(publicKey: second, addresses: secondAddresses)
        checkBudget = Self.checkBurst
    }

    public subscript(_ which: Which) -> Side {
        get { which == .first ? first : second }
        set { if which == .first { first = newValue } else { second = newValue } }
    }

    /// The side of `key`, if it is one of the pair's.
    public func side(of key: WireGuardKey) -> Which? {
        key == first.publicKey ? .first : key == second.publicKey ? .second : nil
    }

    /// New observed addresses for `key` (the registry changed). A bound source whose address
    /// is no longer among them is unbound, so it must prove itself again.
    public mutating func update(addresses: Set<IPAddress>, of key: WireGuardKey) {
        guard let which = side(of: key) else { return }
        self[which].addresses = addresses
        if let bound = self[which].bound, !addresses.contains(bound.address) { self[which].bound = nil }
    }

    /// What to do with `datagram` from `source`, at `now` (seconds on any monotonic clock).
    public mutating func route(_ datagram: some RandomAccessCollection<UInt8>, from source: Endpoint, now: Double) -> RelayDecision {
        guard let type = WireGuardMessageType.of(datagram) else { return .drop(.notWireGuard) }
        var sender: Which? = source == first.bound ? .first : source == second.bound ? .second : nil
        var binds = false
        if sender == nil {
            let candidates = [Which.first, .second].filter { self[$0].addresses.contains(source.address) }
            guard !candidates.isEmpty else { return .drop(.unknownSource) }
            guard type == .initiation || type == .response else { return .drop(.unboundSource) }
            guard spendCheck(now: now) else { return .drop(.rateLimited) }
            let message = Array(datagram)
            guard let which = candidates.first(where: { self[$0.other].mac1Key.validates(message) }) else {
                return .drop(.badMAC1)
            }
            self[which].bound = source
            sender = which
            binds = true
        }
        guard let sender, let destination = self[sender.other].bound else { return .drop(.peerNotBound, bound: binds) }
        return .forward(to: destination, type: type, bound: binds)
    }

    private mutating func spendCheck(now: Double) -> Bool {
        if let last = budgetTime {
            checkBudget = min(Self.checkBurst, checkBudget + max(0, now - last) * Self.checksPerSecond)
        }
        budgetTime = now
        guard checkBudget >= 1 else { return false }
        checkBudget -= 1
        return true
    }
}

/// The relay's decision for one datagram.
public enum RelayDecision: Sendable, Hashable {
    /// Send it on to `to`, from the pair's port. `bound`: this datagram bound its source.
    case forward(to: Endpoint, type: WireGuardMessageType, bound: Bool)
    /// Drop it. `bound`: it still bound its source (a valid handshake while the other side
    /// has none yet).
    case drop(RelayDropReason, bound: Bool = false)
}

/// Why the relay dropped a datagram; each is a label of the drop counter in `/metrics`.
public enum RelayDropReason: String, Sendable, Hashable, CaseIterable {
    /// Not one of WireGuard's four messages (type, reserved bytes, length).
    case notWireGuard = "not_wireguard"
    /// From an address the registry observed for neither peer.
    case unknownSource = "unknown_source"
    /// Transport data or a cookie reply from a source no handshake has bound.
    case unboundSource = "unbound_source"
    /// A handshake whose `mac1` is not valid for the other side's key.
    case badMAC1 = "bad_mac1"
    /// The other side has not sent a valid handshake yet.
    case peerNotBound = "peer_not_bound"
    /// Handshake checks from unbound sources past ``RelayPair/checksPerSecond``.
    case rateLimited = "rate_limited"
}
