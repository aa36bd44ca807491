import Foundation
import NIOPosix
import ValonDiscovery
import ValonKit

/// valon-discovery's relay port alone, for scripts/bench/relay.sh:
///
///     valon-bench relay serve --port P --first KEY@ADDRESS --second KEY@ADDRESS [--seconds S]
///
/// Opens one ``RelayPort`` on 0.0.0.0:P for the pair (each side's observed address), runs
/// for S seconds (default 60) or until SIGTERM/SIGINT, then prints its counters and the
/// process's CPU time: `forwarded_packets=… forwarded_bytes=… dropped=… cpu_seconds=…`.
enum RelayBenchmark: Benchmark {
    static let name = "relay"
    static let summary = "run one relay port for a pair (serve --port P --first KEY@ADDR --second KEY@ADDR)"

    static func run(arguments: [String]) async throws {
        guard arguments.first == "serve" else { throw RelayBenchmarkFailure("usage: valon-bench relay serve --port P --first KEY@ADDR --second KEY@ADDR [--seconds S]") }
        var options = [String: String]()
        var index = 1
        while index + 1 < arguments.count {
            options[arguments[index]] = arguments[index + 1]
            index += 2
        }
        func side(_ option: String) throws -> (WireGuardKey, IPAddress) {
            let parts = (options[option] ?? "").split(separator: "@").map(String.init)
            guard parts.count == 2, let key = try? WireGuardKey(base64: parts[0]), let address = IPAddress(parts[1]) else {
                throw RelayBenchmarkFailure("\(option): expected base64-key@ip-address")
            }
            return (key, address)
        }
        guard let port = options["--port"].flatMap(UInt16.init) else { throw RelayBenchmarkFailure("--port: expected a UDP port") }
        let (firstKey, firstAddress) = try side("--first")
        let (secondKey, secondAddress) = try side("--second")
        let seconds = options["--seconds"].flatMap(Int.init) ?? 60
        let pair = RelayPair(first: firstKey, addresses: [firstAddress], second: secondKey, addresses: [secondAddress])
        let relay = try await RelayPort.open(pair: pair, address: IPAddress("0.0.0.0")!, port: port, group: MultiThreadedEventLoopGroup.singleton)
        FileHandle.standardOutput.write(Data("relay listening on 0.0.0.0:\(relay.port)\n".utf8))

        let stop = DispatchSemaphore(value: 0)
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            Signals.keep.append(source)
        }
        _ = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread { continuation.resume(returning: stop.wait(timeout: .now() + .seconds(seconds)) == .success) }.start()
        }
        let counters = relay.counters.snapshot
        await relay.close()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        print("forwarded_packets=\(counters.forwardedPackets) forwarded_bytes=\(counters.forwardedBytes) dropped=\(counters.droppedPackets) cpu_seconds=\(String(format: "%.3f", cpu))")
    }
}

/// The signal sources, kept alive for the process.
enum Signals {
    nonisolated(unsafe) static var keep: [any DispatchSourceSignal] = []
}

struct RelayBenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
