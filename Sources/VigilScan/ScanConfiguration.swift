import VigilCore
import VigilDetections
import VigilIndicators
import YaraKit

/// Everything a sweep matches against, prepared once and shared read-only by all workers.
public struct ScanConfiguration: Sendable {
    /// Hash and filename indicators (other kinds are ignored by the file sweep).
    public var indicators: IndicatorSet
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
        self.rules = rules
        self.ruleSourceCount = ruleSourceCount
        self.setupDiagnostics = setupDiagnostics
        self.options = options
        self.detections = detections
    }
}
