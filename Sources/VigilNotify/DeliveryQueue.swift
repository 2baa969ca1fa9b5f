import Foundation
import Logging
import Synchronization
import VigilFleetProtocol

/// Something that passes verdict changes on to a SIEM (a webhook, a syslog collector).
///
/// ``enqueue(_:)`` never waits: it puts the changes in a bounded queue and returns, so verdict
/// computation never stalls on a slow or unreachable receiver. What does not fit is dropped, counted
/// and logged.
public protocol VerdictNotifier: Sendable {
    /// A short name for messages (`webhook https://…`, `syslog udp://…`).
    var name: String { get }
    func enqueue(_ changes: [VerdictChange])
    /// Delivered, dropped, failed so far.
    func statistics() -> NotifierStatistics
    /// Stops the worker after the queue is drained or `timeout` has passed.
    func shutdown(timeout: Duration) async
}

/// What a notifier did so far.
public struct NotifierStatistics: Sendable, Hashable, Codable {
    /// Changes the receiver accepted.
    public var delivered = 0
    /// Changes that did not fit into the queue.
    public var dropped = 0
    /// Changes given up on after the last retry.
    public var failed = 0
    /// Attempts that failed and were retried.
    public var retries = 0

    public init() {}
}

/// Retry policy: exponential backoff with full jitter.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts per change, the first included.
    public var attempts: Int
    /// Delay before the first retry; doubled each time, capped by `maximumDelay`.
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(attempts: Int = 8, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(120)) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The delay before retry number `retry` (1-based): a random duration between half the capped
    /// exponential delay and all of it (so receivers recovering from an outage are not hit in step).
    public func delay(beforeRetry retry: Int) -> Duration {
        let base = Double(initialDelay.components.seconds) + Double(initialDelay.components.attoseconds) / 1e18
        let cap = Double(maximumDelay.components.seconds) + Double(maximumDelay.components.attoseconds) / 1e18
        let exponential = min(cap, base * pow(2, Double(min(retry - 1, 30))))
        let jittered = Double.random(in: (exponential / 2)...max(exponential / 2, exponential))
        return .milliseconds(Int64(jittered * 1000))
    }
}

/// A bounded queue with one worker that delivers each item with retries. The common machinery of
/// the notifiers.
final class DeliveryQueue<Item: Sendable>: Sendable {
    let name: String
    private let continuation: AsyncStream<Item>.Continuation
    private let worker: Task<Void, Never>
    private let stats: StatisticsBox
    private let logger: Logger

    /// - Parameters:
    ///   - capacity: items waiting at most; further ones are dropped (counted and logged).
    ///   - deliver: one attempt; throws to retry.
    init(name: String, capacity: Int, retry: RetryPolicy, logger: Logger, deliver: @escaping @Sendable (Item) async throws -> Void) {
        self.name = name
        self.logger = logger
        let stats = StatisticsBox()
        self.stats = stats
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingOldest(max(1, capacity)))
        self.continuation = continuation
        worker = Task {
            for await item in stream {
                var attempt = 1
                while true {
                    do {
                        try await deliver(item)
                        stats.value.withLock { $0.delivered += 1 }
                        break
                    } catch {
                        if attempt >= retry.attempts || Task.isCancelled {
                            stats.value.withLock { $0.failed += 1 }
                            logger.error("\(name): giving up on a verdict change after \(attempt) attempt(s): \(error)")
                            break
                        }
                        stats.value.withLock { $0.retries += 1 }
                        let wait = retry.delay(beforeRetry: attempt)
                        logger.warning("\(name): attempt \(attempt) failed (\(error)); retrying in \(wait)")
                        attempt += 1
                        try? await Task.sleep(for: wait)
                    }
                }
            }
        }
    }

    /// Queues without waiting; counts and logs what does not fit.
    func offer(_ items: [Item]) {
        var dropped = 0
        var afterShutdown = 0
        for item in items {
            switch continuation.yield(item) {
            case .dropped: dropped += 1
            case .terminated: afterShutdown += 1
            default: break
            }
        }
        if dropped + afterShutdown > 0 {
            let total = stats.value.withLock { s in
                s.dropped += dropped + afterShutdown
                return s.dropped
            }
            if dropped > 0 { logger.error("\(name): queue full, dropped \(dropped) verdict change(s) (\(total) dropped since start)") }
            if afterShutdown > 0 { logger.error("\(name): shut down, dropped \(afterShutdown) verdict change(s) (\(total) dropped since start)") }
        }
    }

    func statistics() -> NotifierStatistics { stats.value.withLock { $0 } }

    /// Ends the stream and waits for the worker to drain it, at most `timeout`.
    func shutdown(timeout: Duration) async {
        continuation.finish()
        let worker = self.worker
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await worker.value }
            group.addTask {
                try? await Task.sleep(for: timeout)
                worker.cancel()
            }
            await group.next()
            group.cancelAll()
        }
    }
}

/// The counters, shared between the queue and its worker.
final class StatisticsBox: Sendable {
    let value = Mutex(NotifierStatistics())
}
