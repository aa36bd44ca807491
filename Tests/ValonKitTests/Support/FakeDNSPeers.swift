import Foundation
@testable import ValonKit

/// Test-owned sockets that play a DNS server's part badly on purpose, to check the
/// resolver's own filtering and error handling (the server under test elsewhere is NSD).
enum FakeDNSPeers {
    /// A UDP socket bound to 127.0.0.1 on a kernel-chosen port.
    static func boundUDPSocket() -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        precondition(descriptor >= 0, "socket: \(errno)")
        guard let port = FreePort.bind(descriptor, port: 0) else { preconditionFailure("bind: \(errno)") }
        return (descriptor, port)
    }

    /// Waits up to `milliseconds` for `descriptor` to become readable.
    static func waitReadable(_ descriptor: Int32, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// The datagrams waiting on `descriptor` and the source port of each, without blocking.
    static func drain(_ descriptor: Int32) -> [(bytes: [UInt8], port: UInt16)] {
        var datagrams: [(bytes: [UInt8], port: UInt16)] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while waitReadable(descriptor, milliseconds: 0) {
            var sender = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &sender) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
            }
            if count < 0 { break }
            datagrams.append((Array(buffer[..<count]), UInt16(bigEndian: sender.sin_port)))
        }
        return datagrams
    }

    static func send(_ bytes: [UInt8], from descriptor: Int32, to address: sockaddr_in) {
        var address = address
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}

/// A UDP "server" on 127.0.0.1 that answers each query with decoys first (a wrong ID,
/// a wrong question, the right reply from another port) and then, unless `honest` is
/// false, the right reply. Stopped by ``stop()``.
final class SpoofingUDPResponder: @unchecked Sendable {
    let port: UInt16
    let answer: IPv4Address
    let decoy: IPv4Address
    private let descriptor: Int32
    private let otherDescriptor: Int32
    private let stopped = Locked(false)
    private let finished = DispatchSemaphore(value: 0)

    init(answer: IPv4Address, decoy: IPv4Address, honest: Bool = true) {
        self.answer = answer
        self.decoy = decoy
        (descriptor, port) = FakeDNSPeers.boundUDPSocket()
        otherDescriptor = FakeDNSPeers.boundUDPSocket().descriptor
        let thread = Thread { [self] in
            serve(honest: honest)
            finished.signal()
        }
        thread.start()
    }

    func stop() {
        stopped.value = true
        finished.wait()
        close(descriptor)
        close(otherDescriptor)
    }

    private func serve(honest: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stopped.value {
            guard FakeDNSPeers.waitReadable(descriptor, milliseconds: 50) else { continue }
            var client = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &client) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length)
                }
            }
            guard count > 0, let query = try? DNSMessage(decoding: buffer[..<count]) else { continue }
            let question = query.questions[0]
            var wrongID = Self.reply(to: query, address: decoy)
            wrongID.header.id = query.header.id &+ 1
            var wrongQuestion = Self.reply(to: query, address: decoy)
            wrongQuestion.questions[0].name = (try? question.name.prepending("decoy")) ?? question.name
            var notAResponse = Self.reply(to: query, address: decoy)
            notAResponse.header.isResponse = false
            for decoyReply in [wrongID, wrongQuestion, notAResponse] {
                FakeDNSPeers.send(try! decoyReply.encoded(), from: descriptor, to: client)
            }
            FakeDNSPeers.send([0xDE, 0xAD], from: descriptor, to: client)
            FakeDNSPeers.send(try! Self.reply(to: query, address: decoy).encoded(), from: otherDescriptor, to: client)
            if honest {
                FakeDNSPeers.send(try! Self.reply(to: query, address: answer).encoded(), from: descriptor, to: client)
            }
        }
    }

    static func reply(to query: DNSMessage, address: IPv4Address) -> DNSMessage {
        var reply = query
        reply.header.isResponse = true
        reply.header.isAuthoritative = true
        reply.edns = nil
        reply.answers = [DNSResourceRecord(name: query.questions[0].name, dnsClass: .in, ttl: 60, data: .a(address))]
        return reply
    }
}

/// A TCP "server" on 127.0.0.1 that takes one connection, reads one framed query and
/// writes whatever `script` returns for the query's ID (as raw stream bytes), then
/// closes the connection.
final class ScriptedTCPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let finished = DispatchSemaphore(value: 0)

    init(script: @escaping @Sendable (_ query: DNSMessage, _ send: ([UInt8]) -> Bool) -> Void) {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        port = FreePort.bind(listener, port: 0)!
        listen(listener, 4)
        let listener = self.listener
        let thread = Thread { [finished] in
            defer { finished.signal() }
            guard FakeDNSPeers.waitReadable(listener, milliseconds: 10_000) else { return }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            var framer = DNSStreamFramer()
            var buffer = [UInt8](repeating: 0, count: 4096)
            var query: [UInt8]?
            while query == nil {
                guard FakeDNSPeers.waitReadable(connection, milliseconds: 10_000) else { return }
                let count = recv(connection, &buffer, buffer.count, 0)
                if count <= 0 { return }
                framer.append(buffer[..<count])
                query = framer.nextMessage()
            }
            guard let message = try? DNSMessage(decoding: query!) else { return }
            script(message) { bytes in
                var offset = 0
                while offset < bytes.count {
                    let sent = bytes[offset...].withUnsafeBytes {
                        Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    if sent <= 0 { return false }
                    offset += sent
                }
                return true
            }
        }
        thread.start()
    }

    /// Waits for the script to end and closes the listener.
    func stop() {
        finished.wait()
        close(listener)
    }
}
