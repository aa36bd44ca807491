import Foundation
import ValonKit

/// Decode and encode rate of a typical VALON SRV answer, with two reference runs in the
/// same invocation: copying the same bytes into a fresh array (the floor any decoder that
/// returns owned values pays), and Foundation's JSONDecoder reading the same records as a
/// JSON document (a familiar yardstick for structured decoding).
enum DNSCodecBenchmark: Benchmark {
    static let name = "dns-codec"
    static let summary = "DNS messages per second, decode and encode (SRV answer + A additionals + OPT)"

    /// The answer to `_wireguard._udp.client01.valon.internal. SRV` as the discovery
    /// server gives it (docs/ARCHITECTURE.md §3): two SRV records, the targets' A records, EDNS(0).
    static func srvAnswer() throws -> DNSMessage {
        let owner = try DNSName("_wireguard._udp.client01.valon.internal")
        let lan = try DNSName("lan.client01.valon.internal"), nated = try DNSName("nated.client01.valon.internal")
        var message = DNSMessage(
            header: DNSHeader(id: 0x2A2A, isResponse: true, isAuthoritative: true, recursionDesired: true),
            questions: [DNSQuestion(name: owner, type: .srv)],
            answers: [
                DNSResourceRecord(name: owner, ttl: 2, data: .srv(DNSSRV(priority: 0, weight: 0, port: 51820, target: lan))),
                DNSResourceRecord(name: owner, ttl: 2, data: .srv(DNSSRV(priority: 10, weight: 0, port: 51820, target: nated))),
            ],
            additionals: [
                DNSResourceRecord(name: lan, ttl: 2, data: .a(IPv4Address("192.168.1.50")!)),
                DNSResourceRecord(name: nated, ttl: 2, data: .a(IPv4Address("203.0.113.10")!)),
            ]
        )
        message.edns = DNSEDNS(udpPayloadSize: 1232)
        return message
    }

    /// The same answer as JSON, for the JSONDecoder reference.
    struct JSONAnswer: Codable {
        struct Record: Codable {
            var name: String, type: String, ttl: UInt32
            var priority: UInt16?, weight: UInt16?, port: UInt16?, target: String?, address: String?
        }
        var id: UInt16, flags: UInt16, question: String, questionType: String
        var answers: [Record], additionals: [Record], udpPayloadSize: UInt16
    }

    static func jsonAnswer(_ message: DNSMessage) throws -> Data {
        func record(_ record: DNSResourceRecord) -> JSONAnswer.Record {
            var result = JSONAnswer.Record(name: record.name.description, type: record.type.description, ttl: record.ttl)
            switch record.data {
            case .srv(let srv): (result.priority, result.weight, result.port, result.target) = (srv.priority, srv.weight, srv.port, srv.target.description)
            case .a(let address): result.address = address.description
            default: break
            }
            return result
        }
        return try JSONEncoder().encode(JSONAnswer(
            id: message.header.id, flags: message.header.flags, question: message.questions[0].name.description,
            questionType: "SRV", answers: message.answers.map(record),
            additionals: message.additionals.filter { $0.type != .opt }.map(record), udpPayloadSize: 1232
        ))
    }

    /// Arguments: `[ITERATIONS [decode|encode]]`; the second runs one loop alone, for a profiler.
    static func run(arguments: [String]) async throws {
        let count = arguments.first.flatMap(Int.init) ?? 200_000
        let only = arguments.dropFirst().first
        let message = try srvAnswer()
        let bytes = try message.encoded()
        let json = try jsonAnswer(message)
        print("dns-codec: SRV answer of \(bytes.count) bytes (2 SRV, 2 A, OPT), JSON equivalent \(json.count) bytes, \(count) iterations")

        var checksum = 0
        if let only {
            let seconds = try measure(count) {
                checksum &+= only == "encode" ? try message.encoded().count : try DNSMessage(decoding: bytes).answers.count
            }
            report(only, seconds, count)
            return
        }
        let decode = try measure(count) {
            let decoded = try DNSMessage(decoding: bytes)
            checksum &+= decoded.answers.count &+ Int(decoded.header.id)
        }
        let encode = try measure(count) {
            checksum &+= try message.encoded().count
        }
        // References in the same run.
        let copy = measure(count) {
            var copied = [UInt8](repeating: 0, count: bytes.count)
            copied.withUnsafeMutableBytes { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
            checksum &+= Int(copied[copied.count - 1])
        }
        let decoder = JSONDecoder()
        let jsonCount = max(1, count / 10)
        let jsonDecode = try measure(jsonCount) {
            checksum &+= try decoder.decode(JSONAnswer.self, from: json).answers.count
        }
        report("decode", decode, count)
        report("encode", encode, count)
        report("reference: byte copy", copy, count)
        report("reference: JSONDecoder", jsonDecode, jsonCount)
        print("dns-codec: checksum \(checksum)")
    }

    /// Runs `body` `count` times after a short warm-up, in five rounds of `count / 5`, and
    /// returns the seconds of the fastest round scaled to `count`: on a shared machine the
    /// best round is the one least disturbed by other work.
    static func measure(_ count: Int, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<min(count, 1000) { try body() }
        let rounds = 5, perRound = max(1, count / rounds)
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            for _ in 0..<perRound { try body() }
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return best * Double(count) / Double(perRound)
    }

    static func report(_ label: String, _ seconds: Double, _ count: Int) {
        let padded = label.padding(toLength: 24, withPad: " ", startingAt: 0)
        print("dns-codec: \(padded)" + String(format: "%10.0f messages/s %9.1f ns/message", Double(count) / seconds, seconds / Double(count) * 1e9))
    }
}
