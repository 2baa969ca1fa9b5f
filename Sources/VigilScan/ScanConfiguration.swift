import VigilCore
import VigilDetections
import VigilIndicators
import YaraKit

/// Everything a sweep matches against, prepared once and shared read-only by all workers.
public struct ScanConfiguration: Sendable {
    /// Hash and filename indicators (other kinds are ignored by the file sweep).
    public var indicators: IndicatorSet {
        didSet { extraDigests = Self.extraDigests(for: indicators) }
    }
    /// Digests computed beside SHA-256 while reading: only those a loaded indicator could match.
    public private(set) var extraDigests: ExtraDigests
    /// Compiled YARA rules, or `nil` for none.
    public var rules: CompiledRules?
    /// Number of rule sources (files, built-in sets) in `rules`.
    public var ruleSourceCount: Int
    /// Problems found while preparing (rule files that did not compile, rejected indicator rows);
    /// reported with the sweep's own diagnostics.
    public var setupDiagnostics: [Diagnostic]
    public var options: ScanOptions
    /// The structural checks run on every file and folder.
    public var detections: DetectionEngine
    /// SHA-256 over the rule sources loaded (names and texts), set by ``ScanSetup/prepare``; part of
    /// ``cacheDigest``. Set it when building a configuration with rules by hand and a cache.
    public var rulesDigest: String = ""
    /// Per-file results reused across sweeps (`vigil scan --cache`, `vigil agent`); `nil` for none.
    public var cache: (any ScanCache)? = nil
    /// With ``ScanOptions/collectsInventory``: receives each inventory record as the sweep makes it,
    /// and ``ScanResult/inventory`` stays empty (a caller that streams the inventory holds none of it).
    public var inventorySink: (any InventorySink)? = nil

    public init(
        indicators: IndicatorSet, rules: CompiledRules? = nil, ruleSourceCount: Int = 0, setupDiagnostics: [Diagnostic] = [],
        options: ScanOptions = ScanOptions(), detections: DetectionEngine = DetectionEngine()
    ) {
        self.indicators = indicators
        self.extraDigests = Self.extraDigests(for: indicators)
        self.rules = rules
        self.ruleSourceCount = ruleSourceCount
        self.setupDiagnostics = setupDiagnostics
        self.options = options
        self.detections = detections
    }

    /// MD5 only when an MD5 indicator could match a file that no loaded SHA-256 finds, likewise SHA-1:
    /// MD5 runs at about 0.8 GB/s per core against about 1.8 GB/s for SHA-1 and SHA-256 (with SHA
    /// extensions), so an unneeded digest is the largest single saving in a sweep. An indicator whose
    /// ``Indicator/sameFileSHA256`` is loaded needs no digest of its own: the file is found by its
    /// SHA-256, and the hit is then matched again with all three digests.
    static func extraDigests(for indicators: IndicatorSet) -> ExtraDigests {
        let counts = indicators.countsByKind
        guard (counts[.md5] ?? 0) + (counts[.sha1] ?? 0) > 0 else { return [] }
        var digests: ExtraDigests = []
        for indicator in indicators.indicators where indicator.kind == .md5 || indicator.kind == .sha1 {
            if let sha256 = indicator.sameFileSHA256, indicators.contains(.sha256, sha256) { continue }
            digests.insert(indicator.kind == .md5 ? .md5 : .sha1)
            if digests == [.md5, .sha1] { break }
        }
        return digests
    }
}
