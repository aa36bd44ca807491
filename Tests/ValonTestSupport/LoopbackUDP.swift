#if canImport(Glibc)
import Glibc
#endif
import ValonKit

/// A UDP socket bound to 127.0.0.1 for tests: sends raw datagrams to a loopback port and
/// receives with a deadline. Tests use it to capture the exact bytes a real server (NSD)
/// or client (`dig`) puts on the wire.
public final class LoopbackUDP {
    public let descriptor: Int32
    /// The local port, chosen by the kernel unless given.
    public let port: UInt16

    public init(port: UInt16 = 0) throws {
        let fd = try retryingOnInterrupt("socket") { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
        do {
            var address = LoopbackUDP.address(port: port)
            _ = try withUnsafePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    try retryingOnInterrupt("bind", target: "127.0.0.1:\(port)") {
                        bind(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            var bound = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = try withUnsafeMutablePointer(to: &bound) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    try retryingOnInterrupt("getsockname") { getsockname(fd, raw, &length) }
                }
            }
            self.port = UInt16(bigEndian: bound.sin_port)
        } catch {
            close(fd)
            throw error
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    public static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// Sends `bytes` to 127.0.0.1:`port`.
    public func send(_ bytes: [UInt8], to port: UInt16) throws {
        var address = LoopbackUDP.address(port: port)
        _ = try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try retryingOnInterrupt("sendto", target: "127.0.0.1:\(port)") {
                    sendto(descriptor, bytes, bytes.count, 0, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Waits up to `milliseconds` for one datagram; `nil` on time-out. Returns the bytes
    /// and the sender's port.
    public func receive(timeoutMilliseconds milliseconds: Int32) throws -> (bytes: [UInt8], port: UInt16)? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = try retryingOnInterrupt("poll") { poll(&poller, 1, milliseconds) }
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var sender = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = try withUnsafeMutablePointer(to: &sender) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try retryingOnInterrupt("recvfrom") { recvfrom(descriptor, &buffer, buffer.count, 0, raw, &length) }
            }
        }
        return (Array(buffer[..<count]), UInt16(bigEndian: sender.sin_port))
    }

    /// Sends `query` to 127.0.0.1:`port` and returns the first reply, or `nil` after the
    /// time-out.
    public func exchange(_ query: [UInt8], with port: UInt16, timeoutMilliseconds: Int32 = 2000) throws -> [UInt8]? {
        try send(query, to: port)
        return try receive(timeoutMilliseconds: timeoutMilliseconds)?.bytes
    }
}
