/// Records in the master-file presentation format (RFC 1035 §5.1) as `dig` and zone files
/// write them, with the RFC 3597 §5 generic form `\# <length> <hex>` for unknown types.
extension DNSResourceRecord: CustomStringConvertible {
    /// `name TTL CLASS TYPE RDATA`, fields separated by single spaces.
    public var description: String { "\(name) \(ttl) \(dnsClass) \(type) \(data)" }
}

extension DNSRecordData: CustomStringConvertible {
    /// The RDATA in presentation format: `100.100.0.2`, `0 0 51820 lan.client01.valon.internal.`,
    /// `"txtvers=1" "alias=client01"`, `\# 3 010203`.
    public var description: String {
        switch self {
        case .a(let address): address.description
        case .aaaa(let address): address.description
        case .ns(let name), .cname(let name), .ptr(let name): name.description
        case .soa(let soa):
            "\(soa.primaryServer) \(soa.responsibleMailbox) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .txt(let strings): strings.map(DNSRecordData.quoted).joined(separator: " ")
        case .srv(let srv): "\(srv.priority) \(srv.weight) \(srv.port) \(srv.target)"
        case .opt:
            DNSRecordData.generic(rdataBytes)
        case .unknown(_, let bytes): DNSRecordData.generic(bytes)
        }
    }

    /// The RDATA in uncompressed wire form.
    var rdataBytes: [UInt8] {
        var writer = DNSWireWriter(compress: false)
        // Only TXT and OPT can fail to encode; their description must still print something.
        do { try encode(into: &writer) } catch { return [] }
        return writer.bytes
    }

    /// A character-string in quotes (RFC 1035 §5.1): `"` and `\` escaped with a backslash,
    /// bytes outside 0x20–0x7E as `\DDD`, as BIND prints them.
    static func quoted(_ string: [UInt8]) -> String {
        var text: [UInt8] = [UInt8(ascii: "\"")]
        for byte in string {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                text += [UInt8(ascii: "\\"), byte]
            case 0x20...0x7E:
                text.append(byte)
            default:
                DNSName.appendDecimalEscape(byte, to: &text)
            }
        }
        text.append(UInt8(ascii: "\""))
        return String(decoding: text, as: UTF8.self)
    }

    /// The RFC 3597 §5 generic RDATA form, hex in upper case as BIND and `dig` print it.
    static func generic(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return bytes.isEmpty ? "\\# 0" : "\\# \(bytes.count) " + String(decoding: hex, as: UTF8.self)
    }
}
