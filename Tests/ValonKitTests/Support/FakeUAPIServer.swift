import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A UNIX stream socket at `DIRECTORY/NAME.sock` that answers each connection's request
/// with the next canned reply: for testing how the UAPI backend takes replies that a
/// real implementation never sends. It records every request it received.
final class FakeUAPIServer: @unchecked Sendable {
    /// What to do with one connection once its request has arrived.
    enum Reply: Sendable {
        /// Write these bytes in chunks of `chunk` bytes, then close.
        case bytes(String, chunk: Int = 1 << 16)
        /// Say nothing and keep the connection open until the server stops.
        case silence
    }

    let directory: String
    let name: String
    var path: String { "\(directory)/\(name).sock" }
    private let listener: Int32
    private let replies: [Reply]
    private let received = Locked([String]())
    private let done = DispatchSemaphore(value: 0)
    private let stopping = Locked(false)

    var requests: [String] { received.value }

    init(name: String = "vkfake0", replies: [Reply]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vk-uapi-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.name = name
        self.replies = replies
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array("\(directory)/\(name).sock".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 8) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "bind/listen \(path): errno \(errno)"])
        }
        // A thread of its own: GCD's global queue has as many workers as cores on Linux,
        // and a silent server holding one would starve the others.
        let thread = Thread { self.serve() }
        thread.start()
    }

    private func serve() {
        defer { done.signal() }
        for reply in replies {
            guard waitForConnection() else { return }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            received.value.append(readRequest(connection))
            switch reply {
            case .bytes(let text, let chunk):
                let bytes = Array(text.utf8)
                var offset = 0
                while offset < bytes.count {
                    let count = min(chunk, bytes.count - offset)
                    guard bytes[offset...].withUnsafeBytes({ send(connection, $0.baseAddress!, count, Int32(MSG_NOSIGNAL)) }) == count else { return }
                    offset += count
                }
            case .silence:
                while !stopping.value { usleep(10_000) }
            }
        }
    }

    /// Polls until a client connects (`true`) or ``stop()`` is called (`false`). The
    /// listener is closed only after this thread ends, so its descriptor number cannot be
    /// reused by another test's socket while this thread still uses it.
    private func waitForConnection() -> Bool {
        var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        while !stopping.value {
            if poll(&descriptor, 1, 20) > 0 { return true }
        }
        return false
    }

    /// Reads up to the blank line that ends a request (clients send one request and wait).
    private func readRequest(_ connection: Int32) -> String {
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while !(request.count >= 2 && request.suffix(2) == [10, 10]) {
            let count = chunk.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            request.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: request, as: UTF8.self)
    }

    /// Stops the serving thread, then closes the socket and removes the directory.
    func stop() {
        stopping.value = true
        done.wait()
        close(listener)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension FakeUAPIServer {
    /// Binds a UNIX socket at `path` and closes it without listening: the file stays, as
    /// after a crashed daemon, and connecting is refused.
    static func staleSocket(at path: String) throws -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }
}
