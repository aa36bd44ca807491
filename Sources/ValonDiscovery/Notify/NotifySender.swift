#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization
import ValonKit

/// Sends DNS NOTIFY (RFC 1996) from the discovery node to its peers (docs/ARCHITECTURE.md
/// §12): one UDP socket bound to the node's own WireGuard address (so a client sees the
/// NOTIFY come from a discovery node's address, the only source it answers), one thread
/// that sends what ``NotifySchedule`` says when it says it and takes the responses.
///
/// ``announce(serial:to:)`` hands a wave over (from any task); the thread sends at most
/// ``Settings/batchSize`` datagrams, then waits ``Settings/batchGap``, so a wave to 10,000
/// peers leaves in a fraction of a second without overrunning a userspace WireGuard's TUN
/// queue. A response counts when it comes from the peer's address and the NOTIFY port with
/// the ID of the pending NOTIFY, QR set, OPCODE NOTIFY and the zone as its question
/// (RFC 1996 §3.6); any response code ends the retries (RFC 1996 §3.12 for NOTIMP). The
/// datagram holds the question `<zone> IN SOA` and, as RFC 1996 §3.7 allows, the SOA at the
/// new serial in the answer section.
public final class NotifySender: Sendable {
    public struct Settings: Sendable {
        /// The port the peers listen on (`notify_port`).
        public var port: UInt16
        /// Datagrams sent back to back before the thread pauses.
        public var batchSize = 256
        /// The pause between two batches.
        public var batchGap: Duration = .milliseconds(2)
        /// Spacing and retries.
        var schedule = NotifySchedule.Settings()
        /// The socket's send buffer.
        public var sendBuffer: Int32 = 4 << 20

        public init(port: UInt16) {
            self.port = port
        }

        /// The waits after each send before the next one (RFC 1996 §3.6); after the last,
        /// the peer is given up. Default 1, 2, 4, 8 s: sends at 0, 1, 3, 7 s, given up at 15 s.
        public var retryWaits: [Duration] {
            get { schedule.waits }
            set { schedule.waits = newValue }
        }

        /// The least time between two NOTIFY to one peer, and between two waves (100 ms).
        public var spacing: Duration {
            get { schedule.spacing }
            set { schedule.spacing = newValue }
        }
    }

    private struct Shared {
        var announcement: (serial: UInt32, addresses: [IPAddress])?
        var coalesced = 0
        var bound: Endpoint?
    }

    /// The node's own WireGuard address, the NOTIFY's source.
    public let source: IPAddress
    public let settings: Settings
    public let counters: NotifyCounters
    let zone: DNSZone
    let logger: Logger
    private let shared = Mutex(Shared())
    private let wakeup: (read: Int32, write: Int32)
    private let thread = ServiceThread(name: "valon-notify")

    /// A sender from `source` (port chosen by the kernel) for `zone`. Nothing is bound or
    /// sent until ``start()``. Fails only when the wake-up pipe cannot be made.
    public init(source: IPAddress, zone: DNSZone, settings: Settings, counters: NotifyCounters,
                logger: Logger) throws(SystemError) {
        self.source = source
        self.zone = zone
        self.settings = settings
        self.counters = counters
        self.logger = logger
        var fds: [Int32] = [0, 0]
        try retryingOnInterrupt("pipe", target: "the NOTIFY sender's wake-up") { pipe(&fds) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeup = (fds[0], fds[1])
    }

    deinit {
        close(wakeup.read)
        close(wakeup.write)
    }

    /// Where the socket is bound, once it is.
    public var boundEndpoint: Endpoint? { shared.withLock { $0.bound } }

    /// NOTIFY `serial` to `addresses` (every peer's WireGuard address); an earlier wave not
    /// started yet is replaced (coalesced). Addresses of the other family than ``source`` are
    /// left out: the socket cannot reach them.
    public func announce(serial: UInt32, to addresses: [IPAddress]) {
        let usable = addresses.filter { $0.isIPv4 == source.isIPv4 && $0 != source }
        shared.withLock { shared in
            if shared.announcement != nil { shared.coalesced += 1 }
            shared.announcement = (serial, usable)
        }
        poke()
    }

    /// Starts the thread (once).
    public func start() {
        thread.start { [self] in loop() }
    }

    /// Stops the thread and closes the socket; returns once both are done. Pending
    /// NOTIFY are dropped.
    public func stop() async {
        await thread.stop(wake: poke)
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wakeup.write, &byte, 1)
    }

    private var isStopped: Bool { thread.isStopped }

    // MARK: - The thread

    private func loop() {
        var bindLog = LogThrottle(interval: .seconds(30))
        while !isStopped {
            let socket: NotifySocket
            do {
                socket = try NotifySocket(binding: Endpoint(address: source, port: 0), sendBuffer: settings.sendBuffer)
            } catch {
                if bindLog.admit(at: .now).log {
                    logger.error("cannot open the NOTIFY socket on the node's WireGuard address; retrying every second",
                                 metadata: ["address": "\(source)", "error": "\(error)"])
                }
                wait(on: nil, for: .seconds(1))
                continue
            }
            shared.withLock { $0.bound = socket.local }
            logger.info("sending NOTIFY from \(socket.local) to the peers' port \(settings.port)")
            serve(socket)
        }
        shared.withLock { $0.bound = nil }
    }

    /// Sends and receives on `socket` until stopped.
    private func serve(_ socket: NotifySocket) {
        var schedule = NotifySchedule(settings: settings.schedule)
        var template: (serial: UInt32, bytes: [UInt8])?
        var buffer = [UInt8](repeating: 0, count: 2048)
        while !isStopped {
            let now = ContinuousClock.now
            if let (serial, addresses, coalesced) = takeAnnouncement() {
                counters.update { $0.coalesced += UInt64(coalesced) }
                if let wave = schedule.announce(serial: serial, to: addresses, now: now) { started(wave) }
            }
            let (wave, actions) = schedule.step(now: now, limit: settings.batchSize)
            if let wave { started(wave) }
            for action in actions {
                switch action {
                case .send(let address, let id, let serial, let retry):
                    if template?.serial != serial { template = (serial, request(serial: serial)) }
                    send(template!.bytes, id: id, to: address, retry: retry, socket: socket)
                case .gaveUp(let address, let serial):
                    counters.update { $0.gaveUp += 1 }
                    logger.debug("NOTIFY not answered; giving up", metadata: ["peer": "\(address)", "serial": "\(serial)"])
                }
            }
            counters.update { $0.pending = schedule.pendingCount }
            let next = schedule.nextDeadline
            let pause: Duration
            if let next, next <= .now {
                pause = settings.batchGap
            } else {
                pause = min(next.map { ContinuousClock.now.duration(to: $0) } ?? .seconds(1), .seconds(1))
            }
            if wait(on: socket, for: pause) { receive(socket, into: &buffer, schedule: &schedule) }
        }
    }

    private func takeAnnouncement() -> (UInt32, [IPAddress], Int)? {
        shared.withLock { shared in
            guard let announcement = shared.announcement else { return nil }
            defer {
                shared.announcement = nil
                shared.coalesced = 0
            }
            return (announcement.serial, announcement.addresses, shared.coalesced)
        }
    }

    private func started(_ wave: NotifySchedule.Wave) {
        counters.update {
            $0.waves += 1
            $0.coalesced += UInt64(wave.coalesced - 1)
        }
        logger.info("NOTIFY wave", metadata: ["serial": "\(wave.serial)", "peers": "\(wave.addresses)",
                                              "changes": "\(wave.coalesced)"])
    }

    /// The NOTIFY for `serial` with ID 0 (patched per peer).
    private func request(serial: UInt32) -> [UInt8] {
        // A question and one SOA: always encodable.
        (try? DNSNotify.request(id: 0, zone: zone.name, soa: zone.soa(serial: serial)).encoded()) ?? []
    }

    private func send(_ template: [UInt8], id: UInt16, to address: IPAddress, retry: Bool, socket: NotifySocket) {
        var bytes = template
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(id & 0xFF)
        do {
            try socket.send(bytes, to: Endpoint(address: address, port: settings.port))
            counters.update { if retry { $0.retried += 1 } else { $0.sent += 1 } }
            logger.debug("NOTIFY sent", metadata: ["peer": "\(address)", "id": "\(id)", "retry": "\(retry)"])
        } catch {
            let name = Self.errnoName(error.errno)
            counters.update { $0.sendErrors[name, default: 0] += 1 }
            logger.debug("NOTIFY not sent", metadata: ["peer": "\(address)", "error": "\(error)"])
        }
    }

    /// Takes every waiting datagram; a response that matches a pending NOTIFY ends it.
    private func receive(_ socket: NotifySocket, into buffer: inout [UInt8], schedule: inout NotifySchedule) {
        while let (count, sender) = try? socket.receive(into: &buffer) {
            guard count <= buffer.count, sender.port == settings.port,
                  let message = try? DNSMessage(decoding: buffer[..<count]), message.header.isResponse,
                  message.header.opcode == .notify, message.questions.count == 1,
                  message.questions[0].name == zone.name, message.questions[0].type == .soa,
                  let serial = schedule.answered(from: NotifyAcceptance.unmapped(sender.address), id: message.header.id)
            else {
                counters.update { $0.unmatched += 1 }
                continue
            }
            let rcode = message.header.responseCode.description
            counters.update { $0.answered[rcode, default: 0] += 1 }
            logger.debug("NOTIFY answered", metadata: ["peer": "\(sender.address)", "serial": "\(serial)", "rcode": "\(rcode)"])
        }
    }

    /// Waits up to `duration` for a datagram on `socket` or a poke; `true` when the socket
    /// has one. Drains the wake-up pipe.
    @discardableResult
    private func wait(on socket: NotifySocket?, for duration: Duration) -> Bool {
        let milliseconds = Int32(max(0, min(duration.components.seconds * 1000
            + (duration.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000, 60_000)))
        var fds = [pollfd(fd: wakeup.read, events: Int16(POLLIN), revents: 0)]
        if let socket { fds.append(pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), milliseconds)
        guard ready > 0 else { return false }
        if fds[0].revents != 0 {
            var drain = [UInt8](repeating: 0, count: 64)
            while read(wakeup.read, &drain, drain.count) > 0 {}
        }
        return fds.count > 1 && fds[1].revents != 0
    }

    static func errnoName(_ code: Int32) -> String {
        switch code {
        case ENOKEY: "ENOKEY"
        case EDESTADDRREQ: "EDESTADDRREQ"
        case EAGAIN: "EAGAIN"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case ENETUNREACH: "ENETUNREACH"
        case EPERM: "EPERM"
        case EACCES: "EACCES"
        case ENOBUFS: "ENOBUFS"
        default: "errno \(code)"
        }
    }
}
