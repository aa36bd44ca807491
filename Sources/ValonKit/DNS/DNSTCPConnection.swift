#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to a DNS server carrying length-framed messages (RFC 7766):
/// queries are queued and written as the socket accepts them, replies are read as
/// they arrive, in any order, with partial reads and writes handled by the loop.
final class DNSTCPConnection {
    let socket: DNSSocket
    private var framer = DNSStreamFramer()
    private var outgoing: [UInt8] = []
    private var outgoingOffset = 0
    private var readBuffer = [UInt8](repeating: 0, count: 65_536)
    private let cancellation: DNSCancellation?

    /// Connects to `server`, waiting until `deadline`.
    init(server: Endpoint, deadline: ContinuousClock.Instant,
         cancellation: DNSCancellation?) throws(DNSTransportFailure) {
        self.cancellation = cancellation
        socket = try DNSTransportFailure.catching {
            let socket = try DNSSocket(.stream, server: server)
            if try !socket.startConnect() {
                switch try socket.wait(for: Int16(POLLOUT), until: deadline, cancellation: cancellation) {
                case .ready: try socket.finishConnect()
                case .timedOut: throw DNSTransportFailure.timedOut
                case .cancelled: throw DNSTransportFailure.cancelled
                }
            }
            return socket
        }
    }

    /// Queues `message` with its length prefix; it is written while waiting for replies.
    func enqueue(_ message: [UInt8]) {
        if outgoingOffset == outgoing.count {
            outgoing.removeAll(keepingCapacity: true)
            outgoingOffset = 0
        }
        outgoing += DNSStreamFramer.frame(message)
    }

    /// Bytes queued but not yet taken by the kernel.
    var unsentByteCount: Int { outgoing.count - outgoingOffset }

    /// Writes queued bytes and reads until a whole message has arrived and returns it.
    /// Throws ``DNSTransportFailure/closed(midMessage:)`` when the server closes first.
    func nextMessage(until deadline: ContinuousClock.Instant) throws(DNSTransportFailure) -> [UInt8] {
        try DNSTransportFailure.catching {
            while true {
                if let message = framer.nextMessage() { return message }
                try flush()
                let events = Int16(POLLIN) | (unsentByteCount > 0 ? Int16(POLLOUT) : 0)
                switch try socket.wait(for: events, until: deadline, cancellation: cancellation) {
                case .timedOut: throw DNSTransportFailure.timedOut
                case .cancelled: throw DNSTransportFailure.cancelled
                case .ready(let revents):
                    if revents & Int16(POLLOUT) != 0 { try flush() }
                    if revents & (Int16(POLLIN) | Int16(POLLERR) | Int16(POLLHUP)) != 0 { try readAvailable() }
                }
            }
        }
    }

    /// Writes what the kernel takes; a server that has gone away (EPIPE, ECONNRESET)
    /// counts as closed, so that pipelined queries can go out again on a new connection.
    private func flush() throws {
        while outgoingOffset < outgoing.count {
            let sent: Int?
            do {
                sent = try socket.transmit(outgoing[outgoingOffset...])
            } catch {
                throw closedIfGone(error)
            }
            guard let sent else { return }
            outgoingOffset += sent
        }
    }

    private func closedIfGone(_ error: SystemError) -> any Error {
        error.errno == EPIPE || error.errno == ECONNRESET
            ? DNSTransportFailure.closed(midMessage: framer.bufferedByteCount > 0) : error
    }

    private func readAvailable() throws {
        let received: (count: Int, sender: Endpoint?)?
        do {
            received = try socket.receive(into: &readBuffer)
        } catch {
            throw closedIfGone(error)
        }
        guard let (count, _) = received else { return }
        if count == 0 { throw DNSTransportFailure.closed(midMessage: framer.bufferedByteCount > 0) }
        framer.append(readBuffer[..<count])
    }
}
