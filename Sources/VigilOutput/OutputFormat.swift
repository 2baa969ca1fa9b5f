import VigilCore

/// The output formats of Vigil's reporting commands.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Grouped, readable text; colour only on a terminal.
    case text
    /// One JSON document: findings, diagnostics, statistics.
    case json
    /// JSON Lines: one finding per line, for SIEMs.
    case jsonl
    /// SARIF 2.1.0 (``SARIFRenderer``), for code-scanning dashboards.
    case sarif
}

/// The JSON document of a command run: what was found, what went wrong, and the counts.
public struct ReportDocument<Statistics: Encodable & Sendable>: Encodable, Sendable {
    /// Always `vigil`.
    public var tool: String
    public var version: String
    /// The subcommand, e.g. `scan`.
    public var command: String
    public var findings: [Finding]
    /// Problems that did not stop the run (unreadable files, rule errors…), each with its location.
    public var diagnostics: [Diagnostic]
    public var statistics: Statistics

    public init(tool: String = "vigil", version: String, command: String, findings: [Finding], diagnostics: [Diagnostic], statistics: Statistics) {
        self.tool = tool
        self.version = version
        self.command = command
        self.findings = findings
        self.diagnostics = diagnostics
        self.statistics = statistics
    }
}
