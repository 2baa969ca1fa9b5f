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

    /// MD5 only when an MD5 indicator is loaded, SHA-1 only when a SHA-1 indicator is: MD5 runs at
    /// about 0.8 GB/s per core against about 1.9 GB/s for SHA-1 and SHA-256 (with SHA extensions), so
    /// an unused digest is the largest single saving in a sweep.
    static func extraDigests(for indicators: IndicatorSet) -> ExtraDigests {
        let counts = indicators.countsByKind
        var digests: ExtraDigests = []
        if (counts[.md5] ?? 0) > 0 { digests.insert(.md5) }
        if (counts[.sha1] ?? 0) > 0 { digests.insert(.sha1) }
        return digests
    }
}
