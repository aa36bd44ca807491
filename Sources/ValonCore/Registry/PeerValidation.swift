/// Validation of what an operator or a peer hands the registry.
public enum PeerValidation {
    /// Labels the DNS server gives a meaning of its own under a peer or the zone.
    public static let reservedAliases: Set<String> = ["lan", "nated", "discovery"]

    /// Checks that `alias` is a DNS label (RFC 1035 §2.3.1, lowercase): 1–63 characters of
    /// `a-z`, `0-9` and `-`, neither starting nor ending with `-`, not one of
    /// ``reservedAliases``, not starting with `_` (DNS-SD's service labels), and not a
    /// 52-character key label, which would shadow another peer's key name.
    public static func alias(_ alias: String) throws(RegistryError) {
        let bytes = Array(alias.utf8)
        func refuse(_ why: String) -> RegistryError {
            RegistryError(.invalidAlias, "alias \"\(alias)\" \(why)")
        }
        guard !bytes.isEmpty else { throw refuse("is empty") }
        guard bytes.count <= 63 else { throw refuse("is \(bytes.count) characters long; a DNS label has at most 63") }
        if bytes.first == UInt8(ascii: "_") { throw refuse("starts with '_', which DNS-SD service labels use") }
        if let bad = bytes.first(where: { !isLabelCharacter($0) }) {
            let shown = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bad)
                ? "has an uppercase letter; aliases are lowercase"
                : "has the character \"\(String(decoding: [bad], as: UTF8.self))\"; only a-z, 0-9 and '-' are allowed"
            throw refuse(shown)
        }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            throw refuse("starts or ends with '-'")
        }
        if reservedAliases.contains(alias) { throw refuse("is reserved (lan, nated and discovery name records)") }
        if bytes.count == 52, (try? WireGuardKey(dnsLabel: alias)) != nil {
            throw refuse("looks like a peer's 52-character key label")
        }
    }

    /// Parses a public key given as text: base64 of exactly 32 bytes.
    public static func key(_ text: String) throws(RegistryError) -> WireGuardKey {
        do {
            return try WireGuardKey(base64: text)
        } catch {
            throw RegistryError(.invalidKey, "invalid public key: \(error.message)")
        }
    }

    /// Parses an endpoint given as text: `ipv4:port` or `[ipv6]:port`.
    public static func endpoint(_ text: String) throws(RegistryError) -> Endpoint {
        guard let endpoint = Endpoint(text) else {
            throw RegistryError(.invalidEndpoint,
                                "invalid endpoint \"\(text.prefix(64))\": expected ipv4:port or [ipv6]:port with a port of 1-65535")
        }
        return endpoint
    }

    private static func isLabelCharacter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}
