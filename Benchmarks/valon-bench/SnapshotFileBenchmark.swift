import Foundation
import ValonDiscovery
import ValonKit

/// The discovery node's persisted registry snapshot (docs/ARCHITECTURE.md §9): how long one
/// save takes (JSON encoding, write, fsync, rename, fsync of the directory) and one load
/// (read, strict decoding, the indexed snapshot), for N peers. scripts/bench/snapshot-file.sh
/// runs a Python reference on the same file in the same invocation.
enum SnapshotFileBenchmark: Benchmark {
    static let name = "snapshot-file"
    static let summary = "save and load the persisted registry snapshot of N peers (args: N... [--rounds R] [--dir D])"

    static func run(arguments: [String]) async throws {
        var counts = [Int]()
        var rounds = 10
        var directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-bench-snapshot").path
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--rounds":
                index += 1
                rounds = Int(arguments[index]) ?? rounds
            case "--dir":
                index += 1
                directory = arguments[index]
            default:
                if let count = Int(arguments[index]) { counts.append(count) }
            }
            index += 1
        }
        for count in counts.isEmpty ? [1_000, 10_000] : counts {
            let snapshot = try DNSServerBenchmark.snapshot(peers: count)
            let file = RegistrySnapshotFile(snapshot: snapshot, prefix: "/valon/", savedAt: Date())
            var saves = [Double](), loads = [Double]()
            for _ in 0..<rounds {
                saves.append(try seconds { try file.save(to: directory) })
                loads.append(try seconds {
                    guard let loaded = try RegistrySnapshotFile.load(from: directory), loaded.snapshot.peers.count == count else {
                        throw DNSServerBenchmarkFailure("the snapshot did not load back")
                    }
                })
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: RegistrySnapshotFile.path(in: directory))[.size] as? Int) ?? 0
            print(String(format: "snapshot-file: %d peers, %d bytes: save median %.1f ms (min %.1f), load median %.1f ms (min %.1f)",
                         count, size, median(saves) * 1000, (saves.min() ?? 0) * 1000, median(loads) * 1000, (loads.min() ?? 0) * 1000))
        }
    }


}
