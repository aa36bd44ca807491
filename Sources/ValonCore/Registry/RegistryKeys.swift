/// The registry's etcd key schema (docs/ARCHITECTURE.md §3), under a configurable prefix:
///
/// ```
/// <prefix>peers/<base64 key>/wg_ip | alias | lan_endpoint | nat_endpoint
/// <prefix>aliases/<alias>   → base64 key
/// <prefix>ips/<wg ip>       → base64 key   (the claim that makes allocation atomic)
/// <prefix>relays/<base64 key A>/<base64 key B> → port    (keys sorted; a relayed pair)
/// <prefix>relay-ports/<port>                   → <key A>/<key B>   (the port's claim)
/// <prefix>discovery/<base64 key>/wg_ip | endpoint | relay   (a discovery node, leased; §11)
/// ```
/// A base64 key is always 44 characters and may hold `/` and `+`, so a peer key is read
/// as the peers prefix, then exactly 44 characters, then `/` and the field name: it is
/// never split on `/`.
public struct RegistryKeys: Sendable, Hashable {
    /// The prefix, always ending in `/` (default `/valon/`).
    public let prefix: String

    public init(prefix: String = "/valon/") {
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    public var peers: String { prefix + "peers/" }
    public var aliases: String { prefix + "aliases/" }
    public var ips: String { prefix + "ips/" }
    public var relays: String { prefix + "relays/" }
    public var relayPorts: String { prefix + "relay-ports/" }
    public var discovery: String { prefix + "discovery/" }

    /// `<prefix>discovery/<base64>/`: every key of one discovery node.
    public func discoveryNode(_ key: WireGuardKey) -> String { discovery + key.base64 + "/" }

    /// One field of one discovery node.
    public func field(_ field: DiscoveryNode.Field, ofNode key: WireGuardKey) -> String { discoveryNode(key) + field.rawValue }

    /// Splits `<prefix>discovery/<44 characters>/<field>` into the key text and the field.
    public func parseDiscoveryKey(_ etcdKey: [UInt8]) -> (key: String, field: String)? {
        let head = Array(discovery.utf8)
        guard etcdKey.count > head.count + 45, etcdKey.starts(with: head),
              etcdKey[head.count + 44] == UInt8(ascii: "/") else { return nil }
        return (String(decoding: etcdKey[head.count..<head.count + 44], as: UTF8.self),
                String(decoding: etcdKey[(head.count + 45)...], as: UTF8.self))
    }

    /// `<prefix>peers/<base64>/`: every key of one peer.
    public func peer(_ key: WireGuardKey) -> String { peers + key.base64 + "/" }

    /// One field of one peer.
    public func field(_ field: PeerField, of key: WireGuardKey) -> String { peer(key) + field.rawValue }

    public func alias(_ alias: String) -> String { aliases + alias }

    public func ip(_ address: IPAddress) -> String { ips + address.description }

    /// `<prefix>relays/<A>/<B>` for a pair, its keys in ``RelayAllocation`` order.
    public func relay(_ first: WireGuardKey, _ second: WireGuardKey) -> String {
        let (a, b) = RelayAllocation.ordered(first, second)
        return relays + a.base64 + "/" + b.base64
    }

    /// `<prefix>relay-ports/<port>`, the claim that gives a port to one pair only.
    public func relayPort(_ port: UInt16) -> String { relayPorts + String(port) }

    /// The two keys of `<prefix>relays/<44 characters>/<44 characters>`, or `nil`.
    public func parseRelayKey(_ etcdKey: [UInt8]) -> (WireGuardKey, WireGuardKey)? {
        let head = Array(relays.utf8)
        guard etcdKey.count == head.count + 89, etcdKey.starts(with: head), etcdKey[head.count + 44] == UInt8(ascii: "/"),
              let first = try? WireGuardKey(base64: String(decoding: etcdKey[head.count..<head.count + 44], as: UTF8.self)),
              let second = try? WireGuardKey(base64: String(decoding: etcdKey[(head.count + 45)...], as: UTF8.self))
        else { return nil }
        return (first, second)
    }

    /// Splits `<prefix>peers/<44 characters>/<field>` into the 44-character key text and
    /// the field (which may itself hold `/`, as the original's `endpoints/lan` does).
    /// `nil` for any other key.
    public func parsePeerKey(_ etcdKey: [UInt8]) -> (key: Substring, field: Substring)? {
        let head = Array(peers.utf8)
        guard etcdKey.count > head.count + 45, etcdKey.starts(with: head),
              etcdKey[head.count + 44] == UInt8(ascii: "/") else { return nil }
        let text = String(decoding: etcdKey, as: UTF8.self)
        let utf8 = text.utf8
        let keyStart = utf8.index(utf8.startIndex, offsetBy: head.count)
        let keyEnd = utf8.index(keyStart, offsetBy: 44)
        guard let start = keyStart.samePosition(in: text), let end = keyEnd.samePosition(in: text) else { return nil }
        return (text[start..<end], text[text.index(after: end)...])
    }
}

/// The fields of a peer record, with the names the original Go code used for endpoints
/// (read, never written).
public enum PeerField: String, Sendable, Hashable, CaseIterable {
    case wgIP = "wg_ip"
    case alias = "alias"
    case lanEndpoint = "lan_endpoint"
    case natEndpoint = "nat_endpoint"
    /// The original's name for the LAN endpoint.
    case legacyLANEndpoint = "endpoints/lan"
    /// The original's name for the NAT endpoint.
    case legacyNATEndpoint = "endpoints/nated"
    /// Who learned `nat_endpoint`, and from which handshake: `<unix time> <node's base64 key>`
    /// (docs/ARCHITECTURE.md §11). Written with the endpoint, in the same transaction.
    case natSeen = "nat_seen"
    /// `symmetric` when two discovery nodes saw the peer at one address on different ports
    /// (an endpoint-dependent NAT, docs/ARCHITECTURE.md §11); absent otherwise.
    case natKind = "nat_kind"

    /// The documented field for an endpoint kind, and the original's name for it.
    public static func fields(for kind: PeerEndpointKind) -> (current: PeerField, legacy: PeerField) {
        switch kind {
        case .lan: (.lanEndpoint, .legacyLANEndpoint)
        case .nat: (.natEndpoint, .legacyNATEndpoint)
        }
    }
}
