import Foundation
import ValonKit

/// Public-key derivations per second (X25519 through swift-crypto).
enum KeyDerivationBenchmark: Benchmark {
    static let name = "keys"
    static let summary = "X25519 public-key derivations per second"

    static func run(arguments: [String]) async throws {
        let count = arguments.first.flatMap(Int.init) ?? 20_000
        let keys = (0..<64).map { _ in WireGuardKey.generatePrivate() }
        let start = ContinuousClock.now
        var checksum: UInt8 = 0
        for index in 0..<count {
            checksum ^= try keys[index & 63].publicKey().bytes[0]
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "keys: %d derivations in %.3f s = %.0f/s (checksum %d)", count, seconds, Double(count) / seconds, checksum))
    }
}
