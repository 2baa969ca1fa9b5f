import Foundation
import VigilCore
import VigilDefaults
import VigilFleetProtocol
import VigilFleetStore
import VigilIndicators
import VigilScan

/// The indicators one server process matches with, as one immutable value.
public struct IndicatorSnapshot: Sendable {
    /// The store's feed generation this snapshot was built from.
    public var generation: Int64
    public var indicators: IndicatorSet
    public var filenames: FilenameMatcher
    /// `[Indicator]` as JSON for `GET /api/v1/agent/indicators`, and its ETag.
    public var agentIndicatorsJSON: Data
    public var indicatorsETag: String
    /// YARA rule source for `GET /api/v1/agent/rules`, and its ETag.
    public var rulesText: String
    public var rulesETag: String
    /// Stored feeds whose indicators could not be decoded (name and reason); they are left out.
    public var unreadableFeeds: [(name: String, reason: String)]

    /// The server's own findings for one reported file: hash indicators (MD5/SHA-1 where the agent sent
    /// them) and file-name indicators, built exactly as `vigil scan` builds them.
    public func findings(for file: InventoryFile) -> [Finding] {
        var out: [Finding] = []
        for hit in indicators.matchHashes(md5: file.md5, sha1: file.sha1, sha256: file.sha256) {
            out.append(IndicatorFinding.hashHit(hit, path: file.path, md5: file.md5, sha1: file.sha1, sha256: file.sha256))
        }
        for hit in filenames.match(path: file.path).hits {
            out.append(IndicatorFinding.filenameHit(hit, path: file.path))
        }
        return out
    }
}

/// Keeps this process's ``IndicatorSnapshot`` in step with the store.
///
/// Several `vigil serve` processes may share one PostgreSQL database, so no process may assume it
/// saw every feed change: before matching, a process compares the store's ``FleetStore/feedGeneration()``
/// with its snapshot's (at most once per `checkInterval`) and rebuilds when it moved.
public actor ServerIndicators {
    private let store: any FleetStore
    private let includeDefaults: Bool
    private let checkInterval: Duration
    private var snapshot: IndicatorSnapshot?
    private var lastCheck: ContinuousClock.Instant?

    /// - Parameters:
    ///   - includeDefaults: match with Vigil's built-in 3CX indicators and rules besides the stored feeds.
    ///   - checkInterval: how stale the snapshot may get before the store's generation is checked again.
    public init(store: any FleetStore, includeDefaults: Bool = true, checkInterval: Duration = .seconds(1)) {
        self.store = store
        self.includeDefaults = includeDefaults
        self.checkInterval = checkInterval
    }

    /// The current snapshot, reloaded first when the store's feed generation changed.
    public func current() async throws -> IndicatorSnapshot {
        let now = ContinuousClock.now
        if let snapshot, let lastCheck, now - lastCheck < checkInterval { return snapshot }
        let generation = try await store.feedGeneration()
        lastCheck = now
        if let snapshot, snapshot.generation == generation { return snapshot }
        let fresh = try await build(generation: generation)
        snapshot = fresh
        return fresh
    }

    /// Rebuilds now (after this process saved a feed), whatever the interval.
    @discardableResult
    public func reload() async throws -> IndicatorSnapshot {
        lastCheck = nil
        snapshot = nil
        return try await current()
    }

    private func build(generation: Int64) async throws -> IndicatorSnapshot {
        var set = includeDefaults ? DefaultIndicators.indicatorSet : IndicatorSet()
        var unreadable: [(String, String)] = []
        let decoder = JSONDecoder()
        for feed in try await store.feeds() {
            guard let data = try await store.feedIndicatorsJSON(name: feed.name) else { continue }
            do {
                for indicator in try decoder.decode([Indicator].self, from: data) { _ = set.insert(indicator) }
            } catch {
                unreadable.append((feed.name, "stored indicators do not decode: \(error)"))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(set.indicators)
        let rules = includeDefaults
            ? DefaultRules.ruleSets.map { "// \($0.name) (\($0.origin), \($0.licence))\n\($0.text)" }.joined(separator: "\n\n")
            : ""
        return IndicatorSnapshot(
            generation: generation, indicators: set, filenames: FilenameMatcher(indicators: set.filenamePatterns),
            agentIndicatorsJSON: json, indicatorsETag: "\"" + FleetCredentials.sha256Hex(json) + "\"",
            rulesText: rules, rulesETag: "\"" + FleetCredentials.sha256Hex(Data(rules.utf8)) + "\"",
            unreadableFeeds: unreadable)
    }
}
