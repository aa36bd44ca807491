import Synchronization
import CMnl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A netlink socket (libmnl) that sends one request at a time and collects its replies.
///
/// Each request gets the next sequence number and `NLM_F_ACK`; the socket reads until the
/// kernel's acknowledgement (or `NLMSG_DONE` for a dump, whose replies may span many
/// datagrams), and turns a negative `NLMSG_ERROR` into ``NetlinkError`` with the `errno`,
/// the operation and the interface it named. Extended ACKs are on, so the kernel's own
/// explanation ("Unknown device type") is part of the message. A dump the kernel marks
/// `NLM_F_DUMP_INTR` (changed while it was read) is repeated.
///
/// A netlink socket belongs to the network namespace of the thread that opened it and
/// stays there: to act inside a namespace, open the socket on a thread that has entered it
/// with `setns(2)`; it may then be used from any thread. Requests are serialized by a lock.
public final class NetlinkSocket: @unchecked Sendable {
    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32
    /// Held for a whole request: the sequence number and the buffer belong to one at a time.
    private let gate = Mutex(())
    private var buffer: [UInt8]

    /// The receive buffer: larger than any datagram the kernel builds for a dump.
    public static let receiveBufferSize = 64 * 1024

    /// Opens and binds a socket for `bus` (``Netlink/Bus``).
    public init(bus: Int32) throws(NetlinkError) {
        guard let socket = mnl_socket_open(bus) else {
            throw NetlinkError(.socket, "cannot open a netlink socket (bus \(bus))",
                               cause: SystemError(operation: "mnl_socket_open", errno: errno))
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw NetlinkError(.socket, "cannot bind a netlink socket (bus \(bus))",
                               cause: SystemError(operation: "mnl_socket_bind", errno: code))
        }
        var one: Int32 = 1
        // Best effort: kernels without extended ACKs still send plain errors.
        _ = mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = mnl_socket_setsockopt(socket, NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
        self.socket = socket
        self.portID = mnl_socket_get_portid(socket)
        self.sequence = UInt32(truncatingIfNeeded: time(nil))
        self.buffer = [UInt8](repeating: 0, count: Self.receiveBufferSize)
    }

    deinit { mnl_socket_close(socket) }

    /// Sends `message` with `NLM_F_ACK` and returns the data messages of the reply.
    ///
    /// - Parameters:
    ///   - operation: names the request in errors (`"RTM_NEWLINK"`, `"WG_CMD_SET_DEVICE"`).
    ///   - target: what it acts on (an interface, an address) for errors.
    public func request(
        _ message: NetlinkMessage, operation: String, target: String = ""
    ) throws(NetlinkError) -> [NetlinkReply] {
        try gate.withLock { _ throws(NetlinkError) in
            var attempt = 1
            while true {
                let (replies, interrupted) = try exchange(message, operation: operation, target: target)
                // NLM_F_DUMP_INTR: the object changed during the dump (peers added while a
                // device was read), so the parts may not fit together: dump again, as `wg` does.
                if !interrupted || attempt == Self.dumpAttempts { return replies }
                attempt += 1
            }
        }
    }

    /// How often a dump that the kernel marks interrupted is repeated.
    static let dumpAttempts = 10

    /// One request and its replies; whether a dump reply carried `NLM_F_DUMP_INTR`.
    private func exchange(
        _ message: NetlinkMessage, operation: String, target: String
    ) throws(NetlinkError) -> ([NetlinkReply], Bool) {
        var message = message
        sequence &+= 1
        message.sequence = sequence
        message.flags |= Netlink.Flag.ack
        let isDump = message.flags & Netlink.Flag.dump == Netlink.Flag.dump
        try send(message, operation: operation, target: target)

        var replies = [NetlinkReply]()
        var interrupted = false
        while true {
            let count = try receive(operation: operation, target: target)
            for reply in try NetlinkReader.messages(buffer[0..<count]) {
                guard reply.sequence == sequence, reply.portID == portID || reply.portID == 0 else { continue }
                interrupted = interrupted || reply.flags & Netlink.Flag.dumpInterrupted != 0
                switch reply.type {
                case Netlink.MessageType.error:
                    let code = try Self.errorCode(reply, operation: operation)
                    if code != 0 {
                        throw Self.kernelError(errno: code, reply: reply, operation: operation, target: target)
                    }
                    if !isDump { return (replies, false) }
                case Netlink.MessageType.done:
                    return (replies, interrupted)
                case Netlink.MessageType.noop, Netlink.MessageType.overrun:
                    continue
                default:
                    replies.append(reply)
                }
            }
        }
    }

    private func send(_ message: NetlinkMessage, operation: String, target: String) throws(NetlinkError) {
        let outcome = message.bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in
                try retryingOnInterrupt("sendto", target: operation) { mnl_socket_sendto(socket, raw.baseAddress, raw.count) }
            }
        }
        if case .failure(let error) = outcome {
            throw NetlinkError(.socket, "\(operation) \(target): cannot send the request", cause: error)
        }
    }

    private func receive(operation: String, target: String) throws(NetlinkError) -> Int {
        let outcome = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SystemError) in
                try retryingOnInterrupt("recvfrom", target: operation) { mnl_socket_recvfrom(socket, raw.baseAddress, raw.count) }
            }
        }
        switch outcome {
        case .success(let count): return Int(count)
        case .failure(let error): throw NetlinkError(.socket, "\(operation) \(target): cannot read the reply", cause: error)
        }
    }

    /// The positive errno of an `NLMSG_ERROR` (`struct nlmsgerr.error` is negative), 0 for an ACK.
    private static func errorCode(_ reply: NetlinkReply, operation: String) throws(NetlinkError) -> Int32 {
        guard let error = NetlinkReader.integer(Int32.self, reply.payload.prefix(4)) else {
            throw NetlinkError(.malformedReply, "\(operation): NLMSG_ERROR without an error code")
        }
        return -error
    }

    /// A kernel error, with the extended ACK's message (`NLMSGERR_ATTR_MSG`) when present.
    private static func kernelError(errno: Int32, reply: NetlinkReply, operation: String, target: String) -> NetlinkError {
        var message = target.isEmpty ? operation : "\(operation) \(target)"
        let capped: UInt16 = 0x100, ackTLVs: UInt16 = 0x200  // NLM_F_CAPPED, NLM_F_ACK_TLVS
        // struct nlmsgerr: the error, then the request's header (capped) or the whole request.
        let echoed = reply.flags & capped != 0
            ? Netlink.headerSize
            : Int(NetlinkReader.integer(UInt32.self, reply.payload.dropFirst(4).prefix(4)) ?? 0)
        if reply.flags & ackTLVs != 0, reply.payload.count > 4 + Netlink.aligned(echoed),
           let attributes = try? NetlinkReader.attributes(reply.payload.dropFirst(4 + Netlink.aligned(echoed))),
           let text = attributes.first(1)?.string, !text.isEmpty {  // NLMSGERR_ATTR_MSG
            message += " (\(text))"
        }
        return NetlinkError(.kernel, message, cause: SystemError(operation: operation, target: target, errno: errno))
    }
}
