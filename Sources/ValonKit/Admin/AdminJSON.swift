import Foundation

/// `valonctl`'s JSON output: snake_case keys, sorted, slashes unescaped (base64 keys
/// hold `/`), one document per command.
public enum AdminJSON {
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            preconditionFailure("valonctl output does not encode as JSON: \(error)")
        }
    }
}

/// One entry of `peer export`, the seed's format.
public struct PeerExport: Codable, Sendable, Hashable {
    public var pubkey: String
    public var ip: String
    public var alias: String

    public init(_ peer: Peer) {
        pubkey = peer.publicKey.base64
        ip = peer.wgIP.description
        alias = peer.alias
    }
}

/// A peer in `peer list --json`, `peer show --json`, `peer add --json`.
public struct PeerJSON: Codable, Sendable, Hashable {
    /// What the discovery interface knows of the peer.
    public struct InterfaceState: Codable, Sendable, Hashable {
        public var endpoint: String?
        public var allowedIPs: [String]
        /// Unix time of the last handshake; `nil` for none.
        public var lastHandshake: Int64?
        public var rxBytes: UInt64
        public var txBytes: UInt64

        enum CodingKeys: String, CodingKey {
            case endpoint, allowedIPs = "allowed_ips", lastHandshake = "last_handshake", rxBytes = "rx_bytes", txBytes = "tx_bytes"
        }

        /// Encodes `nil` optionals as `null`, so every key is always present.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(endpoint, forKey: .endpoint)
            try container.encode(allowedIPs, forKey: .allowedIPs)
            try container.encode(lastHandshake, forKey: .lastHandshake)
            try container.encode(rxBytes, forKey: .rxBytes)
            try container.encode(txBytes, forKey: .txBytes)
        }
    }

    public var alias: String
    public var pubkey: String
    public var wgIP: String
    public var lanEndpoint: String?
    public var natEndpoint: String?
    /// `nil` when the interface is missing or does not have the peer.
    public var interface: InterfaceState?
    /// The peers this one is relayed with through the discovery node (docs/ARCHITECTURE.md §10).
    public var relayedWith: [RelayPartner]

    /// One relayed pair of the peer: the other side and the pair's relay port.
    public struct RelayPartner: Codable, Sendable, Hashable {
        public var alias: String
        public var pubkey: String
        public var port: UInt16
    }

    enum CodingKeys: String, CodingKey {
        case alias, pubkey, wgIP = "wg_ip", lanEndpoint = "lan_endpoint", natEndpoint = "nat_endpoint", interface,
             relayedWith = "relayed_with"
    }

    public init(_ view: PeerView) {
        alias = view.peer.alias
        pubkey = view.peer.publicKey.base64
        wgIP = view.peer.wgIP.description
        lanEndpoint = view.peer.lanEndpoint?.description
        natEndpoint = view.peer.natEndpoint?.description
        interface = view.interfacePeer.map {
            InterfaceState(endpoint: $0.endpoint?.description, allowedIPs: $0.allowedIPs.map(\.description),
                           lastHandshake: $0.lastHandshake?.seconds, rxBytes: $0.rxBytes, txBytes: $0.txBytes)
        }
        relayedWith = view.relays.map { RelayPartner(alias: $0.alias, pubkey: $0.publicKey.base64, port: $0.port) }
    }

    /// Encodes `nil` optionals as `null`, so every key is always present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(alias, forKey: .alias)
        try container.encode(pubkey, forKey: .pubkey)
        try container.encode(wgIP, forKey: .wgIP)
        try container.encode(lanEndpoint, forKey: .lanEndpoint)
        try container.encode(natEndpoint, forKey: .natEndpoint)
        try container.encode(interface, forKey: .interface)
        try container.encode(relayedWith, forKey: .relayedWith)
    }
}

/// `peer add --json`.
public struct PeerAdditionJSON: Codable, Sendable, Hashable {
    public var peer: PeerJSON
    public var allocated: Bool
    public var interfaceUpdated: Bool
    public var interfaceNote: String?
    /// The client's wg-quick configuration (with the private key placeholder).
    public var wireguardConfig: String
    /// The client's `/etc/valon/client.conf`.
    public var clientConf: String

    enum CodingKeys: String, CodingKey {
        case peer, allocated, interfaceUpdated = "interface_updated", interfaceNote = "interface_note",
             wireguardConfig = "wireguard_config", clientConf = "client_conf"
    }

    public init(_ addition: PeerAddition) {
        peer = PeerJSON(PeerView(peer: addition.peer, interfacePeer: nil))
        allocated = addition.allocated
        interfaceUpdated = addition.interfaceUpdated
        interfaceNote = addition.interfaceNote
        wireguardConfig = addition.setup.wgQuickConfiguration
        clientConf = addition.setup.clientConfiguration.rendered()
    }
}

/// `peer remove --json`.
public struct PeerRemovalJSON: Codable, Sendable, Hashable {
    public var name: String
    /// `nil` for a damaged record, removed all the same.
    public var removed: PeerExport?
    public var removedFromInterface: Bool
    public var interfaceNote: String?

    enum CodingKeys: String, CodingKey {
        case name, removed, removedFromInterface = "removed_from_interface", interfaceNote = "interface_note"
    }

    public init(_ removal: PeerRemoval) {
        name = removal.name
        removed = removal.peer.map(PeerExport.init)
        removedFromInterface = removal.removedFromInterface
        interfaceNote = removal.interfaceNote
    }

    /// Encodes `nil` optionals as `null`, so every key is always present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(removed, forKey: .removed)
        try container.encode(removedFromInterface, forKey: .removedFromInterface)
        try container.encode(interfaceNote, forKey: .interfaceNote)
    }
}
