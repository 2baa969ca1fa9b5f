import VigilCore

/// The release-specific part of a pull-request comment: verdict, reasons and a table of changed
/// files. The findings section is appended by the caller (VigilOutput's `MarkdownRenderer`).
public enum DiffMarkdownReport {
    public static func render(_ diff: ReleaseDiff) -> String {
        var out = "## Vigil release diff: risk \(diff.risk.level.map { $0 >= .high ? "**\($0.rawValue.uppercased())**" : $0.rawValue } ?? "none")\n\n"
        out += "`\(code(diff.old.path))` → `\(code(diff.new.path))`: \(DiffTextReport.countsLine(diff)).\n\n"
        if !diff.risk.reasons.isEmpty {
            out += "What drives the verdict:\n\n"
            for reason in diff.risk.reasons { out += "1. \(escape(reason))\n" }
            out += "\n"
        }
        if !diff.changes.isEmpty {
            out += "<details><summary>Changed files (\(diff.changes.count))</summary>\n\n| Change | File | What changed |\n|---|---|---|\n"
            for c in diff.changes.prefix(200) {
                let what = ([ChangeDescription.headline(c)] + ChangeDescription.details(c)).map(escape).joined(separator: "<br>")
                out += "| \(c.kind.rawValue) | `\(code(c.path))` | \(what) |\n"
            }
            if diff.changes.count > 200 { out += "\n\(diff.changes.count - 200) more change(s) not shown.\n" }
            out += "\n</details>\n\n"
        }
        if !diff.preexisting.isEmpty {
            out += "\(diff.preexisting.count) finding(s) were already present in the previous release and are not part of the verdict (see the text or JSON report).\n\n"
        }
        if !diff.diagnostics.isEmpty {
            out += "\(diff.diagnostics.count) problem(s) while reading the releases (see the text or JSON report).\n\n"
        }
        return out
    }

    static func code(_ s: String) -> String { TerminalSafe.escape(s).split(separator: "`", omittingEmptySubsequences: false).joined(separator: "'").split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in TerminalSafe.escape(s) {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "|": out += "\\|"
            case "\n": out += " "
            default: out.append(ch)
            }
        }
        return out
    }
}
