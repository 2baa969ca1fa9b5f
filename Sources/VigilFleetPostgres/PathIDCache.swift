import Synchronization

/// Path-dictionary ids this process has already seen, so the paths every host shares (the system
/// and package files that make up most of an inventory) cost no query on the next batch.
///
/// Safe to share between `vigil serve` processes on one database because a dictionary entry never
/// changes or goes away: `path` rows are only ever inserted, and an identity value is never reused.
/// Bounded: past `capacity` entries the cache starts again from empty (a miss only costs the query
/// that would have run without it).
final class PathIDCache: Sendable {
    private let entries = Mutex<[String: Int64]>([:])
    let capacity: Int

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// The known ids among `paths`, and the paths still to look up (each once).
    func split(_ paths: [String]) -> (known: [String: Int64], missing: [String]) {
        entries.withLock { entries in
            var known: [String: Int64] = [:]
            var missing: [String] = []
            var seenMissing = Set<String>()
            for path in paths {
                if let id = entries[path] { known[path] = id } else if seenMissing.insert(path).inserted { missing.append(path) }
            }
            return (known, missing)
        }
    }

    func remember(_ ids: [String: Int64]) {
        guard capacity > 0 else { return }
        entries.withLock { entries in
            if entries.count + ids.count > capacity { entries.removeAll(keepingCapacity: true) }
            for (path, id) in ids.prefix(capacity) { entries[path] = id }
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
