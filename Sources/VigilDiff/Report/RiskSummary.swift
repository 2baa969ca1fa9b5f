import VigilCore

/// The verdict for a whole release: the highest severity among its findings, raised to high when
/// one file collects several independent medium signals, and the few reasons that drive it.
public struct RiskSummary: Sendable, Codable, Hashable {
    /// `nil` when there is nothing to report.
    public var level: Severity?
    /// Two or three sentences, one per file, most severe first.
    public var reasons: [String]
    /// Findings per severity.
    public var counts: [String: Int]
    /// The files that drive the verdict, most severe first.
    public var files: [String]

    /// One word for people: `none`, `low`, `medium`, `high`, `critical`.
    public var label: String { level?.rawValue ?? "none" }

    /// How many independent medium checks on one file make it high.
    static let escalationCount = 2
    static let maxReasons = 3

    init(findings: [Finding]) {
        counts = Dictionary(grouping: findings, by: { $0.severity.rawValue }).mapValues(\.count)
        let byFile = Dictionary(grouping: findings.filter { $0.severity >= .low }, by: \.path)
        var ranked: [(path: String, severity: Severity, findings: [Finding])] = []
        for (path, list) in byFile {
            var severity = list.map(\.severity).max() ?? .info
            let mediumChecks = Set(list.filter { $0.severity >= .medium }.map(\.check))
            if severity == .medium, mediumChecks.count >= Self.escalationCount { severity = .high }
            ranked.append((path, severity, list.sorted { ($0.severity, $1.check) > ($1.severity, $0.check) }))
        }
        ranked.sort { ($0.severity, $0.findings.count, $1.path) > ($1.severity, $1.findings.count, $0.path) }
        level = ranked.first?.severity ?? findings.map(\.severity).max()
        files = ranked.prefix(Self.maxReasons).map(\.path)
        reasons = ranked.prefix(Self.maxReasons).map { entry in
            let titles = entry.findings.prefix(3).map(\.title)
            let escalated = entry.findings.map(\.severity).max() == .medium && entry.severity == .high
            return "\(entry.path) (\(entry.severity.rawValue)\(escalated ? ": several independent signals" : "")): " + titles.joined(separator: "; ")
        }
    }
}
