/// The wire form of RDATA (RFC 1035 §3.3, §3.4; RFC 3596; RFC 2782; RFC 6891 §6.1.2).
extension DNSRecordData {
    /// Decodes `length` bytes of RDATA of `type` in `dnsClass` at the reader's position.
    ///
    /// A and AAAA are Internet-class types (RFC 1035 §3.4), so in other classes, like any
    /// unknown type, their RDATA stays raw bytes (RFC 3597 §3); so does the empty RDATA of a
    /// known type in class NONE or ANY (RFC 2136 §2.4 prerequisites, §2.5 deletions). Names in NS, CNAME, PTR,
    /// SOA and SRV may be compressed (RFC 3597 §4 asks receivers to accept that for SRV);
    /// so may those in MX and the other types of ``compressibleLayouts``, which are kept
    /// raw but decompressed.
    static func decode(
        type: DNSRecordType, dnsClass: DNSClass, length: Int, from reader: inout DNSWireReader
    ) throws(DNSError) -> DNSRecordData {
        if length == 0 && type != .opt && (dnsClass == .none || dnsClass == .any) {
            return .unknown(type: type, bytes: [])
        }
        switch type {
        case .a where dnsClass == .in:
            return .a(IPv4Address(value: try reader.readUInt32("A address")))
        case .aaaa where dnsClass == .in:
            return .aaaa(IPv6Address(bytes: try reader.readBytes(16, "AAAA address")))
        case .ns:
            return .ns(try reader.readName("NSDNAME"))
        case .cname:
            return .cname(try reader.readName("CNAME"))
        case .ptr:
            return .ptr(try reader.readName("PTRDNAME"))
        case .soa:
            return .soa(DNSSOA(
                primaryServer: try reader.readName("SOA MNAME"), responsibleMailbox: try reader.readName("SOA RNAME"),
                serial: try reader.readUInt32("SOA SERIAL"), refresh: try reader.readUInt32("SOA REFRESH"),
                retry: try reader.readUInt32("SOA RETRY"), expire: try reader.readUInt32("SOA EXPIRE"),
                minimum: try reader.readUInt32("SOA MINIMUM")
            ))
        case .txt:
            guard length > 0 else {
                throw reader.error(.invalidRecord, "RDATA", at: reader.position,
                                   "TXT RDATA is empty; it holds one or more character-strings (RFC 1035 §3.3.14)")
            }
            var strings = [[UInt8]]()
            while !reader.isAtEnd {
                let count = try reader.readUInt8("TXT string length")
                strings.append(try reader.readBytes(Int(count), "TXT string"))
            }
            return .txt(strings)
        case .srv:
            return .srv(DNSSRV(
                priority: try reader.readUInt16("SRV priority"), weight: try reader.readUInt16("SRV weight"),
                port: try reader.readUInt16("SRV port"), target: try reader.readName("SRV target")
            ))
        case .opt:
            var options = [DNSOption]()
            while !reader.isAtEnd {
                let code = try reader.readUInt16("OPTION-CODE")
                let count = try reader.readUInt16("OPTION-LENGTH")
                options.append(DNSOption(code: DNSOption.Code(rawValue: code), data: try reader.readBytes(Int(count), "OPTION-DATA")))
            }
            return .opt(options)
        default:
            if let fields = compressibleLayouts[type.rawValue] {
                return .unknown(type: type, bytes: try decompressedRDATA(fields, from: &reader))
            }
            return .unknown(type: type, bytes: try reader.readBytes(length, "RDATA"))
        }
    }

    /// Writes the RDATA (without RDLENGTH). NS, CNAME, PTR and SOA names are compressed
    /// when the writer compresses (RFC 3597 §4); the SRV target never is (RFC 2782), and
    /// unknown RDATA is written as it is.
    ///
    /// - Throws: ``DNSError/Code/invalidRecord`` for a TXT record without strings or with
    ///   a string over 255 bytes, ``DNSError/Code/messageTooLarge`` for an EDNS option
    ///   over 65535 bytes.
    func encode(into writer: inout DNSWireWriter) throws(DNSError) {
        switch self {
        case .a(let address):
            writer.writeUInt32(address.value)
        case .aaaa(let address):
            writer.writeBytes(address.bytes)
        case .ns(let name), .cname(let name), .ptr(let name):
            writer.writeName(name, compressible: true)
        case .soa(let soa):
            writer.writeName(soa.primaryServer, compressible: true)
            writer.writeName(soa.responsibleMailbox, compressible: true)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writer.writeUInt32(value) }
        case .txt(let strings):
            guard !strings.isEmpty else {
                throw DNSError(.invalidRecord, "a TXT record holds one or more character-strings (RFC 1035 §3.3.14)")
            }
            for string in strings {
                guard string.count <= 255 else {
                    throw DNSError(.invalidRecord, "a TXT character-string is \(string.count) bytes; at most 255 (RFC 1035 §3.3)")
                }
                writer.writeUInt8(UInt8(string.count))
                writer.writeBytes(string)
            }
        case .srv(let srv):
            writer.writeUInt16(srv.priority)
            writer.writeUInt16(srv.weight)
            writer.writeUInt16(srv.port)
            writer.writeName(srv.target, compressible: false)
        case .opt(let options):
            for option in options {
                writer.writeUInt16(option.code.rawValue)
                try writer.writeLengthPrefixed("OPTION-DATA of \(option.code)") { (writer: inout DNSWireWriter) in
                    writer.writeBytes(option.data)
                }
            }
        case .unknown(_, let bytes):
            writer.writeBytes(bytes)
        }
    }
}
