#if canImport(Glibc)
import Glibc
#endif
import ValonKit

/// A TCP connection to 127.0.0.1 for tests: DNS messages framed with the two-byte length of
/// RFC 1035 §4.2.2 / RFC 7766 §8 (``send(_:)``, ``receive(timeoutMilliseconds:)``), and raw
/// bytes (``write(_:)``) for fuzzing a server. Same API as the copy dns-resolver keeps in
/// Tests/ValonKitTests/Support, which this one can replace.
public final class LoopbackTCP {
    public let descriptor: Int32

    public init(port: UInt16) throws {
        let fd = try retryingOnInterrupt("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        do {
            var address = LoopbackUDP.address(port: port)
            _ = try withUnsafePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    try retryingOnInterrupt("connect", target: "127.0.0.1:\(port)") {
                        connect(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        } catch {
            close(fd)
            throw error
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes`; `false` when the peer has closed the connection.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Sends one message with its length prefix.
    public func send(_ message: [UInt8]) throws {
        guard write([UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message) else {
            throw SystemError(operation: "send", target: "127.0.0.1", errno: errno)
        }
    }

    /// Reads exactly `count` bytes, or `nil` on close or when `timeoutMilliseconds` pass
    /// with nothing to read.
    public func read(_ count: Int, timeoutMilliseconds: Int32 = 2000) throws -> [UInt8]? {
        var result = [UInt8]()
        while result.count < count {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard try retryingOnInterrupt("poll", { poll(&poller, 1, timeoutMilliseconds) }) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count - result.count)
            let received = try retryingOnInterrupt("recv") { recv(descriptor, &buffer, buffer.count, 0) }
            guard received > 0 else { return nil }
            result += buffer[..<received]
        }
        return result
    }

    /// Reads one length-prefixed message, or `nil` if nothing arrives within the time-out
    /// or the server closes the connection.
    public func receive(timeoutMilliseconds: Int32 = 5000) throws -> [UInt8]? {
        guard let length = try read(2, timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return try read(Int(length[0]) << 8 | Int(length[1]), timeoutMilliseconds: timeoutMilliseconds)
    }
}
