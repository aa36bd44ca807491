#if canImport(Glibc)
import Glibc
#endif
import Testing
import ValonDiscovery
import ValonKit

/// With port 0 the kernel picks the port; for UDP it may pick one that sockets with
/// SO_REUSEPORT or SO_REUSEADDR of the same user already hold, so two servers would split
/// each other's queries (seen as a forwarded query answered REFUSED by another test's
/// server). A kernel-picked port must therefore not be shareable.
@Suite("DNS server: a kernel-picked UDP port is not shared")
struct DNSServerPortSharingTests {
    /// A UDP socket with SO_REUSEADDR and SO_REUSEPORT bound to 127.0.0.1:`port` (0: the
    /// kernel picks): the descriptor, and the bound port, `nil` when the bind failed.
    static func reusableSocket(port: UInt16) -> (descriptor: Int32, port: UInt16?) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        precondition(fd >= 0, "socket: \(errno)")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return (fd, bound ? UInt16(bigEndian: address.sin_port) : nil)
    }

    /// Whether a socket with SO_REUSEADDR and SO_REUSEPORT can bind 127.0.0.1:`port` too.
    static func canShare(_ port: UInt16) -> Bool {
        let second = reusableSocket(port: port)
        close(second.descriptor)
        return second.port != nil
    }

    @Test("another socket with SO_REUSEPORT cannot bind the server's port-0 UDP port")
    func notShared() async throws {
        let server = DNSServerLifecycleTests.server()
        let task = Task { try await server.run() }
        defer { task.cancel() }
        let port = try await server.waitUntilBound()
        #expect(!Self.canShare(port), "UDP port \(port) accepted a second SO_REUSEPORT socket")
    }

    @Test("the check itself: a port held with SO_REUSEPORT does accept a second socket")
    func checkIsMeaningful() throws {
        let holder = Self.reusableSocket(port: 0)
        defer { close(holder.descriptor) }
        let port = try #require(holder.port)
        #expect(Self.canShare(port))
    }
}
