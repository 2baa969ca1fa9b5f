import Foundation
import Synchronization

/// A token-bucket rate: `burst` requests at once, refilled at `perSecond`.
public struct RateLimit: Sendable, Hashable {
    public var burst: Double
    public var perSecond: Double

    public init(burst: Double, perSecond: Double) {
        self.burst = burst
        self.perSecond = perSecond
    }
}

/// Token buckets keyed by caller (a host id, an API token id, an enrolling address).
///
/// In memory, per process: with several servers behind a load balancer each enforces its own share,
/// which bounds the total at (servers × rate). The number of buckets is capped; when full, buckets
/// that have refilled completely (idle callers) are dropped first.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public let limit: RateLimit
    private let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(_ limit: RateLimit, maxKeys: Int = 100_000) {
        self.limit = limit
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key`. Returns nil when allowed, otherwise the whole seconds to wait.
    public func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { (buckets: inout [String: Bucket]) -> Int? in
            var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(limit.burst, bucket.tokens + max(0, seconds) * limit.perSecond)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                if buckets[key] == nil && buckets.count >= maxKeys { Self.evict(&buckets, limit: limit, now: now, maxKeys: maxKeys) }
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            guard limit.perSecond > 0 else { return 3600 }
            return max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
        }
    }

    private static func evict(_ buckets: inout [String: Bucket], limit: RateLimit, now: ContinuousClock.Instant, maxKeys: Int) {
        let full = limit.perSecond > 0 ? limit.burst / limit.perSecond : .infinity
        buckets = buckets.filter { _, b in
            let idle = now - b.updated
            return Double(idle.components.seconds) < full
        }
        // Still full (everyone busy): start over rather than grow without bound.
        if buckets.count >= maxKeys { buckets.removeAll(keepingCapacity: true) }
    }
}
