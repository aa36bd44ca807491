/// Every benchmark valon-bench knows. Add one line per benchmark file.
nonisolated(unsafe) let allBenchmarks: [any Benchmark.Type] = [
    KeyDerivationBenchmark.self,
    WireGuardNetlinkBenchmark.self,
    WireGuardUAPIBenchmark.self,
    EtcdBenchmark.self,
    DNSCodecBenchmark.self,
    DNSServerBenchmark.self,
    DNSResolverBenchmark.self,
    SnapshotFileBenchmark.self,
    RelayBenchmark.self,
    FollowerSimulator.self,
]
