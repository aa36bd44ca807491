#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A UDP socket for DNS NOTIFY (docs/ARCHITECTURE.md §12), bound to one address and port,
/// non-blocking, close-on-exec: the one `valon-sync --follow` takes NOTIFY on, and the one a
/// discovery node sends them from. It sends datagrams to an address and receives datagrams
/// with their sender; nothing else.
public final class NotifySocket: Sendable {
    /// The address and port bound (the kernel's port when 0 was asked for).
    public let local: Endpoint
    /// The descriptor, for `poll` beside other descriptors.
    public let descriptor: Int32

    /// Binds `local`. Fails with the `bind` error when the address is not (yet) on an
    /// interface (`EADDRNOTAVAIL`) or the port is taken (`EADDRINUSE`).
    public init(binding local: Endpoint, sendBuffer: Int32? = nil) throws(SystemError) {
        #if canImport(Glibc)
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_DGRAM
        #endif
        let descriptor = try retryingOnInterrupt("socket", target: local.description) { socket(local.socketFamily, type, 0) }
        #if !canImport(Glibc)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        #endif
        do {
            if var size = sendBuffer {
                try retryingOnInterrupt("setsockopt(SO_SNDBUF)", target: local.description) {
                    setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            try retryingOnInterrupt("bind", target: local.description) {
                local.withSocketAddress { address, length in bind(descriptor, address, length) }
            }
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.local = named == 0 ? Endpoint(socketAddress: bound) ?? local : local
    }

    deinit {
        close(descriptor)
    }

    /// One datagram and its sender, or `nil` when none is waiting. The count is the
    /// datagram's real size (`MSG_TRUNC`): larger than the buffer when it did not fit.
    public func receive(into buffer: inout [UInt8]) throws(SystemError) -> (count: Int, sender: Endpoint)? {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count: Int
            do {
                count = try retryingOnInterrupt("recvfrom", target: local.description) {
                    buffer.withUnsafeMutableBytes { bytes in
                        withUnsafeMutablePointer(to: &storage) { pointer in
                            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                recvfrom(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_TRUNC), $0, &length)
                            }
                        }
                    }
                }
            } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                return nil
            }
            // A sender of another family cannot arrive on a bound socket; skip it if it does.
            guard let sender = Endpoint(socketAddress: storage) else { continue }
            return (count, sender)
        }
    }

    /// Sends `bytes` to `destination` as one datagram. Fails with the kernel's error: `EAGAIN`
    /// when the send buffer is full, and on a WireGuard interface `ENOKEY` (no peer has the
    /// address) or `EDESTADDRREQ` (the peer has no endpoint).
    public func send(_ bytes: [UInt8], to destination: Endpoint) throws(SystemError) {
        try retryingOnInterrupt("sendto", target: destination.description) {
            destination.withSocketAddress { address, length in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
            }
        }
    }

    /// Waits up to `timeout` for a datagram; `true` when one is waiting.
    public func waitReadable(timeout: Duration) throws(SystemError) -> Bool {
        let milliseconds = Int32(max(1, min(timeout.components.seconds * 1000
            + timeout.components.attoseconds / 1_000_000_000_000_000, Int64(Int32.max))))
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return try retryingOnInterrupt("poll", target: local.description) { poll(&entry, 1, milliseconds) } > 0
    }
}
