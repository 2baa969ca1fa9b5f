import VigilCore

/// What every release-diff signal sees: one file change and the whole release around it.
struct SignalContext {
    let change: FileChange
    let release: ReleaseComparison

    var old: FileFacts? { change.old }
    var new: FileFacts? { change.new }
    var details: ChangeDetails { change.details }

    /// A finding about this change's new file (or old file when removed).
    func finding(
        _ check: String, _ title: String, _ severity: Severity, _ explanation: String, attack: [String],
        offset: Int? = nil, evidence: [String: EvidenceValue]
    ) -> Finding {
        var evidence = evidence
        evidence["change"] = .string(change.kind.rawValue)
        if let old, old.path != change.path { evidence["old_path"] = .string(old.path) }
        if let old { evidence["old_sha256"] = .string(old.sha256) }
        if let new { evidence["new_sha256"] = .string(new.sha256) }
        return Finding(
            check: check, title: title, severity: severity, path: change.path, offset: offset, explanation: explanation,
            attack: attack, source: "vigil diff", evidence: evidence)
    }
}

/// All file changes of a release, indexed by folder for checks that look at neighbours.
struct ReleaseComparison {
    let changes: [FileChange]
    let byNewFolder: [String: [FileChange]]
    let oldFolders: [String: [FileFacts]]

    init(changes: [FileChange], oldFiles: [FileFacts]) {
        self.changes = changes
        byNewFolder = Dictionary(grouping: changes.filter { $0.new != nil }, by: { $0.new!.folder })
        oldFolders = Dictionary(grouping: oldFiles, by: \.folder)
    }
}

/// A release-diff check: looks at one change and returns its findings.
typealias Signal = @Sendable (SignalContext) -> [Finding]

/// Every signal, in report order.
enum Signals {
    static let all: [Signal] = [
        SignatureSignals.signatureOnlyChange,
        SignatureSignals.slackAppeared,
        SignatureSignals.signerChanged,
        SiblingSignals.readsSiblingSignatureArea,
        VersionSignals.versionUnchanged,
        StructureSignals.newLoaderAPIs,
        StructureSignals.codeEntropyJump,
        StructureSignals.newNetworkIndicators,
        StructureSignals.newExecutable,
        StructureSignals.newDylibLoads,
        ImageSignals.trailerAppeared,
    ]

    static func evaluate(_ comparison: ReleaseComparison) -> [Finding] {
        var findings: [Finding] = []
        for change in comparison.changes where change.kind != .unchanged && change.kind != .removed {
            let context = SignalContext(change: change, release: comparison)
            for signal in all { findings += signal(context) }
        }
        return findings
    }
}
