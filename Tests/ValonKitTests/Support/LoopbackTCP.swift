#if canImport(Glibc)
import Glibc
#endif
import ValonKit

/// A TCP connection to 127.0.0.1 for tests, framing DNS messages with the two-byte length
/// of RFC 1035 §4.2.2 / RFC 7766 §8, to capture raw messages such as a zone transfer.
final class LoopbackTCP {
    let descriptor: Int32

    init(port: UInt16) throws {
        let fd = try retryingOnInterrupt("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        var address = LoopbackUDP.address(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                connect(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw SystemError(operation: "connect", target: "127.0.0.1:\(port)", errno: code)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Sends one message with its length prefix.
    func send(_ message: [UInt8]) throws {
        let framed = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        var sent = 0
        while sent < framed.count {
            sent += try framed[sent...].withUnsafeBytes { buffer in
                try retryingOnInterrupt("send") { Glibc.send(descriptor, buffer.baseAddress, buffer.count, 0) }
            }
        }
    }

    /// Reads one length-prefixed message, or `nil` if nothing arrives within the time-out
    /// or the server closes the connection.
    func receive(timeoutMilliseconds: Int32 = 5000) throws -> [UInt8]? {
        guard let prefix = try read(2, timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return try read(Int(prefix[0]) << 8 | Int(prefix[1]), timeoutMilliseconds: timeoutMilliseconds)
    }

    private func read(_ count: Int, timeoutMilliseconds: Int32) throws -> [UInt8]? {
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < count {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard try retryingOnInterrupt("poll", { poll(&poller, 1, timeoutMilliseconds) }) > 0 else { return nil }
            let wanted = count - result.count
            let received = try retryingOnInterrupt("recv") { recv(descriptor, &buffer, wanted, 0) }
            guard received > 0 else { return nil }
            result += buffer[..<received]
        }
        return result
    }
}
