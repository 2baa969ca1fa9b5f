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
    /// The structural checks to run; each release side gets a fresh engine with these options.
    public var engine: DetectionEngine

    public init(limits: ExpansionLimits = .standard, engine: DetectionEngine = ReleaseDiffer.defaultEngine) {
        self.limits = limits
        self.engine = engine
    }

    /// The structural checks as `vigil scan` runs them, except that the Mach-O folder check does not
    /// look at this machine's file system: release members are paths inside the release (often inside
    /// an archive), not files of the computer running the diff.
    public static var defaultEngine: DetectionEngine {
        var options = DetectionOptions()
        options.resolveDylibsOnDisk = false
        return DetectionEngine(options: options)
    }

    /// Compares the release at `old` with the one at `new`.
    /// - Throws: ``ReleaseError`` when either side is refused (hostile archive) or unreadable.
    public func diff(old: String, new: String) throws -> ReleaseDiff {
        let before = try readSide(old, label: "old")
        var after = try readSide(new, label: "new")
        // Two single files are one file in two versions, whatever their names.
        if before.source.kind == "file", after.source.kind == "file", let o = before.files.first, let n = after.files.first, o.path != n.path {
            after.files[0].path = o.path
            for i in after.findings.indices where after.findings[i].path == n.path { after.findings[i].path = o.path }
        }
        var changes = Pairing.pair(old: before.files, new: after.files)
        let comparison = ReleaseComparison(changes: changes, oldFiles: before.files)
        var findings = Signals.evaluate(comparison)
        let structural = structuralFindings(new: after.findings, old: before.findings)
        findings += structural.new
        findings += Self.archiveFindings(after.diagnostics)
        let order: (Finding, Finding) -> Bool = { ($0.severity, $1.path, $1.check) > ($1.severity, $0.path, $0.check) }
        findings.sort(by: order)
        var counts: [String: Int] = [:]
        for kind in ChangeKind.allCases { counts[kind.rawValue] = 0 }
        for change in changes { counts[change.kind.rawValue, default: 0] += 1 }
        changes.removeAll { $0.kind == .unchanged }
        return ReleaseDiff(
            old: before.source, new: after.source, counts: counts, changes: changes, findings: findings,
            preexisting: structural.preexisting.sorted(by: order), risk: RiskSummary(findings: findings),
            diagnostics: before.diagnostics + after.diagnostics)
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
        // A fresh engine per side: the engine remembers the Mach-O facts of the files it analysed so
        // bundle libraries resolve across folders, and the old release's files must not satisfy the new one's.
        let engine = DetectionEngine(options: self.engine.options)
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
        var root = Self.singleTopFolder(files.map(\.path))
        // An installer names its members from a well-known root (`[ProgramFiles]/3CX Desktop App/…`,
        // VigilMSI): the application folder under that root is the release's top folder, so an MSI
        // pairs with the unpacked application folder as well as with another MSI.
        if let r = root, r.hasPrefix("["), r.hasSuffix("]/"),
            let inner = Self.singleTopFolder(files.map { String($0.path.dropFirst(r.count)) })
        {
            root = r + inner
        }
        if let root {
            for i in files.indices { files[i].path.removeFirst(root.count) }
            for i in findings.indices where findings[i].path.hasPrefix(root) { findings[i].path.removeFirst(root.count) }
        }
        FactExtractor.attachBundleVersions(&files)
        let tagged = diagnostics.map { d -> Diagnostic in
            var d = d
            d.path = "\(label):\(d.path)"
            return d
        }
        var described = source
        described.strippedFolder = root.map { String($0.dropLast()) }
        return Side(source: described, files: files, findings: findings, diagnostics: tagged)
    }

    /// Diagnostic kinds of the new release that make its member list uncertain, and so raise the risk.
    static let riskyDiagnostics: Set<String> = ["archive-ambiguous", "malformed"]

    /// One finding per archive of the new release that was damaged or that tar readers would list
    /// differently: what Vigil compared may not be what an installer unpacks.
    static func archiveFindings(_ diagnostics: [Diagnostic]) -> [Finding] {
        let risky = diagnostics.filter { riskyDiagnostics.contains($0.kind) }
        let byArchive = Dictionary(grouping: risky) { d -> String in
            String(d.path.hasPrefix("new:") ? d.path.dropFirst(4) : d.path[...])
        }
        return byArchive.sorted { $0.key < $1.key }.map { path, list in
            let ambiguous = list.contains { $0.kind == "archive-ambiguous" }
            let check = ambiguous ? "diff.archive-ambiguous" : "diff.archive-malformed"
            let title = ambiguous
                ? "Archive that other tools may unpack differently (\(list.count) problem\(list.count == 1 ? "" : "s"))"
                : "Archive inside the release could not be read (\(list.count) problem\(list.count == 1 ? "" : "s"))"
            let explanation = ambiguous
                ? "The archive's headers are inconsistent in a way that archive readers resolve differently (conflicting extended headers, data where none belongs, bytes after the end marker, a wrong entry count). A crafted archive can show one member list to a reviewer or scanner and unpack another one on install; Vigil read it as Python's tarfile and zipfile do and compared that."
                : "Part of the release could not be opened, so its members were not compared. A damaged archive in a release is unusual; a crafted one hides what it carries from scanners."
            var evidence: [String: EvidenceValue] = ["problems": .strings(list.prefix(10).map(\.description))]
            if list.count > 10 { evidence["more_problems"] = .int(list.count - 10) }
            return Finding(
                check: check, title: title, severity: ambiguous ? .high : .medium, path: path, explanation: explanation,
                attack: ["T1027", "T1195.002"], source: "vigil diff", evidence: evidence)
        }
    }

    /// `"name/"` when every path lies inside one top-level folder (a tarball's `pkg-1.2/`), so
    /// releases packed with and without a wrapping folder, or with a versioned one, pair by path.
    static func singleTopFolder(_ paths: [String]) -> String? {
        guard let first = paths.first, let slash = first.firstIndex(of: "/") else { return nil }
        let prefix = String(first[...slash])
        return paths.allSatisfy { $0.hasPrefix(prefix) } ? prefix : nil
    }

    /// Splits the structural findings on the new side into those the old release did not have (part
    /// of the diff's findings and risk) and those it already had on the same file (reported apart:
    /// nothing changed about them, so they do not drive this release's verdict).
    func structuralFindings(new: [Finding], old: [Finding]) -> (new: [Finding], preexisting: [Finding]) {
        let before = Set(old.map { "\($0.check)|\($0.path)|\($0.severity)" })
        var fresh: [Finding] = []
        var preexisting: [Finding] = []
        for finding in new {
            if before.contains("\(finding.check)|\(finding.path)|\(finding.severity)") {
                preexisting.append(finding)
            } else {
                fresh.append(finding)
            }
        }
        return (fresh, preexisting)
    }
}
