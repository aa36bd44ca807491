/// One message from a netlink reply buffer: the `nlmsghdr` fields and the payload after it.
public struct NetlinkReply: Hashable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    /// Everything after the 16-byte header (family header and attributes).
    public var payload: ArraySlice<UInt8>

    /// The attributes after a family header of `headerSize` bytes.
    public func attributes(after headerSize: Int) throws(NetlinkError) -> [NetlinkAttribute] {
        let start = payload.startIndex + Netlink.aligned(headerSize)
        guard start <= payload.endIndex else {
            throw NetlinkError(.malformedReply, "message type \(type) shorter than its \(headerSize)-byte header")
        }
        return try NetlinkReader.attributes(payload[start...])
    }
}

/// One type-length-value attribute (`struct nlattr`) of a reply.
public struct NetlinkAttribute: Hashable, Sendable {
    /// The type without `NLA_F_NESTED` / `NLA_F_NET_BYTEORDER`.
    public var type: UInt16
    public var payload: ArraySlice<UInt8>

    public var u8: UInt8? { payload.count == 1 ? payload.first : nil }
    public var u16: UInt16? { NetlinkReader.integer(UInt16.self, payload) }
    public var u32: UInt32? { NetlinkReader.integer(UInt32.self, payload) }
    public var u64: UInt64? { NetlinkReader.integer(UInt64.self, payload) }
    public var int32: Int32? { NetlinkReader.integer(Int32.self, payload) }
    /// A string attribute without its terminating NUL.
    public var string: String {
        String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
    }
    /// The attributes nested inside this one.
    public func nested() throws(NetlinkError) -> [NetlinkAttribute] {
        try NetlinkReader.attributes(payload)
    }
}

/// Splits netlink reply buffers into messages and attributes, checking every length
/// against the bytes present (a short or overlong length is a `malformedReply`).
public enum NetlinkReader {
    /// The messages in one datagram from the kernel.
    public static func messages(_ buffer: ArraySlice<UInt8>) throws(NetlinkError) -> [NetlinkReply] {
        var result = [NetlinkReply]()
        var offset = buffer.startIndex
        while buffer.endIndex - offset >= Netlink.headerSize {
            let length = Int(integer(UInt32.self, buffer[offset..<(offset + 4)])!)
            guard length >= Netlink.headerSize, length <= buffer.endIndex - offset else {
                throw NetlinkError(.malformedReply, "netlink message length \(length) at offset \(offset - buffer.startIndex) exceeds the \(buffer.count)-byte datagram")
            }
            result.append(NetlinkReply(
                type: integer(UInt16.self, buffer[(offset + 4)..<(offset + 6)])!,
                flags: integer(UInt16.self, buffer[(offset + 6)..<(offset + 8)])!,
                sequence: integer(UInt32.self, buffer[(offset + 8)..<(offset + 12)])!,
                portID: integer(UInt32.self, buffer[(offset + 12)..<(offset + 16)])!,
                payload: buffer[(offset + Netlink.headerSize)..<(offset + length)]
            ))
            offset += min(Netlink.aligned(length), buffer.endIndex - offset)
        }
        return result
    }

    /// The attributes in `bytes` (a message's attribute area or a nest's payload).
    public static func attributes(_ bytes: ArraySlice<UInt8>) throws(NetlinkError) -> [NetlinkAttribute] {
        var result = [NetlinkAttribute]()
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 4 {
            let length = Int(integer(UInt16.self, bytes[offset..<(offset + 2)])!)
            let type = integer(UInt16.self, bytes[(offset + 2)..<(offset + 4)])!
            guard length >= 4, length <= bytes.endIndex - offset else {
                throw NetlinkError(.malformedReply, "attribute type \(type & Netlink.AttributeFlag.typeMask) has length \(length) but \(bytes.endIndex - offset) bytes remain")
            }
            result.append(NetlinkAttribute(
                type: type & Netlink.AttributeFlag.typeMask,
                payload: bytes[(offset + 4)..<(offset + length)]
            ))
            offset += min(Netlink.aligned(length), bytes.endIndex - offset)
        }
        return result
    }

    /// A host-order integer from exactly `MemoryLayout<T>.size` bytes, or nil.
    public static func integer<T: FixedWidthInteger>(_: T.Type, _ bytes: ArraySlice<UInt8>) -> T? {
        guard bytes.count == MemoryLayout<T>.size else { return nil }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return value
    }
}

extension Array where Element == NetlinkAttribute {
    /// The first attribute of `type`.
    public func first(_ type: UInt16) -> NetlinkAttribute? { first { $0.type == type } }
}
