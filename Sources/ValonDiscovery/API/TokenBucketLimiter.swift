import Synchronization
import ValonKit

/// A token bucket per caller (one per WireGuard address, so one per peer): `rate` tokens
/// a second, at most `burst` saved up. Each request takes one token; with none left the
/// request is refused (429).
///
/// Time is passed in by the caller, so the arithmetic is tested without waiting.
public final class TokenBucketLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public let rate: Double
    public let burst: Double
    private let buckets = Mutex([IPAddress: Bucket]())

    /// Buckets are dropped once full again, so idle callers cost nothing; past this many
    /// callers the full ones are swept on the next request.
    static let sweepThreshold = 1024

    public init(rate: Double, burst: Double) {
        precondition(rate > 0 && burst >= 1, "a token bucket needs a positive rate and room for one token")
        self.rate = rate
        self.burst = burst
    }

    /// The limit of the discovery config: `rate` requests a second, bursts of twice as many.
    public convenience init(requestsPerSecond rate: Double) {
        self.init(rate: rate, burst: max(1, 2 * rate))
    }

    /// Takes one token for `caller` at `now`; `false` when the caller has none left.
    public func allow(_ caller: IPAddress, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { buckets in
            if buckets.count > Self.sweepThreshold { sweep(&buckets, now: now) }
            var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[caller] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[caller] = bucket
            return true
        }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(burst, bucket.tokens + max(0, seconds) * rate)
    }

    private func sweep(_ buckets: inout [IPAddress: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { refilled($0.value, now: now) < burst }
    }
}
