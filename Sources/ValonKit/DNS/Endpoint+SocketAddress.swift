#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Conversions between ``Endpoint`` and the kernel's `sockaddr_in`/`sockaddr_in6`
/// (<netinet/in.h>), for the resolver's sockets.
extension Endpoint {
    /// The socket family of the address: `AF_INET` or `AF_INET6`.
    var socketFamily: Int32 {
        address.isIPv4 ? AF_INET : AF_INET6
    }

    /// Calls `body` with this endpoint as a `sockaddr` and its length.
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch address {
        case .v4(let v4):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = port.bigEndian
            storage.sin_addr.s_addr = v4.value.bigEndian
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let v6):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage.sin6_addr) { raw in
                raw.copyBytes(from: v6.bytes)
            }
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Reads an IPv4 or IPv6 socket address filled in by `recvfrom`/`getsockname`;
    /// `nil` for any other family.
    init?(socketAddress storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let v4 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self.init(address: .v4(IPv4Address(value: UInt32(bigEndian: v4.sin_addr.s_addr))),
                      port: UInt16(bigEndian: v4.sin_port))
        case AF_INET6:
            let v6 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: v6.sin6_addr) { Array($0) }
            self.init(address: .v6(IPv6Address(bytes: bytes)), port: UInt16(bigEndian: v6.sin6_port))
        default:
            return nil
        }
    }
}
