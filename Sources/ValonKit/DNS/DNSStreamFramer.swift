/// The two-byte length prefix of DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8): frames
/// outgoing messages and cuts complete messages out of the bytes received so far,
/// however the stream splits them.
struct DNSStreamFramer {
    private var buffer: [UInt8] = []
    private var start = 0

    /// `message` preceded by its length in network byte order.
    static func frame(_ message: [UInt8]) -> [UInt8] {
        precondition(message.count <= Int(UInt16.max), "a DNS message over TCP is at most 65535 bytes")
        return [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// Bytes received but not yet returned as a message.
    var bufferedByteCount: Int { buffer.count - start }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or `nil` while its length or body is still incomplete.
    mutating func nextMessage() -> [UInt8]? {
        guard bufferedByteCount >= 2 else { return nil }
        let length = Int(buffer[start]) << 8 | Int(buffer[start + 1])
        guard bufferedByteCount >= 2 + length else { return nil }
        let message = Array(buffer[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        return message
    }
}
