import Foundation
import VigilNotify

/// The limits one server process enforces. Defaults suit a fleet of tens of thousands of hosts whose
/// agents batch 5,000 files at a time.
public struct FleetServerLimits: Sendable {
    /// Request body caps, per route (compressed size for batches).
    public var maxEnrollBody = 64 << 10
    public var maxBatchBody = 16 << 20
    /// The most a batch may expand to when un-gzipped (zip-bomb guard).
    public var maxBatchExpanded = 64 << 20
    public var maxFeedBody = 64 << 20
    public var maxSecretBody = 4 << 10
    /// Network reports (`vigil hunt --report-to`): compressed size, and the most one may expand to
    /// (about 2 million contact rows of JSON).
    public var maxNetworkReportBody = 64 << 20
    public var maxNetworkReportExpanded = 768 << 20
    /// Per-batch counts.
    public var maxFilesPerBatch = 50_000
    public var maxRemovedPerBatch = 50_000
    public var maxFindingsPerBatch = 10_000
    /// Longest path accepted, in UTF-8 bytes (Linux PATH_MAX is 4,096).
    public var maxPathBytes = 4096
    /// Longest free-text field (host name, signer, version…), in UTF-8 bytes.
    public var maxTextBytes = 1024
    public var maxAddresses = 256
    public var maxRoots = 256
    /// Rows one client query may return.
    public var maxQueryRows = 10_000
    /// Token buckets: per host (agent routes), per API token (client routes), per address (enrolment).
    public var hostRate = RateLimit(burst: 60, perSecond: 2)
    public var tokenRate = RateLimit(burst: 120, perSecond: 20)
    public var enrollRate = RateLimit(burst: 20, perSecond: 1)
    /// The longest a request may take, body upload included, before the server answers 503 (a hung database
    /// connection must not hold agents for minutes); batch uploads (up to 16 MiB over slow links) and feed
    /// imports with their retro-hunt get longer.
    public var requestDeadline: Duration = .seconds(20)
    public var batchDeadline: Duration = .seconds(60)
    public var feedDeadline: Duration = .seconds(300)
    public var networkReportDeadline: Duration = .seconds(300)
    /// Open connections at most (further ones wait in the listen backlog), and how long an idle
    /// keep-alive connection is kept.
    public var maxConnections = 10_000
    public var idleTimeoutSeconds: Int64 = 60
    /// `Retry-After` sent with 503 when the store fails.
    public var unavailableRetryAfterSeconds = 30

    public init() {}
}

/// How one `vigil serve` process behaves.
public struct FleetServerConfiguration: Sendable {
    public var limits = FleetServerLimits()
    /// Match with Vigil's built-in 3CX indicators and rules besides the stored feeds.
    public var includeDefaultIndicators = true
    /// How stale this process's indicator set may get before it checks the store's feed generation.
    public var indicatorCheckInterval: Duration = .seconds(1)
    /// How verdicts are computed (mapping file, coverage tolerance, affected versions).
    public var verdicts = VerdictServiceOptions()
    /// Where verdict changes are pushed (`--webhook`, `--syslog`).
    public var verdictNotifiers: [any VerdictNotifier] = []

    public init() {}
}
