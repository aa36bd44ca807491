/// Builds the bytes of one DNS message, in the shape of SwiftNIO's `ByteBuffer` writes
/// (`writeInteger`, `writeBytes`, `writeLengthPrefixed`), with RFC 1035 §4.1.4 name
/// compression.
struct DNSWireWriter {
    private(set) var bytes: [UInt8]
    /// Where each name suffix already written starts; `nil` when the message is written
    /// without compression.
    private var compression: DNSCompressionTable?

    /// A pointer holds a 14-bit offset, so only names in the first 16 KiB can be targets.
    static let maximumPointerTarget = 0x3FFF

    init(compress: Bool, capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        compression = compress ? DNSCompressionTable() : nil
    }

    mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Writes a header count (RFC 1035 §4.1.1), refusing one over 65535.
    mutating func writeCount(_ count: Int, _ field: String) throws(DNSError) {
        guard count <= Int(UInt16.max) else {
            throw DNSError(.messageTooLarge, "\(field) would be \(count); the field holds at most 65535")
        }
        writeUInt16(UInt16(count))
    }

    mutating func writeBytes(_ data: some Collection<UInt8>) {
        bytes.append(contentsOf: data)
    }

    /// Overwrites two bytes at `offset` (a count or a length written before it was known).
    mutating func setUInt16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Drops everything from `size` on, and the compression targets in it: a record that
    /// did not fit is taken back.
    mutating func truncate(to size: Int) {
        bytes.removeSubrange(size...)
        compression?.removeEntries(from: size)
    }

    /// Writes a name. A `compressible` name (owner names and the names in RDATA that
    /// RFC 3597 §4 lists: NS, CNAME, PTR, SOA) ends in a pointer to the longest suffix
    /// already written, and its new suffixes become pointer targets. Other names (the SRV
    /// target, RFC 2782) are written in full and are not targets, as NSD does.
    mutating func writeName(_ name: DNSName, compressible: Bool) {
        guard compressible, compression != nil else {
            bytes.append(contentsOf: name.storage)
            bytes.append(0)
            return
        }
        let storage = name.storage
        var labelStart = 0
        while labelStart < storage.count {
            let suffix = storage[labelStart...]
            if let target = compression?.offset(of: suffix) {
                writeUInt16(0xC000 | target)
                return
            }
            if bytes.count <= DNSWireWriter.maximumPointerTarget {
                compression?.insert(suffix, at: UInt16(bytes.count))
            }
            let labelEnd = labelStart + 1 + Int(storage[labelStart])
            bytes.append(contentsOf: storage[labelStart..<labelEnd])
            labelStart = labelEnd
        }
        bytes.append(0)
    }

    /// Writes a 16-bit length, then `body`, then fills in the length with the number of
    /// bytes `body` wrote: RDLENGTH (RFC 1035 §4.1.3) and the EDNS OPTION-LENGTH.
    mutating func writeLengthPrefixed(
        _ field: String, _ body: (inout DNSWireWriter) throws(DNSError) -> Void
    ) throws(DNSError) {
        let lengthOffset = bytes.count
        writeUInt16(0)
        try body(&self)
        let length = bytes.count - lengthOffset - 2
        guard length <= Int(UInt16.max) else {
            throw DNSError(.messageTooLarge, "\(field) would be \(length) bytes; the field holds at most 65535")
        }
        setUInt16(UInt16(length), at: lengthOffset)
    }
}
