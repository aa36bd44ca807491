import Foundation
import Logging
import Testing
@testable import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The node's NOTIFY sender on real sockets (docs/ARCHITECTURE.md §12): against the client's
/// real listener, against a peer that never answers (retries, give-up), with a burst of
/// changes (coalescing), with answers that do not match, and end to end from an etcd write
/// through the snapshot store. 127.0.0.1 plays the node's WireGuard address, other 127/8
/// addresses the peers' (all local on Linux).
@Suite(.serialized, .tags(.process), .timeLimit(.minutes(5)))
struct NotifySenderProcessTests {
    static let zoneName = try! DNSName("valon.internal")
    static let node = IPAddress("127.0.0.1")!

    static func sender(port: UInt16, waits: [Duration] = [.milliseconds(200), .milliseconds(400), .milliseconds(800)]) throws -> NotifySender {
        var settings = NotifySender.Settings(port: port)
        settings.retryWaits = waits
        var logger = Logger(label: "valon.notify.test")
        logger.logLevel = .warning
        return try NotifySender(source: node, zone: DNSZone(name: zoneName), settings: settings, counters: NotifyCounters(),
                                logger: logger)
    }

    /// A peer that takes NOTIFY and never answers: what arrived, when, from where.
    final class SilentPeer: Sendable {
        let socket: NotifySocket
        let received = Locked<[(at: ContinuousClock.Instant, from: Endpoint, message: DNSMessage)]>([])
        private let stopped = Locked(false)

        init(_ address: String, port: UInt16) throws {
            socket = try NotifySocket(binding: Endpoint(address: IPAddress(address)!, port: port))
            let (socket, received, stopped) = (socket, received, stopped)
            Thread {
                var buffer = [UInt8](repeating: 0, count: 2048)
                while !stopped.value {
                    guard (try? socket.waitReadable(timeout: .milliseconds(50))) == true else { continue }
                    while let (count, from) = try? socket.receive(into: &buffer) {
                        if let message = try? DNSMessage(decoding: buffer[..<count]) {
                            received.withLock { $0.append((ContinuousClock.now, from, message)) }
                        }
                    }
                }
            }.start()
        }

        func stop() { stopped.value = true }

        /// The serial each received NOTIFY carried in its answer section.
        var serials: [UInt32?] {
            received.value.map { entry in
                entry.message.answers.lazy.compactMap { if case .soa(let soa) = $0.data { soa.serial } else { nil } }.first
            }
        }
    }

    static func listener(_ address: String, port: UInt16, notified: Locked<[UInt32?]>) -> NotifyListener {
        NotifyListener(local: Endpoint(address: IPAddress(address)!, port: port), zone: zoneName, nodes: [node],
                       log: { _ in }, onNotify: { serial in notified.withLock { $0.append(serial) } })
    }

    @Test("the client's listener answers the first NOTIFY; a silent peer gets it three times with one ID, then is given up")
    func answeredAndRetried() async throws {
        let port = try FreePort.loopback()
        let notified = Locked<[UInt32?]>([])
        let listener = Self.listener("127.0.0.11", port: port, notified: notified)
        listener.start()
        let silent = try SilentPeer("127.0.0.12", port: port)
        let sender = try Self.sender(port: port)
        sender.start()
        defer {
            silent.stop()
            Task {
                await sender.stop()
                await listener.stop()
            }
        }
        try await eventually("both sockets to bind") { listener.boundEndpoint != nil && sender.boundEndpoint != nil }
        sender.announce(serial: 5, to: [IPAddress("127.0.0.11")!, IPAddress("127.0.0.12")!, Self.node])
        try await eventually("the silent peer to be given up", limit: .seconds(10)) { sender.counters.snapshot.gaveUp == 1 }
        let counters = sender.counters.snapshot
        #expect(counters.waves == 1 && counters.sent == 2 && counters.retried == 2)
        #expect(counters.answered == ["NOERROR": 1] && counters.pending == 0 && counters.sendErrorsTotal == 0)
        #expect(notified.value == [5])
        #expect(listener.counters == NotifyListener.Counters(accepted: 1))

        let received = silent.received.value
        #expect(received.count == 3)
        #expect(Set(received.map(\.message.header.id)).count == 1)
        for entry in received {
            #expect(entry.from.address == Self.node, "sent from the node's own address")
            #expect(DNSNotify.check(entry.message, zone: Self.zoneName) == .success(DNSNotify.Request(id: entry.message.header.id, serial: 5)))
            #expect(entry.message.header.isAuthoritative)
        }
        // The waits double (200, then 400 ms): the schedule, not a speed (a few ms of the
        // sender's loop and the receiver's wake-up either way).
        let gaps = zip(received.dropFirst(), received).map { $0.at - $1.at }
        #expect(gaps.count == 2 && gaps[0] >= .milliseconds(150) && gaps[1] >= .milliseconds(350), "\(gaps)")
        #expect(gaps[1] > gaps[0])
    }

    @Test("a burst of ten changes makes at most two waves; the last NOTIFY carries the newest serial")
    func coalesces() async throws {
        let port = try FreePort.loopback()
        let silent = try SilentPeer("127.0.0.12", port: port)
        let sender = try Self.sender(port: port, waits: [.seconds(30)])
        sender.start()
        defer {
            silent.stop()
            Task { await sender.stop() }
        }
        try await eventually("the sender to bind") { sender.boundEndpoint != nil }
        for serial in UInt32(10)..<20 { sender.announce(serial: serial, to: [IPAddress("127.0.0.12")!]) }
        try await eventually("the newest serial to arrive", limit: .seconds(5)) { silent.serials.last == 19 }
        try await Task.sleep(for: .milliseconds(500))
        let counters = sender.counters.snapshot
        #expect((1...2).contains(counters.waves), "\(counters)")
        #expect(counters.coalesced == 10 - counters.waves)
        #expect(silent.serials.count == Int(counters.waves) && silent.serials.last == 19)
        if silent.received.value.count == 2 {
            let (first, second) = (silent.received.value[0], silent.received.value[1])
            #expect(second.at - first.at >= .milliseconds(100), "one NOTIFY per peer per 100 ms")
        }
    }

    @Test("an answer counts only from the peer's address and the NOTIFY port, with the pending ID")
    func matching() async throws {
        let port = try FreePort.loopback()
        let peer = try NotifySocket(binding: Endpoint(address: IPAddress("127.0.0.13")!, port: port))
        let impostor = try NotifySocket(binding: Endpoint(address: IPAddress("127.0.0.13")!, port: 0))
        let sender = try Self.sender(port: port, waits: [.seconds(30)])
        sender.start()
        defer { Task { await sender.stop() } }
        try await eventually("the sender to bind") { sender.boundEndpoint != nil }
        let source = try #require(sender.boundEndpoint)
        sender.announce(serial: 77, to: [IPAddress("127.0.0.13")!])
        #expect(try peer.waitReadable(timeout: .seconds(5)))
        var buffer = [UInt8](repeating: 0, count: 2048)
        let (count, from) = try #require(try peer.receive(into: &buffer))
        #expect(from == source)
        let request = try DNSMessage(decoding: buffer[..<count])
        var wrongID = request
        wrongID.header.id &+= 1
        try peer.send(DNSNotify.response(to: wrongID).encoded(), to: source)
        try impostor.send(DNSNotify.response(to: request).encoded(), to: source)
        try peer.send(DNSNotify.request(id: request.header.id, zone: Self.zoneName).encoded(), to: source)
        try await eventually("three unmatched datagrams") { sender.counters.snapshot.unmatched == 3 }
        #expect(sender.counters.snapshot.pending == 1)
        try peer.send(DNSNotify.response(to: request, rcode: .notImp).encoded(), to: source)
        try await eventually("the answer") { sender.counters.snapshot.answered == ["NOTIMP": 1] }
        #expect(sender.counters.snapshot.pending == 0)
    }

    @Test("end to end: a peer written to etcd reaches a follower's listener through the store, with the new serial")
    func fromTheRegistry() async throws {
        let live = try await DNSLiveServer.start(network: IPNetwork("127.0.0.0/24")!)
        defer { live.stop() }
        let port = try FreePort.loopback()
        let notified = Locked<[UInt32?]>([])
        let listener = Self.listener("127.0.0.21", port: port, notified: notified)
        listener.start()
        let sender = try Self.sender(port: port)
        let service = NotifyService(sender: sender, store: live.store, logger: Logger(label: "valon.notify.test"))
        let running = Task { try await service.run() }
        defer {
            running.cancel()
            Task { await listener.stop() }
        }
        _ = try await live.registry.add(key: try WireGuardKey.generatePrivate().publicKey(), alias: "follower",
                                        address: IPAddress("127.0.0.21")!)
        try await eventually("the follower to be notified of a snapshot holding it", limit: .seconds(10)) {
            guard let serial = live.store.current?.serial, live.store.current?.peer(address: IPAddress("127.0.0.21")!) != nil else { return false }
            return notified.value.contains(serial)
        }
        let before = notified.value.count
        _ = try await live.addPeer("another")
        try await eventually("a NOTIFY for the second write", limit: .seconds(10)) {
            notified.value.count > before && notified.value.last == live.store.current?.serial
        }
        #expect(sender.counters.snapshot.waves >= 2)
        running.cancel()
        try await eventually("the sender to stop") { sender.boundEndpoint == nil }
    }

    @Test("/metrics carries the sender's counters")
    func metrics() {
        let metrics = DiscoveryMetrics()
        metrics.notify.update {
            $0.waves = 2
            $0.sent = 30
            $0.retried = 4
            $0.answered = ["NOERROR": 28, "REFUSED": 1]
            $0.gaveUp = 1
            $0.sendErrors = ["ENOKEY": 3]
            $0.pending = 5
        }
        let lines = metrics.render().split(separator: "\n").map(String.init)
        for line in ["# TYPE valon_notify_sent_total counter", #"valon_notify_sent_total{kind="first"} 30"#,
                     #"valon_notify_sent_total{kind="retry"} 4"#, #"valon_notify_answered_total{rcode="NOERROR"} 28"#,
                     #"valon_notify_answered_total{rcode="REFUSED"} 1"#, "valon_notify_gave_up_total 1",
                     #"valon_notify_send_errors_total{error="ENOKEY"} 3"#, "valon_notify_waves_total 2",
                     "# TYPE valon_notify_pending gauge", "valon_notify_pending 5"] {
            #expect(lines.contains(line), "\(line)")
        }
    }

    @Test("a wave is needed for another serial or other content, not for the same snapshot again")
    func needsWave() {
        let key = try! WireGuardKey.generatePrivate().publicKey()
        let peer = Peer(publicKey: key, alias: "a", wgIP: IPAddress("100.100.0.2")!)
        let one = RegistrySnapshot(peers: [peer], revision: 10)
        #expect(NotifyService.needsWave(after: nil, for: one))
        #expect(!NotifyService.needsWave(after: one, for: RegistrySnapshot(peers: [peer], revision: 10)))
        #expect(NotifyService.needsWave(after: one, for: RegistrySnapshot(peers: [peer], revision: 11)))
        var moved = peer
        moved.natEndpoint = Endpoint("203.0.113.9:51820")
        #expect(NotifyService.needsWave(after: one, for: RegistrySnapshot(peers: [moved], revision: 10)))
        #expect(NotifyService.needsWave(after: one, for: RegistrySnapshot(peers: [peer], revision: 10, discoveryNodes: [
            DiscoveryNode(publicKey: key, wgIP: IPAddress("100.100.0.250")!, endpoint: nil, relay: nil)])))
    }
}
