/// When a discovery node writes a peer's learned `nat_endpoint`, with several nodes on one
/// registry (docs/ARCHITECTURE.md §11). Pure.
///
/// Each node sees the peer's packets arrive from some `address:port` and has a handshake
/// time for the peer. Next to the endpoint the registry keeps `nat_seen`: the handshake
/// time and the node that wrote it. The rules, so that two nodes never flap a value:
///
/// 1. The same endpoint as stored: nothing to write. A second node that sees exactly what the
///    first stored is evidence against a symmetric NAT, so a `nat_kind` mark is cleared.
/// 2. A value this node wrote (or one without `nat_seen`, as one node and the original left
///    it, or one whose writer is no longer a registered node): written on any change, as a
///    single node always did; WireGuard roams on the next authenticated packet, long before
///    the next handshake.
/// 3. Another node's value, another address (the peer moved): written only if this node's
///    handshake is newer than the stored one; otherwise the writer knows better (and writes
///    the move itself under rule 2).
/// 4. Another live node's value, the same address on another port: both nodes hear the peer
///    at once on two ports of one address, an endpoint-dependent (symmetric) NAT. Nothing is
///    written but the `nat_kind` mark; the writer keeps its value (a NAT that rebinds the
///    port is seen by the writer too, which writes it under rule 2, and the other node's
///    matching look then clears the mark under rule 1). Handshake times do not decide here:
///    a rule that let the newer handshake win would hand the value back and forth between two
///    nodes at every rekey.
public enum LearnedEndpointRule {
    /// What the registry holds for the peer.
    public struct Stored: Hashable, Sendable {
        public var endpoint: Endpoint?
        /// `nat_seen`: the handshake the endpoint was learned from, and by which node.
        public var seenAt: Int64?
        public var seenBy: WireGuardKey?
        public var kind: NATKind?

        public init(endpoint: Endpoint?, seenAt: Int64? = nil, seenBy: WireGuardKey? = nil, kind: NATKind? = nil) {
            self.endpoint = endpoint
            self.seenAt = seenAt
            self.seenBy = seenBy
            self.kind = kind
        }
    }

    /// What to change.
    public struct Decision: Hashable, Sendable {
        /// Write this endpoint (with `nat_seen` of this handshake and node).
        public var endpoint: Endpoint?
        /// Set (`.symmetric`) or clear (`.some(nil)`) `nat_kind`; `nil` leaves it.
        public var kind: NATKind??

        public init(endpoint: Endpoint?, kind: NATKind??) {
            self.endpoint = endpoint
            self.kind = kind
        }

        public static let nothing = Decision(endpoint: nil, kind: nil)
        /// Clear the `nat_kind` mark.
        public static let clearKind = Decision(endpoint: nil, kind: .some(nil))
        /// Mark the peer `nat_kind: symmetric`.
        public static let markSymmetric = Decision(endpoint: nil, kind: .some(.symmetric))
        /// Write `endpoint`.
        public static func write(_ endpoint: Endpoint) -> Decision { Decision(endpoint: endpoint, kind: nil) }
    }

    /// `liveNodes`: the discovery nodes registered now; `nil` when unknown (every writer counts as live).
    public static func decide(stored: Stored, observed: Endpoint, handshake: Int64?, node: WireGuardKey,
                              liveNodes: Set<WireGuardKey>? = nil) -> Decision {
        guard let current = stored.endpoint else { return .write(observed) }
        if current == observed {
            let secondOpinion = stored.seenBy != nil && stored.seenBy != node
            return secondOpinion && stored.kind != nil ? .clearKind : .nothing
        }
        guard let writer = stored.seenBy, writer != node, liveNodes?.contains(writer) ?? true else { return .write(observed) }
        let mine: Int64 = handshake ?? 0
        let theirs: Int64 = stored.seenAt ?? 0
        if current.address != observed.address { return mine > theirs ? .write(observed) : .nothing }
        return stored.kind == .symmetric ? .nothing : .markSymmetric
    }

    /// `nat_seen`'s value: `<unix time> <base64 key>`.
    public static func seenValue(at time: Int64, by node: WireGuardKey) -> String { "\(time) \(node.base64)" }

    /// Reads `nat_seen`; `nil` parts where it does not parse (a value written by hand).
    public static func parseSeen(_ text: String?) -> (at: Int64?, by: WireGuardKey?) {
        guard let parts = text?.split(separator: " ", maxSplits: 1), parts.count == 2 else { return (nil, nil) }
        return (Int64(parts[0]), try? WireGuardKey(base64: String(parts[1])))
    }
}
