#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request and its reply over a userspace implementation's UNIX stream socket: the
/// socket side of ``WireGuardUAPIBackend``. Every call goes through
/// ``retryingOnInterrupt(_:target:_:)``; failures become ``WireGuardError``s naming the
/// operation, the device and the socket path.
struct WireGuardUAPIConnection {
    /// The largest reply read (a `get` of 100,000 peers is about 40 MB).
    static let maximumReply = 256 << 20

    let path: String
    let device: String
    let operation: String
    let timeoutSeconds: Int

    /// Connects, sends `request`, and reads up to and including the blank line that ends
    /// the reply (without it in the result).
    func exchange(_ request: [UInt8]) throws(WireGuardError) -> [UInt8] {
        let descriptor = try openSocket()
        defer { close(descriptor) }
        try sendAll(request, on: descriptor)
        return try receiveReply(on: descriptor)
    }

    private func error(_ code: WireGuardError.Code, _ detail: String, _ cause: SystemError? = nil) -> WireGuardError {
        WireGuardError(code, operation: operation, device: device, detail, cause: cause)
    }

    private func openSocket() throws(WireGuardError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < capacity else {
            throw error(.invalidArgument, "socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        let descriptor: Int32
        do {
            descriptor = try retryingOnInterrupt("socket", target: path) { socket(AF_UNIX, type, 0) }
        } catch {
            throw self.error(.system, "cannot create a UNIX socket", error)
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        do {
            for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                try retryingOnInterrupt("setsockopt", target: path) { setsockopt(descriptor, SOL_SOCKET, option, &timeout, size) }
            }
        } catch {
            close(descriptor)
            throw self.error(.system, "cannot set the socket's timeouts", error)
        }
        do {
            try retryingOnInterrupt("connect", target: path) {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
        } catch {
            close(descriptor)
            switch error.errno {
            case ENOENT, ECONNREFUSED, ENOTDIR:
                throw self.error(.noSuchDevice, "no userspace WireGuard device listens on \(path)", error)
            case EACCES, EPERM:
                throw self.error(.permissionDenied, "not allowed to connect to \(path)", error)
            default:
                throw self.error(.system, "cannot connect to \(path)", error)
            }
        }
        return descriptor
    }

    private func sendAll(_ request: [UInt8], on descriptor: Int32) throws(WireGuardError) {
        var offset = 0
        while offset < request.count {
            do {
                let written = try retryingOnInterrupt("send", target: path) {
                    request.withUnsafeBytes { raw in
                        send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    }
                }
                offset += written
            } catch {
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                    throw self.error(.timedOut, "no progress sending the request for \(timeoutSeconds) s", error)
                }
                throw self.error(.system, "sending the request to \(path) failed after \(offset) of \(request.count) bytes", error)
            }
        }
    }

    private func receiveReply(on descriptor: Int32) throws(WireGuardError) -> [UInt8] {
        var reply = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var searchFrom = 0
        while true {
            let count: Int
            do {
                count = try retryingOnInterrupt("read", target: path) {
                    chunk.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress!, raw.count) }
                }
            } catch {
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                    throw self.error(.timedOut, "no reply within \(timeoutSeconds) s", error)
                }
                throw self.error(.system, "reading the reply from \(path) failed", error)
            }
            if count == 0 {
                throw error(.protocolError, reply.isEmpty
                    ? "the connection closed without a reply"
                    : "the connection closed before the blank line that ends the reply (\(reply.count) bytes read)")
            }
            reply.append(contentsOf: chunk[0..<count])
            // The reply ends at its first empty line: "\n\n", or a "\n" at the very start.
            if reply.first == UInt8(ascii: "\n") { return [] }
            var index = max(searchFrom, 1)
            while index < reply.count {
                if reply[index] == UInt8(ascii: "\n") && reply[index - 1] == UInt8(ascii: "\n") {
                    return Array(reply[0..<index])
                }
                index += 1
            }
            searchFrom = reply.count
            if reply.count > Self.maximumReply {
                throw error(.protocolError, "the reply exceeds \(Self.maximumReply) bytes without ending")
            }
        }
    }
}
