import Foundation
import Synchronization
import ValonKit
import ValonTestSupport

/// Asks a discovery DNS server about registered peers as fast as it answers, from threads
/// of its own (never the cooperative pool): UDP and TCP queries for names that exist and
/// have data, and whole-zone transfers. Every answer is sorted into what the start-up rule
/// (docs/ARCHITECTURE.md §9) allows, the real data, SERVFAIL, REFUSED or no answer, and
/// what it forbids: NXDOMAIN or NODATA for a registered name, a wrong address, serial 0, or
/// a transfer with fewer peers than the registry holds.
///
/// Each loop pauses a little between questions (``pause``): thousands of questions a second
/// cover the window before the first read many times over, and the rest of a parallel test
/// run (wireguard-go's handshakes among it) keeps a share of the two cores.
final class RegistryHammer: Sendable {
    struct Tally: Sendable, CustomStringConvertible {
        var data = 0
        var servfail = 0
        var refused = 0
        var silent = 0
        var transfers = 0
        var servfailTransfers = 0
        var violations: [String] = []

        var description: String {
            "data \(data), SERVFAIL \(servfail), REFUSED \(refused), no answer \(silent), full transfers \(transfers), "
                + "SERVFAIL transfers \(servfailTransfers), violations \(violations.count): \(violations.prefix(5))"
        }
    }

    let port: UInt16
    let zone: DNSName
    let peers: [Peer]
    /// The serials a good answer may carry; `nil` for any serial but 0.
    let serials: Mutex<Set<UInt32>?> = Mutex(nil)
    private let stopping = Mutex(false)
    private let tally = Mutex(Tally())
    private let done = DispatchGroup()
    /// Microseconds between two questions of one loop.
    static let pause: UInt32 = 300

    init(port: UInt16, zone: String, peers: [Peer]) throws {
        self.port = port
        self.zone = try DNSName(zone)
        self.peers = peers
    }

    /// Starts the UDP, TCP and transfer loops.
    func start() {
        for loop in [udpLoop, tcpLoop, transferLoop] {
            done.enter()
            let thread = Thread { [done] in
                loop()
                done.leave()
            }
            thread.name = "valon-hammer"
            thread.start()
        }
    }

    /// Stops the loops, waits for them, and returns what they saw.
    func stop() async -> Tally {
        stopping.withLock { $0 = true }
        await withCheckedContinuation { continuation in
            done.notify(queue: .global()) { continuation.resume() }
        }
        return tally.withLock { $0 }
    }

    /// The counts so far.
    var current: Tally { tally.withLock { $0 } }

    private var isStopping: Bool { stopping.withLock { $0 } }

    // MARK: - Questions and their checks

    /// The `index`th question and how to check its answer.
    private func question(_ index: Int) -> (DNSName, DNSRecordType, Peer?) {
        let peer = peers[index / 4 % peers.count]
        let alias = peer.alias
        func name(_ text: String) -> DNSName { (try? DNSName("\(text).\(zone)")) ?? zone }
        switch index % 4 {
        case 0: return (name(alias), .a, peer)
        case 1: return (name("lan.\(alias)"), .a, peer)
        case 2: return (name("_wireguard._udp.\(alias)"), .srv, peer)
        default: return (zone, .soa, nil)
        }
    }

    private func judge(_ reply: DNSMessage?, name: DNSName, type: DNSRecordType, peer: Peer?) {
        guard let reply else { return record { $0.silent += 1 } }
        switch reply.responseCode {
        case .servFail: return record { $0.servfail += 1 }
        case .refused: return record { $0.refused += 1 }
        case .noError: break
        default: return record { $0.violations.append("\(reply.responseCode) for \(name) \(type)") }
        }
        let answers = reply.answers.filter { $0.type == type }
        guard !answers.isEmpty else { return record { $0.violations.append("NODATA for \(name) \(type)") } }
        for answer in answers {
            switch answer.data {
            case .a(let address):
                let expected = name.labels.count > zone.labelCount + 1 ? peer?.lanEndpoint?.address : peer?.wgIP
                if expected != .v4(address) { return record { $0.violations.append("\(name) A \(address), not \(expected.map { "\($0)" } ?? "-")") } }
            case .soa(let soa):
                if let problem = check(serial: soa.serial) { return record { $0.violations.append(problem) } }
            default: break
            }
        }
        record { $0.data += 1 }
    }

    private func check(serial: UInt32) -> String? {
        if serial == 0 { return "SOA serial 0" }
        if let allowed = serials.withLock({ $0 }), !allowed.contains(serial) { return "SOA serial \(serial), expected one of \(allowed)" }
        return nil
    }

    private func record(_ change: (inout Tally) -> Void) {
        tally.withLock { change(&$0) }
    }

    private func query(_ index: Int, id: UInt16) -> (bytes: [UInt8], name: DNSName, type: DNSRecordType, peer: Peer?) {
        let (name, type, peer) = question(index)
        let bytes = (try? DNSMessage.query(id: id, name: name, type: type).encoded()) ?? []
        return (bytes, name, type, peer)
    }

    // MARK: - Loops

    /// The reply to the query with `id` and this question among what `receive` returns,
    /// skipping late replies to earlier queries; `nil` when `receive` gives up.
    private func reply(id: UInt16, name: DNSName, type: DNSRecordType, _ receive: () -> [UInt8]?) -> DNSMessage?? {
        while let bytes = receive() {
            guard let message = try? DNSMessage(decoding: bytes) else {
                record { $0.violations.append("undecodable reply for \(name) \(type)") }
                return .some(nil)
            }
            if message.header.id == id, message.questions.first?.name == name, message.questions.first?.type == type {
                return message
            }
        }
        return nil
    }

    private func udpLoop() {
        guard let socket = try? LoopbackUDP() else { return record { $0.violations.append("no UDP socket") } }
        var index = 0
        while !isStopping {
            let id = UInt16(truncatingIfNeeded: index)
            let (bytes, name, type, peer) = query(index, id: id)
            try? socket.send(bytes, to: port)
            switch reply(id: id, name: name, type: type, { (try? socket.receive(timeoutMilliseconds: 500))??.bytes }) {
            case .some(.some(let message)): judge(message, name: name, type: type, peer: peer)
            case .some(.none): break
            case .none: judge(nil, name: name, type: type, peer: peer)
            }
            index += 1
            usleep(Self.pause)
        }
    }

    private func tcpLoop() {
        var index = 1
        var connection: LoopbackTCP?
        while !isStopping {
            if connection == nil { connection = try? LoopbackTCP(port: port) }
            guard let tcp = connection else {
                record { $0.silent += 1 }
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            let id = UInt16(truncatingIfNeeded: index)
            let (bytes, name, type, peer) = query(index, id: id)
            try? tcp.send(bytes)
            switch reply(id: id, name: name, type: type, { (try? tcp.receive(timeoutMilliseconds: 2000)) ?? nil }) {
            case .some(.some(let message)): judge(message, name: name, type: type, peer: peer)
            case .some(.none): connection = nil
            case .none:
                connection = nil
                judge(nil, name: name, type: type, peer: peer)
            }
            index += 3
            usleep(Self.pause)
        }
    }

    private func transferLoop() {
        var id: UInt16 = 0
        while !isStopping {
            id &+= 1
            guard let tcp = try? LoopbackTCP(port: port),
                  let query = try? DNSMessage.query(id: id, name: zone, type: .axfr, edns: nil).encoded() else {
                record { $0.silent += 1 }
                continue
            }
            try? tcp.send(query)
            transfer(over: tcp)
            usleep(Self.pause * 30)
        }
    }

    /// Reads one transfer to its closing SOA and checks it holds every peer.
    private func transfer(over tcp: LoopbackTCP) {
        var soaCount = 0
        var browse = 0
        var first = true
        let service = (try? DNSName("_wireguard._udp.\(zone)")) ?? zone
        while soaCount < 2 {
            guard let bytes = (try? tcp.receive(timeoutMilliseconds: 5000)) ?? nil else { return record { $0.silent += 1 } }
            guard let message = try? DNSMessage(decoding: bytes) else {
                return record { $0.violations.append("undecodable transfer message") }
            }
            if first && message.responseCode == .servFail { return record { $0.servfailTransfers += 1 } }
            if first && message.responseCode == .refused { return record { $0.refused += 1 } }
            guard message.responseCode == .noError else {
                return record { $0.violations.append("transfer answered \(message.responseCode)") }
            }
            first = false
            for answer in message.answers {
                switch answer.data {
                case .soa(let soa):
                    soaCount += 1
                    if let problem = check(serial: soa.serial) { return record { $0.violations.append("transfer: \(problem)") } }
                case .ptr where answer.name == service:
                    browse += 1
                default: break
                }
            }
        }
        if browse < peers.count {
            return record { $0.violations.append("short transfer: \(browse) of \(peers.count) peers") }
        }
        record { $0.transfers += 1 }
    }
}
