import VigilCore

/// Builds the self-explaining finding for a file that matches a hash or file-name indicator.
///
/// One place for the wording, score and ATT&CK mapping of these findings, shared by `vigil scan`
/// (a file read on this machine) and `vigil serve` (a file an agent reported, matched on arrival or
/// by a retro-hunt), so the same file gives the same finding wherever it was matched.
public enum IndicatorFinding {
    /// ATT&CK technique for a compromised software supply chain.
    public static let supplyChain = "T1195.002"
    /// Score for hash indicators without one (Loki gives two-column hash lines 100).
    public static let defaultHashScore = 100
    /// Score for filename indicators without one.
    public static let defaultFilenameScore = 60

    /// A file whose MD5, SHA-1 or SHA-256 (lower-case hex; empty when unknown) equals a hash indicator.
    public static func hashHit(_ indicator: Indicator, path: String, md5: String?, sha1: String?, sha256: String) -> Finding {
        let score = indicator.score ?? defaultHashScore
        let label = switch indicator.kind {
        case .md5: "MD5"
        case .sha1: "SHA-1"
        default: "SHA-256"
        }
        let about = indicator.summary.map { ": \($0)" } ?? ""
        let feeds = indicator.feeds.joined(separator: ", ")
        let builtIn = indicator.feeds.contains("default")
        return Finding(
            check: "ioc.hash",
            title: "\(label) matches a known-bad file\(about)",
            severity: Severity(score: score),
            score: score,
            path: path,
            explanation: "The file's \(label) \(indicator.value) is listed by \(feeds)\(about). An identical file was published as "
                + "malicious or compromised, so this copy is that file: isolate the host and investigate how it arrived.",
            attack: builtIn ? [supplyChain] : [],
            source: sourceText(indicator),
            indicator: indicator.value,
            evidence: [
                "md5": .string(md5 ?? ""), "sha1": .string(sha1 ?? ""), "sha256": .string(sha256),
                "hash_type": .string(indicator.kind.rawValue),
            ]
        )
    }

    /// A path that a file-name (regular expression) indicator matches.
    public static func filenameHit(_ indicator: Indicator, path: String) -> Finding {
        let score = indicator.score ?? defaultFilenameScore
        let about = indicator.summary.map { ": \($0)" } ?? ""
        return Finding(
            check: "ioc.filename",
            title: "Path matches a file name indicator\(about)",
            severity: Severity(score: score),
            score: score,
            path: path,
            explanation: "The path matches the regular expression \(indicator.value) (case-insensitive) from "
                + "\(indicator.feeds.joined(separator: ", "))\(about). File names alone can be coincidental: check the file's hash and signature.",
            source: sourceText(indicator),
            indicator: indicator.value,
            evidence: ["pattern": .string(indicator.value)]
        )
    }

    /// The indicator's provenance as one line: feed (file:line); …
    public static func sourceText(_ indicator: Indicator) -> String {
        indicator.provenance.map { p in
            var s = p.feed
            if let file = p.file { s += " (\(file)\(p.line.map { ":\($0)" } ?? ""))" }
            return s
        }.joined(separator: "; ")
    }
}
