/// Just enough of the protobuf wire format (varints and length-delimited fields,
/// https://protobuf.dev/programming-guides/encoding/) for etcd's Range call over gRPC.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A length-delimited field (wire type 2); left out when empty, as proto3 does.
    mutating func field(_ number: Int, bytes value: [UInt8]) {
        guard !value.isEmpty else { return }
        varint(UInt64(number << 3 | 2))
        varint(UInt64(value.count))
        bytes += value
    }

    /// A varint field (wire type 0); left out when zero.
    mutating func field(_ number: Int, int64 value: Int64) {
        guard value != 0 else { return }
        varint(UInt64(number << 3))
        varint(UInt64(bitPattern: value))
    }

    mutating func field(_ number: Int, bool value: Bool) {
        field(number, int64: value ? 1 : 0)
    }
}

/// Why protobuf bytes could not be read.
struct ProtobufError: Error, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "protobuf: \(reason) at offset \(offset)" }
}

/// Reads protobuf fields from a byte buffer, in order, without recursion.
struct ProtobufReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    /// The next field's number and wire type, or `nil` at the end.
    mutating func nextField() throws(ProtobufError) -> (number: Int, wireType: Int)? {
        guard position < end else { return nil }
        let tag = try varint()
        guard tag >> 3 > 0, tag >> 3 < 1 << 29 else { throw ProtobufError(offset: position, reason: "invalid field number") }
        return (Int(tag >> 3), Int(tag & 7))
    }

    mutating func varint() throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { break }
        }
        throw ProtobufError(offset: position, reason: "truncated or overlong varint")
    }

    mutating func int64() throws(ProtobufError) -> Int64 { Int64(bitPattern: try varint()) }

    /// The byte range of a length-delimited field's contents.
    mutating func lengthDelimited() throws(ProtobufError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw ProtobufError(offset: position, reason: "length \(length) runs past the end")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    mutating func skip(wireType: Int) throws(ProtobufError) {
        switch wireType {
        case 0: _ = try varint()
        case 1: try advance(8)
        case 2: _ = try lengthDelimited()
        case 5: try advance(4)
        default: throw ProtobufError(offset: position, reason: "unsupported wire type \(wireType)")
        }
    }

    private mutating func advance(_ count: Int) throws(ProtobufError) {
        guard end - position >= count else { throw ProtobufError(offset: position, reason: "truncated field") }
        position += count
    }
}
