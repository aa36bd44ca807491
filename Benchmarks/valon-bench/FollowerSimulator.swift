import CEpoll
import Foundation
import Synchronization
import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// N followers of one discovery node in one process, for scripts/bench/followers.sh:
///
///     valon-bench followers --dns 127.0.0.1:PORT --zone ZONE --addresses FILE --notify-port P
///                           --source IP --etcd URL --key BASE64 [--rounds R] [--mode ixfr|axfr]
///                           [--workers K] [--node-pid PID]
///
/// Each follower is what `valon-sync --follow` is to the node: a UDP socket on its own
/// WireGuard address (one line of FILE each; registered in the zone, so the node sends it
/// NOTIFY), a serial, and on a NOTIFY from `--source` for the zone it answers (RFC 1996 §4.7)
/// and reads the change since its serial by one IXFR, over UDP when it fits (or, with
/// `--mode axfr`, asks the SOA and reads the whole zone: the reference). One thread waits on
/// every socket (epoll); K tasks do the reads.
///
/// Each round writes one peer's `nat_endpoint` to etcd and waits until every follower holds
/// the new serial. It prints the time from the write to the last follower (and the median
/// follower), the DNS bytes per follower (NOTIFY, its response, the transfer's query and
/// answer, and the SOA query and answer where one is asked), and the node's CPU over the wave
/// (`/proc/PID/stat`).
enum FollowerSimulator: Benchmark {
    static let name = "followers"
    static let summary = "N NOTIFY+SOA+IXFR followers against one node (--dns --zone --addresses --source --etcd --key)"

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// What one follower holds and what it cost this round.
    struct Follower {
        var serial: UInt32
        var bytes = 0
        var doneAt: ContinuousClock.Instant?
        var pending = false
    }

    static func run(arguments: [String]) async throws {
        var options = [String: String]()
        var index = 0
        while index + 1 < arguments.count {
            options[arguments[index]] = arguments[index + 1]
            index += 2
        }
        guard let dns = options["--dns"].flatMap({ Endpoint($0) }) else { throw Failure("--dns: expected ip:port of the node's DNS") }
        let zone = try DNSName(options["--zone"] ?? "valon.internal")
        guard let file = options["--addresses"], let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw Failure("--addresses: expected a file with one follower address per line")
        }
        let addresses = text.split(separator: "\n").compactMap { IPAddress(String($0)) }
        guard let notifyPort = options["--notify-port"].flatMap(UInt16.init) else { throw Failure("--notify-port: expected a UDP port") }
        guard let source = options["--source"].flatMap({ IPAddress($0) }) else { throw Failure("--source: expected the node's address") }
        guard let etcdURL = options["--etcd"], let key = options["--key"] else { throw Failure("--etcd URL and --key BASE64 are needed") }
        let rounds = options["--rounds"].flatMap(Int.init) ?? 5
        let incremental = (options["--mode"] ?? "ixfr") == "ixfr"
        let workers = options["--workers"].flatMap(Int.init) ?? 32
        let nodePID = options["--node-pid"].flatMap(Int32.init)

        var resolverConfiguration = DNSResolver.Configuration(server: dns)
        resolverConfiguration.timeout = .seconds(5)
        let resolver = DNSResolver(configuration: resolverConfiguration)
        let start = try await resolver.startOfAuthority(of: zone)
        let sockets = try addresses.map { address throws(SystemError) in try NotifySocket(binding: Endpoint(address: address, port: notifyPort)) }
        let shared = Shared(followers: [Follower](repeating: Follower(serial: start.serial), count: sockets.count))
        let followers = shared
        let receiver = Thread { receive(sockets: sockets, zone: zone, source: source, shared: shared) }
        receiver.start()
        defer { shared.stop.store(true, ordering: .relaxed) }
        let reads = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        while !Task.isCancelled {
                            guard let index = shared.queue.withLock({ $0.pop() }) else {
                                try? await Task.sleep(for: .milliseconds(1))
                                continue
                            }
                            await read(index, resolver: resolver, zone: zone, soa: start, incremental: incremental, shared: shared)
                        }
                    }
                }
            }
        }
        defer { reads.cancel() }

        let etcd = try EtcdClient(EtcdConfiguration(endpoints: [etcdURL]))
        print("followers: \(sockets.count), mode \(incremental ? "IXFR" : "AXFR (reference)"), \(workers) readers, zone serial \(start.serial)")
        var totals = [Double]()
        for round in 1...rounds {
            let before = followers.list.withLock { $0.map(\.serial) }
            followers.list.withLock { list in for i in list.indices { list[i].bytes = 0; list[i].doneAt = nil } }
            let cpuBefore = nodePID.map(processTicks)
            let written = ContinuousClock.now
            let value = "198.51.100.\(round % 250 + 1):\(42000 + round)"
            _ = try await etcd.put(EtcdPutRequest(key: "/valon/peers/\(key)/nat_endpoint", value: value))
            let deadline = written + .seconds(60)
            while ContinuousClock.now < deadline {
                let done = followers.list.withLock { list in zip(list, before).allSatisfy { $0.0.serial != $0.1 && $0.0.doneAt != nil } }
                if done { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let snapshot = followers.list.withLock { $0 }
            let finished = snapshot.compactMap(\.doneAt).map { seconds($0 - written) }.sorted()
            let cpu: Double? = nodePID.map { Double(processTicks($0) - (cpuBefore ?? 0)) * 1000 / Double(sysconf(Int32(_SC_CLK_TCK))) }
            let bytes = snapshot.map(\.bytes).reduce(0, +) / max(1, snapshot.count)
            guard finished.count == snapshot.count else {
                throw Failure("round \(round): \(snapshot.count - finished.count) of \(snapshot.count) followers did not get the change within 60 s")
            }
            totals.append(finished.last!)
            print(String(format: "round %d: all %d followers had the change %.3f s after the etcd write (median follower %.3f s); %d DNS bytes per follower; node CPU %@",
                         round, snapshot.count, finished.last!, finished[finished.count / 2], bytes,
                         cpu.map { String(format: "%.0f ms", $0) } ?? "not measured"))
            try await Task.sleep(for: .milliseconds(500))
        }
        totals.sort()
        print(String(format: "median over %d rounds: every follower within %.3f s of the write; NOTIFY received: %d",
                     totals.count, totals[totals.count / 2], shared.notifies.load(ordering: .relaxed)))
    }

    /// Waits on every socket at once (epoll(7): the cost of a wake is the sockets that have a
    /// datagram, not the 10,000 that do not); answers each NOTIFY from `source` for `zone`
    /// and queues its follower.
    static func receive(sockets: [NotifySocket], zone: DNSName, source: IPAddress, shared: Shared) {
        let poller = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard poller >= 0 else {
            FileHandle.standardError.write(Data("followers: epoll_create1 failed: errno \(errno)\n".utf8))
            return
        }
        defer { close(poller) }
        for (index, socket) in sockets.enumerated() {
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(index)))
            guard epoll_ctl(poller, EPOLL_CTL_ADD, socket.descriptor, &event) == 0 else {
                FileHandle.standardError.write(Data("followers: epoll_ctl failed for socket \(index): errno \(errno)\n".utf8))
                return
            }
        }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !shared.stop.load(ordering: .relaxed) {
            let ready = epoll_wait(poller, &events, Int32(events.count), 100)
            guard ready > 0 else { continue }
            for event in events[0..<Int(ready)] {
                let index = Int(event.data.u64)
                while let (count, sender) = try? sockets[index].receive(into: &buffer) {
                    guard sender.address == source, let message = try? DNSMessage(decoding: Array(buffer[0..<count])),
                          case .success = DNSNotify.check(message, zone: zone),
                          let response = try? DNSNotify.response(to: message).encoded() else { continue }
                    try? sockets[index].send(response, to: sender)
                    shared.notifies.wrappingAdd(1, ordering: .relaxed)
                    let queued = shared.list.withLock { list in
                        list[index].bytes += count + response.count
                        defer { list[index].pending = true }
                        return list[index].pending
                    }
                    if !queued { shared.queue.withLock { $0.push(index) } }
                }
            }
        }
    }

    /// One follower's read after a NOTIFY: the change since its serial (one IXFR), or, the
    /// reference, the SOA and then the whole zone (AXFR).
    static func read(_ index: Int, resolver: DNSResolver, zone: DNSName, soa: DNSSOA, incremental: Bool,
                     shared followers: Shared) async {
        let serial = followers.list.withLock { list in
            list[index].pending = false
            return list[index].serial
        }
        do {
            var bytes = 0
            let newSerial: UInt32
            if incremental {
                // As valon-sync --follow's incremental sync does: the IXFR alone, whose first
                // record is the server's SOA (RFC 1995 §2), over UDP when it fits.
                var base = soa
                base.serial = serial
                var transferQuery = DNSMessage.query(id: 0, name: zone, type: .ixfr)
                transferQuery.authorities = [DNSResourceRecord(name: zone, ttl: 0, data: .soa(base))]
                bytes += (try transferQuery.encoded()).count
                switch try await resolver.incrementalTransfer(zone, from: serial, soa: base) {
                case .differences(let to, _, _, _, let byteCount):
                    bytes += byteCount
                    newSerial = to
                case .full(let transfer):
                    bytes += transfer.byteCount
                    guard let first = transfer.records.first, case .soa(let data) = first.data else { return }
                    newSerial = data.serial
                case .current:
                    return
                }
            } else {
                let question = DNSMessage.query(id: 0, name: zone, type: .soa)
                let answer = try await resolver.query(zone, .soa)
                bytes += (try question.encoded()).count + (try answer.encoded()).count
                guard let newSOA = answer.answers.compactMap({ record -> DNSSOA? in if case .soa(let s) = record.data { s } else { nil } }).first,
                      newSOA.serial != serial else { return }
                bytes += try await resolver.transferZone(zone).byteCount
                bytes += (try DNSMessage.query(id: 0, name: zone, type: .axfr, edns: nil).encoded()).count
                newSerial = newSOA.serial
            }
            followers.list.withLock { list in
                list[index].serial = newSerial
                list[index].bytes += bytes
                list[index].doneAt = .now
            }
        } catch {
            // As valon-sync would at its next try: the follower asks again.
            FileHandle.standardError.write(Data("follower \(index): \(error); asking again\n".utf8))
            let queued = followers.list.withLock { list in
                defer { list[index].pending = true }
                return list[index].pending
            }
            if !queued { followers.queue.withLock { $0.push(index) } }
        }
    }

    /// User plus system CPU ticks of a process (`/proc/PID/stat` fields 14 and 15).
    static func processTicks(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// What the receiver thread and the readers share: the followers, the queue of followers
/// to read for, the stop flag and the NOTIFY count.
final class Shared: Sendable {
    let list: Mutex<[FollowerSimulator.Follower]>
    let queue = Mutex(Queue())
    let stop = Atomic<Bool>(false)
    let notifies = Atomic<Int>(0)

    init(followers: [FollowerSimulator.Follower]) {
        list = Mutex(followers)
    }
}

/// The followers waiting for their read, first come first served, in O(1) a push or a pop.
struct Queue: Sendable {
    private var items: [Int] = []
    private var head = 0

    mutating func push(_ index: Int) { items.append(index) }

    mutating func pop() -> Int? {
        guard head < items.count else { return nil }
        defer {
            head += 1
            if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        }
        return items[head]
    }
}
