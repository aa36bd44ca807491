/// A netlink request under construction: a `struct nlmsghdr`, a fixed family header
/// (`ifinfomsg`, `rtmsg`, `genlmsghdr`, …) and type-length-value attributes, laid out as
/// `<linux/netlink.h>` describes (every part padded to 4 bytes, integers in host order).
///
/// Pure bytes, no socket: requests are built here and compared with golden hex in tests;
/// ``NetlinkSocket`` only stamps the sequence number and sends them. The length field is
/// kept current after every append, like libmnl's `mnl_attr_put`.
public struct NetlinkMessage: Hashable, Sendable {
    /// The encoded message, `nlmsg_len` bytes.
    public private(set) var bytes: [UInt8]

    /// Starts a message with a 16-byte header: `nlmsg_len`, `nlmsg_type`, `nlmsg_flags`,
    /// `nlmsg_seq` (0 until sent), `nlmsg_pid` (0: the kernel).
    public init(type: UInt16, flags: UInt16) {
        bytes = []
        bytes.reserveCapacity(256)
        append(UInt32(Netlink.headerSize))
        append(type)
        append(flags)
        append(UInt32(0))
        append(UInt32(0))
    }

    public var type: UInt16 { read(UInt16.self, at: 4) }
    public var flags: UInt16 {
        get { read(UInt16.self, at: 6) }
        set { write(newValue, at: 6) }
    }
    public var sequence: UInt32 {
        get { read(UInt32.self, at: 8) }
        set { write(newValue, at: 8) }
    }
    /// The current length (`nlmsg_len`).
    public var count: Int { bytes.count }

    /// Appends a family header (already laid out by the caller), padded to 4 bytes.
    public mutating func appendHeader(_ header: [UInt8]) {
        bytes += header
        pad()
    }

    // MARK: Attributes

    /// Appends one attribute: `nla_len`, `nla_type`, the payload, padding.
    public mutating func put(_ type: UInt16, _ payload: some Collection<UInt8>) {
        append(UInt16(4 + payload.count))
        append(type)
        bytes += payload
        pad()
    }

    public mutating func put(_ type: UInt16, u8 value: UInt8) { put(type, [value]) }
    public mutating func put(_ type: UInt16, u16 value: UInt16) { put(type, Self.hostBytes(value)) }
    public mutating func put(_ type: UInt16, u32 value: UInt32) { put(type, Self.hostBytes(value)) }
    public mutating func put(_ type: UInt16, u64 value: UInt64) { put(type, Self.hostBytes(value)) }
    /// A NUL-terminated string (`NLA_NUL_STRING`, `mnl_attr_put_strz`).
    public mutating func put(_ type: UInt16, string: String) { put(type, Array(string.utf8) + [0]) }
    /// A flag attribute: no payload.
    public mutating func putFlag(_ type: UInt16) { put(type, [UInt8]()) }

    /// Opens a nested attribute and returns its offset for ``endNest(_:)``.
    /// The type gets `NLA_F_NESTED`, as libmnl's `mnl_attr_nest_start` does.
    public mutating func beginNest(_ type: UInt16) -> Int {
        let start = bytes.count
        append(UInt16(4))
        append(type | Netlink.AttributeFlag.nested)
        sync()
        return start
    }

    /// Closes a nest: writes its length.
    public mutating func endNest(_ start: Int) {
        write(UInt16(bytes.count - start), at: start)
    }

    /// Drops everything from `offset` on: a nest or attribute that did not fit.
    public mutating func truncate(to offset: Int) {
        precondition(offset >= Netlink.headerSize && offset <= bytes.count, "truncating outside the message")
        bytes.removeSubrange(offset...)
        sync()
    }

    // MARK: Encoding helpers

    /// The bytes of an integer in host order, as netlink carries integers.
    public static func hostBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        bytes += Self.hostBytes(value)
        sync()
    }

    private mutating func pad() {
        let padded = Netlink.aligned(bytes.count)
        if padded > bytes.count { bytes += [UInt8](repeating: 0, count: padded - bytes.count) }
        sync()
    }

    /// Keeps `nlmsg_len` equal to the byte count.
    private mutating func sync() {
        if bytes.count >= 4 { write(UInt32(bytes.count), at: 0) }
    }

    private mutating func write<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value) { raw in
            for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
        }
    }

    private func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        NetlinkReader.integer(T.self, bytes[offset..<(offset + MemoryLayout<T>.size)])!
    }
}
