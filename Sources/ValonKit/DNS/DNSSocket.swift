#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking UDP or TCP socket connected to one DNS server (RFC 1035 §4.2).
///
/// Each socket is fresh, so the kernel gives it a new ephemeral source port
/// (RFC 5452 §9.2); `connect` makes the kernel drop datagrams from any other address,
/// and ``receive(into:)`` still returns the sender so the caller can check it.
/// Every system call goes through ``retryingOnInterrupt(_:target:_:)``.
final class DNSSocket {
    enum Kind {
        case datagram
        case stream
    }

    /// What ``wait(for:until:cancellation:)`` saw.
    enum Readiness: Equatable {
        case ready(Int16)
        case timedOut
        case cancelled
    }

    let kind: Kind
    let server: Endpoint
    let descriptor: Int32

    init(_ kind: Kind, server: Endpoint) throws(SystemError) {
        self.kind = kind
        self.server = server
        #if canImport(Glibc)
        let type = Int32(kind == .datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
            | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = kind == .datagram ? SOCK_DGRAM : SOCK_STREAM
        #endif
        descriptor = try retryingOnInterrupt("socket", target: server.description) {
            socket(server.socketFamily, type, 0)
        }
        #if !canImport(Glibc)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        #endif
    }

    deinit {
        close(descriptor)
    }

    /// Starts connecting to the server; `true` when the socket is connected already
    /// (always for UDP), `false` when a TCP connect is in progress: wait for writability
    /// and call ``finishConnect()``.
    func startConnect() throws(SystemError) -> Bool {
        let result = server.withSocketAddress { address, length in
            connect(descriptor, address, length)
        }
        if result == 0 { return true }
        let code = errno
        switch code {
        case EINPROGRESS, EALREADY, EINTR: return false
        case EISCONN: return true
        default: throw SystemError(operation: "connect", target: server.description, errno: code)
        }
    }

    /// Reports the outcome of a connect that was in progress (`SO_ERROR`).
    func finishConnect() throws(SystemError) {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try retryingOnInterrupt("getsockopt(SO_ERROR)", target: server.description) {
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
        }
        if code != 0 { throw SystemError(operation: "connect", target: server.description, errno: code) }
    }

    /// Sends what the kernel takes of `bytes` (all of a datagram, or a prefix on TCP);
    /// `nil` when the socket would block.
    func transmit(_ bytes: ArraySlice<UInt8>) throws(SystemError) -> Int? {
        do {
            return try retryingOnInterrupt("send", target: server.description) {
                bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return nil
        }
    }

    /// Receives one datagram or some stream bytes into `buffer` (whose count is the
    /// capacity) and returns how many bytes arrived and from where; `nil` when nothing
    /// is waiting. A count of 0 on a stream socket means the server closed it.
    func receive(into buffer: inout [UInt8]) throws(SystemError) -> (count: Int, sender: Endpoint?)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count: Int
        do {
            count = try retryingOnInterrupt("recvfrom", target: server.description) {
                buffer.withUnsafeMutableBytes { bytes in
                    withUnsafeMutablePointer(to: &storage) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &length)
                        }
                    }
                }
            }
        } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return nil
        }
        let sender = kind == .datagram ? Endpoint(socketAddress: storage) : server
        return (count, sender)
    }

    /// Waits until one of `events` (`POLLIN`, `POLLOUT`) is ready, the deadline passes or
    /// `cancellation` is set (checked at least every 100 ms).
    func wait(for events: Int16, until deadline: ContinuousClock.Instant,
              cancellation: DNSCancellation?) throws(SystemError) -> Readiness {
        while true {
            if cancellation?.isCancelled == true { return .cancelled }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return .timedOut }
            let slice = min(remaining, .milliseconds(100))
            let milliseconds = Int32(slice.components.seconds * 1000
                + (slice.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = try retryingOnInterrupt("poll", target: server.description) {
                poll(&entry, 1, max(milliseconds, 1))
            }
            if ready > 0 { return .ready(entry.revents) }
        }
    }
}
