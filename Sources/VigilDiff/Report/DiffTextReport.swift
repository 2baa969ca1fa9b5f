import VigilCore

/// The report for people on a terminal: verdict and reasons first, then the changed files with the
/// facts that changed, then every finding with its explanation and evidence, then diagnostics.
public enum DiffTextReport {
    public static func render(_ diff: ReleaseDiff) -> String {
        var out = ""
        /// Appends one report line; the line's text is escaped (``TerminalSafe``), so a member name with
        /// a newline or an ESC sequence cannot forge a line or rewrite the terminal.
        func line(_ text: String) { out += TerminalSafe.escape(text) + "\n" }
        line("vigil diff: \(diff.old.path) (\(diff.old.kind)) → \(diff.new.path) (\(diff.new.kind))")
        line("Risk: \(diff.risk.label.uppercased())")
        for (i, reason) in diff.risk.reasons.enumerated() { line("  \(i + 1). \(reason)") }
        line("")
        line("Files: \(diff.old.fileCount) old, \(diff.new.fileCount) new; " + countsLine(diff))
        for side in [diff.old, diff.new] {
            if let folder = side.strippedFolder { line("Paths in \(side.path) are relative to its top folder '\(folder)/'") }
        }
        if diff.old.archivesOpened + diff.new.archivesOpened > 0 {
            line("Nested archives opened: \(diff.old.archivesOpened) old, \(diff.new.archivesOpened) new")
        }
        if !diff.changes.isEmpty {
            out += "\n"; line("Changes")
            for change in diff.changes {
                line("  \(ChangeDescription.marker(change.kind)) \(change.path)  (\(ChangeDescription.headline(change)))")
                for detail in ChangeDescription.details(change) { line("      \(detail)") }
            }
        }
        out += "\n"; line("Findings (\(diff.findings.count))")
        if diff.findings.isEmpty { line("  none") }
        for f in diff.findings {
            line("  \(f.severity.rawValue.uppercased().padding(8))\(f.check)  \(f.path)\(f.offset.map { " @\($0)" } ?? "")")
            line("          \(f.title)")
            line("          why: \(f.explanation)")
            if !f.attack.isEmpty { line("          ATT&CK: \(f.attack.joined(separator: ", "))") }
            let evidence = f.evidence.keys.sorted().filter { !["old_sha256", "new_sha256", "change"].contains($0) }
                .map { "\($0)=\(f.evidence[$0]!.description)" }
            if !evidence.isEmpty { line("          evidence: \(evidence.joined(separator: "; "))") }
        }
        if !diff.preexisting.isEmpty {
            out += "\n"; line("Already in the old release (\(diff.preexisting.count); not part of the verdict)")
            for f in diff.preexisting {
                line("  \(f.severity.rawValue.uppercased().padding(8))\(f.check)  \(f.path)  \(f.title)")
            }
        }
        if !diff.diagnostics.isEmpty {
            out += "\n"; line("Diagnostics (\(diff.diagnostics.count))")
            for d in diff.diagnostics { line("  \(d)") }
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
