/// A cursor over the bytes of one DNS message, in the shape of SwiftNIO's `ByteBuffer`
/// reads (`readInteger`, `readBytes`), that turns every problem into a ``DNSError`` naming
/// the field, the entry being read and the byte offset.
///
/// Reads are bounded by ``end``: the end of the message, or of the current record's RDATA
/// inside ``readRDATA(length:_:)``. Compression pointers may still reach back to any
/// earlier byte of the message (RFC 1035 §4.1.4).
struct DNSWireReader {
    /// The section of the entry being read, for error messages.
    enum Section: String {
        case header, question, answer, authority, additional
    }

    let bytes: [UInt8]
    private(set) var position = 0
    /// The end of what may be read sequentially.
    private var end: Int
    /// The RDLENGTH of the RDATA being read, or `nil` outside RDATA.
    private var rdataLength: Int?

    /// The entry being read: section, 1-based index, and the record type once known.
    var section = Section.header
    var index = 0
    var type: DNSRecordType?

    init(bytes: [UInt8]) {
        self.bytes = bytes
        end = bytes.count
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position == end }

    /// `answer 2 (SRV)`, `question 1`, `header`.
    var entry: String {
        guard section != .header else { return "header" }
        return "\(section) \(index)" + (type.map { " (\($0))" } ?? "")
    }

    /// An error about `field` of the current entry at `offset`.
    func error(_ code: DNSError.Code, _ field: String, at offset: Int, _ detail: String) -> DNSError {
        DNSError(code, "\(field) of \(entry) at offset \(offset): \(detail)", offset: offset)
    }

    /// The error for a read of `count` bytes for `field` that does not fit: the message is
    /// truncated, or the RDATA is shorter than its content needs.
    /// `offset` is where the read starts, the current position unless given; `jumped` says
    /// the read follows a compression pointer, where the bound is the message, not the RDATA.
    @inline(never)
    private func shortRead(_ count: Int, _ field: String, at offset: Int? = nil, jumped: Bool = false) -> DNSError {
        let offset = offset ?? position
        if let rdataLength, !jumped {
            return error(.badRDLength, field, at: offset,
                         "needs \(count) bytes but the RDATA ends at offset \(end) (RDLENGTH \(rdataLength))")
        }
        return error(.truncated, field, at: offset,
                     "needs \(count) bytes but the message ends at offset \(jumped ? bytes.count : end)")
    }

    // The reads are inlined into the record decoder, and the error path stays out of line.

    @inline(__always)
    mutating func readUInt8(_ field: String) throws(DNSError) -> UInt8 {
        guard position < end else { throw shortRead(1, field) }
        let value = bytes[position]
        position += 1
        return value
    }

    @inline(__always)
    mutating func readUInt16(_ field: String) throws(DNSError) -> UInt16 {
        guard end - position >= 2 else { throw shortRead(2, field) }
        let value = UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
        position += 2
        return value
    }

    @inline(__always)
    mutating func readUInt32(_ field: String) throws(DNSError) -> UInt32 {
        guard end - position >= 4 else { throw shortRead(4, field) }
        let value = UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16
            | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
        position += 4
        return value
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(DNSError) -> [UInt8] {
        guard end - position >= count else { throw shortRead(count, field) }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// Reads RDATA of `length` bytes with `body`, and checks that `body` consumed exactly
    /// that many (RFC 1035 §3.2.1: RDLENGTH is the length of RDATA).
    mutating func readRDATA<T>(length: Int, _ body: (inout DNSWireReader) throws(DNSError) -> T) throws(DNSError) -> T {
        let start = position
        guard length <= end - position else {
            throw error(.badRDLength, "RDLENGTH", at: position - 2,
                        "\(length) bytes of RDATA run past the end of the message (\(end - position) bytes left)")
        }
        let savedEnd = end
        end = start + length
        rdataLength = length
        defer {
            end = savedEnd
            rdataLength = nil
        }
        let value = try body(&self)
        guard position == end else {
            throw error(.badRDLength, "RDLENGTH", at: start - 2,
                        "RDLENGTH is \(length) but the RDATA has \(position - start) bytes")
        }
        return value
    }

    /// The most compression pointers followed in one name. A legal name has at most 127
    /// labels, and an encoder needs at most one pointer per name; the bound makes the walk
    /// linear in the name's length whatever the input.
    static let maximumPointers = 127

    /// Reads a possibly compressed domain name (RFC 1035 §3.1, §4.1.4).
    ///
    /// A pointer must point strictly before the start of the labels that led to it, so
    /// every jump goes further back and the walk ends; a name is at most 255 bytes in
    /// wire form, a label at most 63 bytes, and the label types 0x40 (extended, RFC 6891 §5)
    /// and 0x80 (reserved) are refused.
    mutating func readName(_ field: String) throws(DNSError) -> DNSName {
        var storage = [UInt8]()
        storage.reserveCapacity(48)  // most names fit: one allocation, no regrowth
        let nameStart = position
        var cursor = position
        var segmentStart = position  // where the labels read since the last jump began
        var limit = end  // sequential bound: the RDATA or message, then the message after a jump
        var pointers = 0
        var firstPointer: Int?  // offset of the first pointer, the end of the name's own bytes
        while true {
            guard cursor < limit else {
                throw shortRead(1, field + " label length", at: cursor, jumped: firstPointer != nil)
            }
            let length = bytes[cursor]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    position = firstPointer.map { $0 + 2 } ?? cursor + 1
                    return DNSName(checkedStorage: storage)
                }
                guard Int(length) < limit - cursor else {
                    throw shortRead(1 + Int(length), field + " label", at: cursor, jumped: firstPointer != nil)
                }
                guard storage.count + 1 + Int(length) < DNSName.maximumWireLength else {
                    throw error(.nameTooLong, field, at: nameStart,
                                "the name is longer than 255 bytes in wire form (RFC 1035 §2.3.4)")
                }
                // Byte by byte: appending an ArraySlice retains and releases the message buffer.
                for index in cursor..<(cursor + 1 + Int(length)) { storage.append(bytes[index]) }
                cursor += 1 + Int(length)
            case 0xC0:
                guard cursor + 1 < limit else {
                    throw shortRead(2, field + " compression pointer", at: cursor, jumped: firstPointer != nil)
                }
                let target = Int(length & 0x3F) << 8 | Int(bytes[cursor + 1])
                try checkPointer(target, at: cursor, segmentStart: segmentStart, nameStart: nameStart,
                                 nameEnd: firstPointer ?? cursor, field: field)
                pointers += 1
                guard pointers <= DNSWireReader.maximumPointers else {
                    throw error(.badPointer, field, at: cursor,
                                "more than \(DNSWireReader.maximumPointers) compression pointers in one name")
                }
                if firstPointer == nil { firstPointer = cursor }
                cursor = target
                segmentStart = target
                limit = bytes.count
            default:
                throw error(.badLabelType, field, at: cursor, "label type 0x\(String(length & 0xC0, radix: 16)) (length byte "
                            + "\(length)): only plain labels of at most 63 bytes and pointers are allowed (RFC 6891 §5)")
            }
        }
    }

    /// Classifies a compression pointer at `offset` to `target`: it must point before
    /// `segmentStart` (RFC 1035 §4.1.4: "a prior occurrence").
    private func checkPointer(
        _ target: Int, at offset: Int, segmentStart: Int, nameStart: Int, nameEnd: Int, field: String
    ) throws(DNSError) {
        if target < segmentStart { return }
        if target == offset {
            throw error(.pointerLoop, field, at: offset, "compression pointer points to itself")
        }
        if target >= bytes.count {
            throw error(.badPointer, field, at: offset,
                        "compression pointer to offset \(target) is past the end of the message (\(bytes.count) bytes)")
        }
        if target < offset || (nameStart...nameEnd).contains(target) {
            // Back into the labels just read, or forward into this name's own bytes.
            throw error(.pointerLoop, field, at: offset,
                        "compression pointer to offset \(target) leads back into this name and would never end")
        }
        throw error(.badPointer, field, at: offset,
                    "compression pointer to offset \(target) points forward; pointers must point to a prior name")
    }
}
