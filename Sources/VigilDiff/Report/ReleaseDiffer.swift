import VigilCore
import VigilDetections
import VigilFormats

/// Compares two releases: reads both (folders or archives), computes facts per file, pairs them,
/// runs the release-diff signals and Vigil's structural checks on the new side, and rates the release.
///
/// ```swift
/// let diff = try ReleaseDiffer().diff(old: "app-18.12.407", new: "app-18.12.416.zip")
/// print(diff.risk.label, diff.risk.reasons)
/// ```
public struct ReleaseDiffer: Sendable {
    public var limits: ExpansionLimits
    public var engine: DetectionEngine

    public init(limits: ExpansionLimits = .standard, engine: DetectionEngine = DetectionEngine()) {
        self.limits = limits
        self.engine = engine
    }

    /// Compares the release at `old` with the one at `new`.
    /// - Throws: ``ReleaseError`` when either side is refused (hostile archive) or unreadable.
    public func diff(old: String, new: String) throws -> ReleaseDiff {
        let before = try readSide(old, label: "old")
        let after = try readSide(new, label: "new")
        var changes = Pairing.pair(old: before.files, new: after.files)
        let comparison = ReleaseComparison(changes: changes, oldFiles: before.files)
        var findings = Signals.evaluate(comparison)
        findings += structuralFindings(new: after.findings, old: before.findings)
        findings.sort { ($0.severity, $1.path, $1.check) > ($1.severity, $0.path, $0.check) }
        var counts: [String: Int] = [:]
        for kind in ChangeKind.allCases { counts[kind.rawValue] = 0 }
        for change in changes { counts[change.kind.rawValue, default: 0] += 1 }
        changes.removeAll { $0.kind == .unchanged }
        return ReleaseDiff(
            old: before.source, new: after.source, counts: counts, changes: changes, findings: findings,
            risk: RiskSummary(findings: findings), diagnostics: before.diagnostics + after.diagnostics)
    }

    /// One side read: facts, structural findings, the source summary and diagnostics.
    struct Side {
        var source: ReleaseSource
        var files: [FileFacts]
        var findings: [Finding]
        var diagnostics: [Diagnostic]
    }

    func readSide(_ path: String, label: String) throws -> Side {
        var files: [FileFacts] = []
        var analyses: [String: [FileAnalysis]] = [:]
        var findings: [Finding] = []
        let (source, diagnostics) = try ReleaseReader(limits: limits).read(path) { member in
            let facts = FactExtractor.facts(for: member)
            files.append(facts)
            if case .file(let bytes, _, _, _) = member.content {
                let analysis = engine.analyze(ScannedFile(path: member.path, bytes: bytes, format: facts.format))
                findings += analysis.findings
                analyses[facts.folder, default: []].append(analysis)
            }
        }
        for (folder, list) in analyses.sorted(by: { $0.key < $1.key }) {
            findings += engine.analyzeFolder(folder, files: list)
        }
        FactExtractor.attachBundleVersions(&files)
        let tagged = diagnostics.map { d -> Diagnostic in
            var d = d
            d.path = "\(label):\(d.path)"
            return d
        }
        return Side(source: source, files: files, findings: findings, diagnostics: tagged)
    }

    /// Every structural finding on the new side, marked with whether the old release had the same
    /// finding on the same file (then it is not new in this release, but still reported).
    func structuralFindings(new: [Finding], old: [Finding]) -> [Finding] {
        let before = Set(old.map { "\($0.check)|\($0.path)" })
        return new.map { finding in
            var f = finding
            f.evidence["present_in_old_release"] = .bool(before.contains("\(finding.check)|\(finding.path)"))
            return f
        }
    }
}
