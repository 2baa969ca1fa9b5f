import Synchronization

/// Thrown when a request's work outlived its deadline (a store that hangs instead of failing:
/// PostgreSQL unreachable while the pool keeps retrying the connection).
struct DeadlineExceeded: Error {}

/// Resumes a continuation once, whichever of the work and the timer finishes first.
private final class OneShot<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>
    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    /// True when this call resumed it.
    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        guard let c = continuation.withLock({ c -> CheckedContinuation<T, any Error>? in
            defer { c = nil }
            return c
        }) else { return false }
        c.resume(with: result)
        return true
    }
}

/// Runs `work`, but answers ``DeadlineExceeded`` after `deadline` without waiting for it: the work is
/// cancelled and left to finish in the background. Store writes are idempotent (batches by id), so a
/// client that retries after a timed-out write cannot apply it twice.
func withDeadline<T: Sendable>(_ deadline: Duration, _ work: @Sendable @escaping () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let once = OneShot(continuation)
        let task = Task {
            do { once.resume(.success(try await work())) } catch { once.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: deadline)
            if once.resume(.failure(DeadlineExceeded())) { task.cancel() }
        }
    }
}
