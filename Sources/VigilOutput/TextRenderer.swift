import VigilCore

/// Renders findings for people: grouped by file, most severe first, with the evidence that explains
/// each one, then the problems met, then a summary. ANSI colour only when asked (a terminal).
/// Every string from findings and diagnostics is escaped (``TerminalSafe``): a file name with an ESC
/// sequence or a newline cannot rewrite the terminal or forge a report line.
public struct TextRenderer {
    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    /// - Parameters:
    ///   - findings: sorted by path (the renderer keeps their order within a file).
    ///   - diagnostics: problems that did not stop the run.
    ///   - summary: closing lines (counts, timing).
    public func render(findings: [Finding], diagnostics: [Diagnostic], summary: [String]) -> String {
        var out = ""
        var groups: [(path: String, findings: [Finding])] = []
        for f in findings {
            if groups.last?.path == f.path { groups[groups.count - 1].findings.append(f) } else { groups.append((f.path, [f])) }
        }
        for group in groups {
            out += paint(TerminalSafe.escape(group.path), "1") + "\n"
            for f in group.findings.sorted(by: { $0.severity > $1.severity }) {
                let level = f.severity.rawValue.uppercased() + (f.score.map { " \($0)" } ?? "")
                out += "  " + paint("[\(level)]", code(for: f.severity)) + " " + TerminalSafe.escape(f.title) + "  " + paint("(\(safe: f.check))", "2") + "\n"
                if let indicator = f.indicator { out += "      indicator: \(safe: indicator)\n" }
                if let source = f.source { out += "      source:    \(safe: source)\n" }
                if !f.matches.isEmpty {
                    let shown = f.matches.prefix(6).map { "\(safe: $0.identifier) at \($0.offset) (0x\(String($0.offset, radix: 16)), \($0.length) bytes)" }
                    var line = shown.joined(separator: ", ")
                    if f.matches.count > 6 { line += ", … \(f.matches.count - 6) more" }
                    out += "      strings:   \(line)\n"
                } else if let offset = f.offset {
                    out += "      offset:    \(offset) (0x\(String(offset, radix: 16)))\n"
                }
                if let line = f.line { out += "      line:      \(line)\n" }
                if !f.attack.isEmpty { out += "      ATT&CK:    \(f.attack.joined(separator: ", "))\n" }
                out += "      why:       \(safe: f.explanation)\n"
            }
            out += "\n"
        }
        if !diagnostics.isEmpty {
            out += paint("Problems (\(diagnostics.count)), each counted; the run went on:", "33") + "\n"
            for d in diagnostics { out += "  \(safe: d.kind): \(safe: location(d)): \(safe: d.message)\n" }
            out += "\n"
        }
        for line in summary { out += TerminalSafe.escape(line) + "\n" }
        return out
    }

    private func location(_ d: Diagnostic) -> String {
        var s = d.path
        if let line = d.line { s += ":\(line)" }
        if let offset = d.offset { s += " @\(offset)" }
        return s
    }

    private func code(for severity: Severity) -> String {
        switch severity {
        case .critical: "1;31"
        case .high: "31"
        case .medium: "33"
        case .low: "36"
        case .info: "2"
        }
    }

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
