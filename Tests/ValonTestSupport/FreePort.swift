import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ValonKit

/// Free loopback ports, chosen by the kernel at run time.
public enum FreePort {
    /// A port free for both UDP and TCP on 127.0.0.1 and ::1 at the moment of the call.
    public static func loopback() throws -> UInt16 {
        for _ in 0..<20 {
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp) }
            guard let port = bind(tcp, port: 0) else { continue }
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(udp) }
            let udp6 = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(udp6) }
            let tcp6 = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp6) }
            if bind(udp, port: port) != nil, bind6(udp6, port: port), bind6(tcp6, port: port) { return port }
        }
        throw SystemError(operation: "bind", target: "a free loopback port on 127.0.0.1 and ::1", errno: EADDRINUSE)
    }

    /// Binds to 127.0.0.1:`port` and returns the bound port.
    public static func bind(_ descriptor: Int32, port: UInt16) -> UInt16? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    public static func bind6(_ descriptor: Int32, port: UInt16) -> Bool {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        } == 0
    }
}
