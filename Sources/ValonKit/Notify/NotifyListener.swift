import Foundation
import Synchronization

/// The NOTIFY listener of `valon-sync --follow` (docs/ARCHITECTURE.md §12): one UDP socket on
/// the client's own WireGuard address (`OWN_WG_IP`) at `NOTIFY_PORT`, on a thread of its own.
///
/// Each datagram is judged by ``NotifyAcceptance``: a NOTIFY for the client's zone from a
/// discovery node's WireGuard address is answered (RFC 1996 §4.7) and handed to `onNotify`
/// with its serial hint; from a node, another zone is answered REFUSED and a malformed
/// datagram dropped; from any other address nothing is answered. Every outcome is counted
/// (``counters``) and logged at most once per 10 s per kind.
///
/// The address may not exist yet when the listener starts (`valon-bootstrap` brings the
/// interface up): binding is retried every second, logged at the first failure and then
/// every 30 s, until it works or the listener is stopped.
public final class NotifyListener: Sendable {
    /// What the listener did with the datagrams it received.
    public struct Counters: Sendable, Hashable {
        /// NOTIFY requests for the zone from a discovery node: answered, sync woken.
        public var accepted = 0
        /// From a node but not a NOTIFY for the zone (another zone, a bad question or OPCODE): answered with an error.
        public var refused = 0
        /// From an address that is no discovery node's: not answered.
        public var foreign = 0
        /// From a node but not a DNS request: dropped.
        public var malformed = 0

        public init(accepted: Int = 0, refused: Int = 0, foreign: Int = 0, malformed: Int = 0) {
            self.accepted = accepted
            self.refused = refused
            self.foreign = foreign
            self.malformed = malformed
        }
    }

    /// The address and port asked for (port 0: the kernel picks, see ``boundEndpoint``).
    public let local: Endpoint
    public let zone: DNSName
    /// How long the receive loop waits before it looks at ``stop()`` again.
    static let pollSlice: Duration = .milliseconds(200)
    static let bindRetry: Duration = .seconds(1)

    private struct State {
        var nodes: Set<IPAddress>
        var counters = Counters()
        var bound: Endpoint?
    }

    private let state: Mutex<State>
    private let log: @Sendable (String) -> Void
    private let onNotify: @Sendable (UInt32?) -> Void
    private let thread = ServiceThread(name: "valon-notify")

    /// A listener on `local` for `zone` that takes NOTIFY from `nodes` (the discovery nodes'
    /// WireGuard addresses); `log` gets one line per event worth telling (bound, bind
    /// failures, refused and dropped datagrams, rate-limited), `onNotify` each accepted
    /// NOTIFY's serial hint. Nothing happens until ``start()``.
    public init(local: Endpoint, zone: DNSName, nodes: Set<IPAddress>, log: @escaping @Sendable (String) -> Void,
                onNotify: @escaping @Sendable (UInt32?) -> Void) {
        self.local = local
        self.zone = zone
        self.log = log
        self.onNotify = onNotify
        state = Mutex(State(nodes: nodes))
    }

    /// The discovery nodes' addresses NOTIFY is taken from, replaced (after each sync, as
    /// nodes come and go in the zone, docs/ARCHITECTURE.md §11).
    public func update(nodes: Set<IPAddress>) {
        state.withLock { $0.nodes = nodes }
    }

    public var nodes: Set<IPAddress> { state.withLock { $0.nodes } }
    public var counters: Counters { state.withLock { $0.counters } }
    /// Where the socket is bound, once it is.
    public var boundEndpoint: Endpoint? { state.withLock { $0.bound } }

    /// Starts the listener's thread (once; later calls do nothing).
    public func start() {
        thread.start { [self] in loop() }
    }

    /// Stops the thread and closes the socket; returns once both are done.
    public func stop() async {
        await thread.stop()
    }

    private var isStopped: Bool { thread.isStopped }

    /// Binds (retrying) and serves until stopped.
    private func loop() {
        var bindLog = LogThrottle(interval: .seconds(30))
        var throttles = [String: LogThrottle]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !isStopped {
            let socket: NotifySocket
            do {
                socket = try NotifySocket(binding: local)
            } catch {
                let (logIt, _) = bindLog.admit(at: .now)
                if logIt {
                    log("cannot listen for NOTIFY on \(local) (\(error)); retrying every \(Self.bindRetry.components.seconds) s")
                }
                sleepUnlessStopped(Self.bindRetry)
                continue
            }
            state.withLock { $0.bound = socket.local }
            log("listening for NOTIFY on \(socket.local) (UDP) from the discovery nodes")
            do {
                while !isStopped {
                    guard try socket.waitReadable(timeout: Self.pollSlice) else { continue }
                    while let (count, sender) = try socket.receive(into: &buffer) {
                        handle(buffer, count: count, from: sender, socket: socket, throttles: &throttles)
                    }
                }
            } catch {
                log("the NOTIFY socket on \(socket.local) failed (\(error)); binding it again")
                state.withLock { $0.bound = nil }
                sleepUnlessStopped(Self.bindRetry)
            }
        }
        state.withLock { $0.bound = nil }
    }

    private func handle(_ buffer: [UInt8], count: Int, from sender: Endpoint, socket: NotifySocket,
                        throttles: inout [String: LogThrottle]) {
        let nodes = state.withLock { $0.nodes }
        let verdict: NotifyAcceptance.Verdict
        if count > buffer.count {
            // MSG_TRUNC: the datagram was larger than any NOTIFY this listener takes.
            verdict = nodes.contains(NotifyAcceptance.unmapped(sender.address))
                ? .malformed("a datagram of \(count) bytes, more than \(buffer.count)") : .foreignSource
        } else {
            verdict = NotifyAcceptance.judge(buffer[..<count], from: sender.address, nodes: nodes, zone: zone)
        }
        func note(_ kind: String, _ text: @autoclosure () -> String) {
            var throttle = throttles[kind] ?? LogThrottle(interval: .seconds(10))
            let (logIt, suppressed) = throttle.admit(at: .now)
            throttles[kind] = throttle
            if logIt { log(text() + (suppressed > 0 ? " (\(suppressed) more like it not logged)" : "")) }
        }
        switch verdict {
        case .accepted(let serial, let reply):
            try? socket.send(reply, to: sender)
            state.withLock { $0.counters.accepted += 1 }
            onNotify(serial)
        case .refused(let problem, let reply):
            try? socket.send(reply, to: sender)
            state.withLock { $0.counters.refused += 1 }
            note("refused", "refused a NOTIFY from \(sender): \(problem)")
        case .foreignSource:
            state.withLock { $0.counters.foreign += 1 }
            note("foreign", "ignored a datagram from \(sender): not a discovery node's WireGuard address (no answer)")
        case .malformed(let why):
            state.withLock { $0.counters.malformed += 1 }
            note("malformed", "dropped a malformed datagram from \(sender): \(why)")
        }
    }

    private func sleepUnlessStopped(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isStopped, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
