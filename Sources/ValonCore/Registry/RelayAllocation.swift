/// One relayed pair as the registry stores it (docs/ARCHITECTURE.md §3.1, §10): the pair's
/// two public keys, in a fixed order so that either peer's request names the same record,
/// and the relay port both peers point their endpoint for each other at.
public struct RelayAllocation: Sendable, Hashable, Codable {
    /// The key whose base64 text sorts first.
    public let first: WireGuardKey
    public let second: WireGuardKey
    public let port: UInt16

    public init(between a: WireGuardKey, and b: WireGuardKey, port: UInt16) {
        (first, second) = Self.ordered(a, b)
        self.port = port
    }

    /// The two keys in the registry's order: by base64 text, byte by byte (etcd's order).
    public static func ordered(_ a: WireGuardKey, _ b: WireGuardKey) -> (WireGuardKey, WireGuardKey) {
        Array(a.base64.utf8).lexicographicallyPrecedes(Array(b.base64.utf8)) ? (a, b) : (b, a)
    }

    /// Whether `key` is one of the pair.
    public func involves(_ key: WireGuardKey) -> Bool { key == first || key == second }

    /// The other side of the pair for `key`, `nil` when `key` is neither.
    public func other(than key: WireGuardKey) -> WireGuardKey? {
        key == first ? second : key == second ? first : nil
    }

    /// Reads the allocations out of the records under `<prefix>relays/`. A record whose keys
    /// or port do not parse is left out and reported in `problems`.
    public static func allocations(from kvs: [EtcdKeyValue], keys: RegistryKeys) -> (allocations: [RelayAllocation], problems: [RegistryError]) {
        var allocations = [RelayAllocation](), problems = [RegistryError]()
        for kv in kvs {
            guard let (a, b) = keys.parseRelayKey(kv.key) else {
                problems.append(RegistryError(.invalidRecord, "relay record \(kv.keyString.prefix(160)): the key is not relays/<key>/<key>"))
                continue
            }
            guard let port = UInt16(kv.valueString), port > 0 else {
                problems.append(RegistryError(.invalidRecord, "relay record \(kv.keyString): the port \"\(kv.valueString.prefix(16))\" is not 1-65535"))
                continue
            }
            allocations.append(RelayAllocation(between: a, and: b, port: port))
        }
        return (allocations, problems)
    }
}
