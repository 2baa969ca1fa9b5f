import VigilCore

/// The report for people on a terminal: verdict and reasons first, then the changed files with the
/// facts that changed, then every finding with its explanation and evidence, then diagnostics.
public enum DiffTextReport {
    public static func render(_ diff: ReleaseDiff) -> String {
        var out = "vigil diff: \(diff.old.path) (\(diff.old.kind)) → \(diff.new.path) (\(diff.new.kind))\n"
        out += "Risk: \(diff.risk.label.uppercased())\n"
        for (i, reason) in diff.risk.reasons.enumerated() { out += "  \(i + 1). \(reason)\n" }
        out += "\nFiles: \(diff.old.fileCount) old, \(diff.new.fileCount) new; " + countsLine(diff) + "\n"
        for side in [diff.old, diff.new] {
            if let folder = side.strippedFolder { out += "Paths in \(side.path) are relative to its top folder '\(folder)/'\n" }
        }
        if diff.old.archivesOpened + diff.new.archivesOpened > 0 {
            out += "Nested archives opened: \(diff.old.archivesOpened) old, \(diff.new.archivesOpened) new\n"
        }
        if !diff.changes.isEmpty {
            out += "\nChanges\n"
            for change in diff.changes {
                out += "  \(ChangeDescription.marker(change.kind)) \(change.path)  (\(ChangeDescription.headline(change)))\n"
                for line in ChangeDescription.details(change) { out += "      \(line)\n" }
            }
        }
        out += "\nFindings (\(diff.findings.count))\n"
        if diff.findings.isEmpty { out += "  none\n" }
        for f in diff.findings {
            out += "  \(f.severity.rawValue.uppercased().padding(8))\(f.check)  \(f.path)\(f.offset.map { " @\($0)" } ?? "")\n"
            out += "          \(f.title)\n"
            out += "          why: \(f.explanation)\n"
            if !f.attack.isEmpty { out += "          ATT&CK: \(f.attack.joined(separator: ", "))\n" }
            let evidence = f.evidence.keys.sorted().filter { !["old_sha256", "new_sha256", "change"].contains($0) }
                .map { "\($0)=\(f.evidence[$0]!.description)" }
            if !evidence.isEmpty { out += "          evidence: \(evidence.joined(separator: "; "))\n" }
        }
        if !diff.preexisting.isEmpty {
            out += "\nAlready in the old release (\(diff.preexisting.count); not part of the verdict)\n"
            for f in diff.preexisting {
                out += "  \(f.severity.rawValue.uppercased().padding(8))\(f.check)  \(f.path)  \(f.title)\n"
            }
        }
        if !diff.diagnostics.isEmpty {
            out += "\nDiagnostics (\(diff.diagnostics.count))\n"
            for d in diff.diagnostics { out += "  \(d)\n" }
        }
        return out
    }

    static func countsLine(_ diff: ReleaseDiff) -> String {
        ChangeKind.allCases.map { "\(diff.counts[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
