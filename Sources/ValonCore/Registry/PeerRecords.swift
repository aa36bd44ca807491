/// Reads peers out of the key-value pairs under `<prefix>peers/`: pure, so that the
/// original layout, odd keys and damaged records are table-tested without etcd.
public enum PeerRecords {
    /// The raw fields of one peer as stored, with the etcd records they came from.
    public struct Fields: Sendable {
        /// The 44-character base64 key as it appears in the etcd keys.
        public var keyText: String
        /// Every record of the peer, known fields or not.
        public var all: [EtcdKeyValue] = []
        private var known: [EtcdKeyValue?] = Array(repeating: nil, count: PeerField.allCases.count)

        init(keyText: String) { self.keyText = keyText }

        public func value(_ field: PeerField) -> String? { record(field)?.valueString }
        public func record(_ field: PeerField) -> EtcdKeyValue? { known[PeerRecords.index(of: field)] }

        mutating func add(_ kv: EtcdKeyValue, field: ArraySlice<UInt8>) {
            all.append(kv)
            if let index = PeerRecords.fieldNames.firstIndex(where: { $0.elementsEqual(field) }) { known[index] = kv }
        }
    }

    static let fieldNames: [[UInt8]] = PeerField.allCases.map { Array($0.rawValue.utf8) }

    static func index(of field: PeerField) -> Int { PeerField.allCases.firstIndex(of: field)! }

    /// Groups the records by peer (the 44-character key), in the order the peers first
    /// appear. etcd returns a range sorted by key, so a peer's records are consecutive; the
    /// grouping does not rely on it.
    public static func group(_ kvs: [EtcdKeyValue], keys: RegistryKeys) -> [Fields] {
        let head = Array(keys.peers.utf8)
        var groups: [Fields] = []
        var indexByKey: [String: Int] = [:]
        var current = -1
        var currentKey: ArraySlice<UInt8> = []
        for kv in kvs {
            let bytes = kv.key
            guard bytes.count > head.count + 45, bytes.starts(with: head),
                  bytes[head.count + 44] == UInt8(ascii: "/") else { continue }
            let key = bytes[head.count..<(head.count + 44)]
            if current < 0 || !key.elementsEqual(currentKey) {
                let text = String(decoding: key, as: UTF8.self)
                if let existing = indexByKey[text] {
                    current = existing
                } else {
                    current = groups.count
                    indexByKey[text] = current
                    groups.append(Fields(keyText: text))
                }
                currentKey = key
            }
            groups[current].add(kv, field: bytes[(head.count + 45)...])
        }
        return groups
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
        if let kind = fields.value(.natKind), !kind.isEmpty {
            if let known = NATKind(rawValue: kind) {
                peer.natKind = known
            } else {
                problems.append(RegistryError(.invalidRecord, "peer \(alias) (\(fields.keyText)): nat_kind \"\(kind.prefix(32))\" is not symmetric",
                                              holder: fields.keyText))
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
