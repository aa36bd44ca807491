/// Reads peers out of the key-value pairs under `<prefix>peers/`: pure, so that the
/// original layout, odd keys and damaged records are table-tested without etcd.
public enum PeerRecords {
    /// The raw fields of one peer as stored, with the etcd records they came from.
    public struct Fields: Sendable {
        public var keyText: String
        public var values: [String: EtcdKeyValue] = [:]

        public func value(_ field: PeerField) -> String? { values[field.rawValue]?.valueString }
        public func record(_ field: PeerField) -> EtcdKeyValue? { values[field.rawValue] }
    }

    /// Groups the records by peer (the 44-character key), in the order they come.
    public static func group(_ kvs: [EtcdKeyValue], keys: RegistryKeys) -> [Fields] {
        var order: [String] = []
        var byKey: [String: Fields] = [:]
        for kv in kvs {
            guard let (key, field) = keys.parsePeerKey(kv.key) else { continue }
            let keyText = String(key)
            if byKey[keyText] == nil {
                order.append(keyText)
                byKey[keyText] = Fields(keyText: keyText)
            }
            byKey[keyText]!.values[String(field)] = kv
        }
        return order.map { byKey[$0]! }
    }

    /// Builds a peer from its fields. The documented endpoint names win over the
    /// original's `endpoints/lan` and `endpoints/nated`. A malformed endpoint is dropped
    /// and reported in `problems`; a bad key, address or alias makes the record unusable.
    public static func peer(from fields: Fields, problems: inout [RegistryError]) -> Peer? {
        func bad(_ why: String) -> Peer? {
            problems.append(RegistryError(.invalidRecord, "peer record \(fields.keyText): \(why)", holder: fields.keyText))
            return nil
        }
        guard let key = try? WireGuardKey(base64: fields.keyText) else { return bad("the key is not base64 of 32 bytes") }
        guard let ipText = fields.value(.wgIP) else { return bad("no wg_ip") }
        guard let address = IPAddress(ipText) else { return bad("wg_ip \"\(ipText.prefix(64))\" is not an IP address") }
        guard let alias = fields.value(.alias), !alias.isEmpty else { return bad("no alias") }
        var peer = Peer(publicKey: key, alias: alias, wgIP: address)
        for kind in PeerEndpointKind.allCases {
            let (current, legacy) = PeerField.fields(for: kind)
            guard let text = fields.value(current) ?? fields.value(legacy), !text.isEmpty else { continue }
            guard let endpoint = Endpoint(text) else {
                problems.append(RegistryError(.invalidRecord, "peer \(alias) (\(fields.keyText)): \(kind.rawValue) endpoint \"\(text.prefix(64))\" is not ip:port",
                                              holder: fields.keyText))
                continue
            }
            switch kind {
            case .lan: peer.lanEndpoint = endpoint
            case .nat: peer.natEndpoint = endpoint
            }
        }
        return peer
    }

    /// Every readable peer in `kvs`, and why the others are not.
    public static func peers(from kvs: [EtcdKeyValue], keys: RegistryKeys) -> (peers: [Peer], problems: [RegistryError]) {
        var problems: [RegistryError] = []
        var peers: [Peer] = []
        for fields in group(kvs, keys: keys) {
            if let peer = peer(from: fields, problems: &problems) { peers.append(peer) }
        }
        return (peers, problems)
    }
}
