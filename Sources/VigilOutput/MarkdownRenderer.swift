import VigilCore

/// Renders findings as GitHub-flavoured Markdown for a pull-request or merge-request comment: a
/// table of findings (most severe first) and a collapsed section with each explanation and its
/// evidence. Table cells are escaped so file names cannot break the layout.
public struct MarkdownRenderer: Sendable {
    /// Findings listed in the table; the rest are counted.
    public var maxRows: Int

    public init(maxRows: Int = 50) { self.maxRows = maxRows }

    /// The findings section (a `###` heading, table and details), or a one-line "no findings" note.
    public func render(_ findings: [Finding], heading: String = "Findings") -> String {
        guard !findings.isEmpty else { return "### \(heading)\n\nNo findings.\n" }
        let sorted = findings.sorted { ($0.severity, $1.path) > ($1.severity, $0.path) }
        var out = "### \(heading) (\(findings.count))\n\n| Severity | Check | File | Finding |\n|---|---|---|---|\n"
        for f in sorted.prefix(maxRows) {
            out += "| \(Self.badge(f.severity)) | `\(Self.cell(Self.inline(f.check)))` | `\(Self.cell(Self.inline(f.path)))` | \(Self.cell(f.title)) |\n"
        }
        if sorted.count > maxRows { out += "\n\(sorted.count - maxRows) more finding(s) not shown.\n" }
        out += "\n<details><summary>Why each finding matters, with evidence</summary>\n\n"
        for f in sorted.prefix(maxRows) {
            out += "#### \(Self.badge(f.severity)) `\(Self.inline(f.check))` in `\(Self.inline(f.path))`\n\n"
            out += Self.escape(f.explanation) + "\n\n"
            if let offset = f.offset { out += "- offset: \(offset) (0x\(String(offset, radix: 16)))\n" }
            if let line = f.line { out += "- line: \(line)\n" }
            if !f.attack.isEmpty { out += "- ATT&CK: \(f.attack.joined(separator: ", "))\n" }
            for key in f.evidence.keys.sorted() {
                out += "- \(key): `\(Self.inline(f.evidence[key]!.description))`\n"
            }
            out += "\n"
        }
        out += "</details>\n"
        return out
    }

    /// **HIGH**, **MEDIUM**… in bold for high and above.
    public static func badge(_ severity: Severity) -> String {
        severity >= .high ? "**\(severity.rawValue.uppercased())**" : severity.rawValue
    }

    /// Text safe inside a table cell: pipes escaped, line breaks flattened, HTML neutralised.
    public static func cell(_ text: String) -> String {
        escape(text).markdownReplacing("|", with: "\\|").markdownReplacing("\n", with: " ")
    }

    /// Text safe inside backticks (backticks replaced).
    public static func inline(_ text: String) -> String {
        TerminalSafe.escape(text).markdownReplacing("`", with: "'").markdownReplacing("\n", with: " ")
    }

    /// Neutralises `<` and `>` so file names cannot inject HTML into the comment; control characters
    /// are escaped (``TerminalSafe``).
    public static func escape(_ text: String) -> String {
        TerminalSafe.escape(text).markdownReplacing("<", with: "&lt;").markdownReplacing(">", with: "&gt;")
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func markdownReplacing(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
