import Foundation
import ValonKit

/// Queries per second through ``DNSResolver`` against a server given on the command
/// line (scripts/bench/dns-resolver.sh starts NSD with `host0`...`hostN` in ZONE):
/// the same N A queries one after another, then all at once with pipelining.
///
///     valon-bench dns-resolver SERVER:PORT ZONE [COUNT] [ROUNDS]
enum DNSResolverBenchmark: Benchmark {
    static let name = "dns-resolver"
    static let summary = "stub resolver queries/s against a DNS server: sequential vs pipelined (UDP and TCP)"

    struct Usage: Error, CustomStringConvertible {
        var description: String { "usage: valon-bench dns-resolver SERVER:PORT ZONE [COUNT] [ROUNDS]" }
    }

    static func run(arguments: [String]) async throws {
        guard arguments.count >= 2, let server = Endpoint(dnsServer: arguments[0]) else { throw Usage() }
        let zone = try DNSName(arguments[1])
        let count = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
        let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3
        let questions = try (0..<count).map { DNSQuestion(name: try zone.prepending("host\($0)"), type: .a, dnsClass: .in) }
        var tcp = DNSResolver.Configuration(server: server)
        tcp.transport = .tcp
        let udpResolver = DNSResolver(server: server)
        let tcpResolver = DNSResolver(configuration: tcp)

        try await measure("sequential UDP", count: count, rounds: rounds) {
            for question in questions { _ = try await udpResolver.query(question) }
        }
        try await measure("pipelined UDP", count: count, rounds: rounds) {
            _ = try await udpResolver.resolve(questions)
        }
        try await measure("pipelined TCP", count: count, rounds: rounds) {
            _ = try await tcpResolver.resolve(questions)
        }
    }

    /// Runs `body` `rounds` times and prints the best round's rate.
    static func measure(_ label: String, count: Int, rounds: Int, _ body: () async throws -> Void) async throws {
        var best = Duration.seconds(1_000_000)
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            try await body()
            best = min(best, ContinuousClock.now - start)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        print(String(format: "dns-resolver: %@: %d queries in %.3f s = %.0f queries/s (best of %d)",
                     label, count, seconds, Double(count) / seconds, rounds))
    }
}
