/// Exponential backoff with full jitter: after the n-th consecutive failure the agent waits a
/// uniformly random time in [0, min(cap, base·2ⁿ)], so thousands of agents that lost the same server
/// at the same moment come back spread out instead of in waves (no retry storm). A server's
/// `Retry-After` is a floor.
public struct Backoff: Sendable {
    public var base: Double
    public var cap: Double
    public private(set) var failures = 0

    public init(base: Double, cap: Double) {
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the next delay.
    public var ceiling: Double {
        // 2^failures without overflow: past 60 doublings every sane cap is reached anyway.
        min(cap, base * Double(1 << min(failures, 60)))
    }

    /// Records a failure and returns how long to wait before the next attempt, in seconds.
    public mutating func nextDelay(retryAfter: Int? = nil, using rng: inout some RandomNumberGenerator) -> Double {
        let delay = Double.random(in: 0...ceiling, using: &rng)
        failures += 1
        if let retryAfter { return min(max(delay, Double(retryAfter)), max(cap, Double(retryAfter))) }
        return delay
    }

    public mutating func nextDelay(retryAfter: Int? = nil) -> Double {
        var rng = SystemRandomNumberGenerator()
        return nextDelay(retryAfter: retryAfter, using: &rng)
    }

    public mutating func reset() { failures = 0 }
}
