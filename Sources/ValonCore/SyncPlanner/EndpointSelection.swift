/// Chooses, for one peer, the endpoint this client's WireGuard should send to: the peer's
/// LAN endpoint or its NAT (public) endpoint. Pure: it reads only its arguments.
///
/// The rules (docs/ARCHITECTURE.md §4):
/// 0. The relay, when the zone publishes one for the pair (docs/ARCHITECTURE.md §10): the
///    pair's direct paths failed and both peers switch to it together, so no hysteresis
///    keeps a direct endpoint instead.
/// 1. The LAN endpoint, if the peer has one and either its NAT address equals mine (both
///    sit behind the same NAT, where hairpinning through the NAT usually fails) or its
///    LAN address lies inside one of my directly connected subnets.
/// 2. Otherwise its NAT endpoint.
/// 3. Otherwise its LAN endpoint; otherwise none.
///
/// Hysteresis: when the interface already has an endpoint for the peer and a handshake
/// younger than ``EndpointSelection/freshHandshake`` (180 s, WireGuard's REJECT_AFTER_TIME),
/// the current endpoint is kept, since WireGuard roams to where the peer's packets really
/// come from (a NAT that gave the peer another port), unless rule 1 now says LAN and the
/// current endpoint is not the LAN one. A current endpoint is only kept while it still
/// belongs to the peer's registered NAT address: a fresh handshake does not
/// prove the path still works, and a peer that moved (a laptop leaving the office LAN)
/// would otherwise be sent to its old address until the handshake ages out, with no
/// registry change left to trigger another sync.
/// Equal input always gives equal output, so repeated runs never flap.
public enum EndpointSelection {
    /// A handshake younger than this counts as a working session.
    public static let freshHandshake: Duration = .seconds(180)

    /// ``freshHandshake`` in whole seconds, for comparing with a handshake's Unix time.
    public static var freshHandshakeSeconds: Int64 { freshHandshake.components.seconds }

    /// What this client knows about itself.
    public struct Local: Hashable, Sendable {
        /// My NAT endpoint's address as the discovery node sees it, if known.
        public var natAddress: IPAddress?
        /// The subnets of my interfaces' addresses (directly connected networks).
        public var connectedSubnets: [IPNetwork]

        public init(natAddress: IPAddress?, connectedSubnets: [IPNetwork]) {
            self.natAddress = natAddress
            self.connectedSubnets = connectedSubnets
        }
    }

    /// What the registry says about a peer's endpoints.
    public struct Candidates: Hashable, Sendable {
        public var lan: Endpoint?
        public var nat: Endpoint?
        /// The pair's relay on the discovery node (its address and the pair's port).
        public var relay: Endpoint?

        public init(lan: Endpoint?, nat: Endpoint?, relay: Endpoint? = nil) {
            self.lan = lan
            self.nat = nat
            self.relay = relay
        }
    }

    /// What the WireGuard interface currently holds for the peer.
    public struct Current: Hashable, Sendable {
        public var endpoint: Endpoint?
        /// Time since the latest handshake; `nil` when there has been none.
        public var handshakeAge: Duration?

        public init(endpoint: Endpoint?, handshakeAge: Duration?) {
            self.endpoint = endpoint
            self.handshakeAge = handshakeAge
        }

        public static let none = Current(endpoint: nil, handshakeAge: nil)
    }

    /// Why an endpoint was chosen.
    public enum Reason: String, Hashable, Sendable, Codable {
        /// Rule 1: same NAT address as mine.
        case lanSameNAT = "lan-same-nat"
        /// Rule 1: the LAN address is in one of my connected subnets.
        case lanConnectedSubnet = "lan-connected-subnet"
        /// Rule 2.
        case nat
        /// Rule 3: only a LAN endpoint is known.
        case lanOnly = "lan-only"
        /// Hysteresis: a fresh handshake on the current endpoint.
        case keptFreshHandshake = "kept-fresh-handshake"
        /// Rule 0: the pair is relayed by the discovery node.
        case relay
        /// No endpoint is known; the peer is configured without one.
        case none
    }

    public struct Choice: Hashable, Sendable {
        public var endpoint: Endpoint?
        public var reason: Reason

        /// `true` when the chosen endpoint is the peer's LAN endpoint.
        public var isLAN: Bool { reason == .lanSameNAT || reason == .lanConnectedSubnet || reason == .lanOnly }
    }

    /// Applies the rules and the hysteresis.
    public static func choose(local: Local, peer: Candidates, current: Current = .none) -> Choice {
        let preferred = rules(local: local, peer: peer)
        if preferred.reason == .relay { return preferred }
        let lanPreferred = preferred.reason == .lanSameNAT || preferred.reason == .lanConnectedSubnet
        guard let endpoint = current.endpoint, let age = current.handshakeAge, age < freshHandshake, age >= .zero else {
            return preferred
        }
        if endpoint == preferred.endpoint { return preferred }
        if !lanPreferred, let nat = peer.nat, endpoint.address == nat.address {
            return Choice(endpoint: endpoint, reason: .keptFreshHandshake)
        }
        return preferred
    }

    /// The rules without hysteresis.
    public static func rules(local: Local, peer: Candidates) -> Choice {
        if let relay = peer.relay { return Choice(endpoint: relay, reason: .relay) }
        if let lan = peer.lan {
            if let mine = local.natAddress, let theirs = peer.nat?.address, mine == theirs {
                return Choice(endpoint: lan, reason: .lanSameNAT)
            }
            if local.connectedSubnets.contains(where: { $0.contains(lan.address) }) {
                return Choice(endpoint: lan, reason: .lanConnectedSubnet)
            }
        }
        if let nat = peer.nat { return Choice(endpoint: nat, reason: .nat) }
        if let lan = peer.lan { return Choice(endpoint: lan, reason: .lanOnly) }
        return Choice(endpoint: nil, reason: .none)
    }
}
