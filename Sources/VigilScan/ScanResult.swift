import VigilCore

/// Counts describing one sweep.
public struct ScanStatistics: Sendable, Codable, Hashable {
    /// Regular files read and checked.
    public var filesScanned = 0
    /// Regular files whose results came from the scan cache (not read).
    public var filesFromCache = 0
    /// Bytes read from those files.
    public var bytesScanned = 0
    /// Containers opened (the files given and those found, nested ones included).
    public var containersOpened = 0
    /// Container members extracted and scanned (not counted in ``filesScanned``).
    public var membersScanned = 0
    /// Bytes of those members.
    public var memberBytesScanned = 0
    /// Bytes of tar and ZIP member data that the containers' own YARA search left to the members'
    /// scans (see `docs/scan.md`).
    public var containerDataBytesLeftToMembers = 0
    /// Folders walked.
    public var directoriesScanned = 0
    /// Files not read because they exceed `--max-file-size` (each also a diagnostic).
    public var filesSkippedForSize = 0
    /// Symbolic links inside folders that were not followed (without `--follow-symlinks`).
    public var symlinksNotFollowed = 0
    /// File name indicator matches not reported because the indicator's false-positive regex matched
    /// the path too (Loki's third column).
    public var filenameHitsSuppressed = 0
    /// Findings produced.
    public var findings = 0
    /// Files with at least one finding.
    public var filesWithFindings = 0
    /// Diagnostics (errors and skipped items), total and per kind.
    public var diagnostics = 0
    public var diagnosticsByKind: [String: Int] = [:]
    /// YARA rules loaded, and the rule sources they came from.
    public var yaraRules = 0
    public var yaraRuleSources = 0
    /// Indicators loaded, per kind (`sha256`, `filename`, …).
    public var indicators: [String: Int] = [:]
    /// Worker threads used.
    public var threads = 0
    /// Wall-clock duration of the sweep in seconds.
    public var durationSeconds = 0.0

    public init() {}
}

/// Everything a sweep produced: findings, diagnostics (never silently dropped) and statistics.
public struct ScanResult: Sendable {
    /// Findings sorted by path, then by descending severity and score.
    public var findings: [Finding]
    /// Problems that did not stop the sweep, sorted by path.
    public var diagnostics: [Diagnostic]
    public var statistics: ScanStatistics
    /// One record per regular file read or taken from the cache, sorted by path, when
    /// ``ScanOptions/collectsInventory`` is set; empty otherwise, and empty when the records went to
    /// ``ScanConfiguration/inventorySink``.
    public var inventory: [InventoryRecord] = []
}
