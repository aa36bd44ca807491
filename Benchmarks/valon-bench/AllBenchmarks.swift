/// Every benchmark valon-bench knows. Add one line per benchmark file.
let allBenchmarks: [any Benchmark.Type] = [
    KeyDerivationBenchmark.self,
    WireGuardNetlinkBenchmark.self,
    DNSCodecBenchmark.self,
    DNSServerBenchmark.self,
    DNSResolverBenchmark.self,
]
