/// Types the codec does not model whose RDATA may hold compressed names: a receiver must
/// decompress them (RFC 3597 §4), or the raw bytes would keep pointers into a message
/// they no longer belong to.
extension DNSRecordData {
    /// One field of such RDATA.
    enum CompressibleField {
        case uint16
        case name
    }

    /// The RFC 1035 types (MD, MF, MB, MG, MR, MINFO, MX) and those RFC 3597 §4 also names
    /// (RP, AFSDB, RT, PX), by their field layout.
    static let compressibleLayouts: [UInt16: [CompressibleField]] = [
        3: [.name], 4: [.name], 7: [.name], 8: [.name], 9: [.name],  // MD MF MB MG MR (RFC 1035 §3.3)
        14: [.name, .name],  // MINFO (RFC 1035 §3.3.7)
        15: [.uint16, .name],  // MX (RFC 1035 §3.3.9)
        17: [.name, .name],  // RP (RFC 1183 §2.2)
        18: [.uint16, .name],  // AFSDB (RFC 1183 §1)
        21: [.uint16, .name],  // RT (RFC 1183 §3.3)
        26: [.uint16, .name, .name],  // PX (RFC 2163 §4)
    ]

    /// Reads RDATA laid out as `fields`, returning it with every name in full wire form.
    static func decompressedRDATA(_ fields: [CompressibleField], from reader: inout DNSWireReader) throws(DNSError) -> [UInt8] {
        var bytes = [UInt8]()
        for field in fields {
            switch field {
            case .uint16:
                bytes += try reader.readBytes(2, "RDATA")
            case .name:
                bytes += try reader.readName("RDATA name").wireBytes
            }
        }
        return bytes
    }
}
