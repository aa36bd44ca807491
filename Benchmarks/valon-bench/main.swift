// valon-bench: ValonKit's micro- and system benchmarks. Each subcommand lives in its own
// file as a `Benchmark` and prints its figures; scripts/bench/ runs them side by side with
// a reference tool and docs/PERFORMANCE.md records the results with the command used.
//
// Build in release mode: swift build -c release --product valon-bench
import Foundation

/// One benchmark: a name for the command line and a body that prints its results.
protocol Benchmark {
    static var name: String { get }
    static var summary: String { get }
    static func run(arguments: [String]) async throws
}

let benchmarks: [any Benchmark.Type] = allBenchmarks

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks.first(where: { $0.name == name }) else {
    print("usage: valon-bench <benchmark> [arguments]\n\nbenchmarks:")
    for benchmark in benchmarks { print("  \(benchmark.name)\t\(benchmark.summary)") }
    exit(arguments.isEmpty ? 0 : 2)
}
do {
    try await benchmark.run(arguments: Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("valon-bench \(name): \(error)\n".utf8))
    exit(1)
}
