import VigilCore
import VigilIndicators
import YaraKit

/// Builds self-explaining findings from indicator and YARA matches.
enum FindingFactory {
    /// ATT&CK technique for a compromised software supply chain.
    static let supplyChain = "T1195.002"

    /// Score for hash indicators without one (Loki gives two-column hash lines 100).
    static let defaultHashScore = 100
    /// Score for filename indicators without one.
    static let defaultFilenameScore = 60
    /// Score for YARA rules without a `score` meta (Loki's default subscore).
    static let defaultRuleScore = 70

    static func hashHit(_ indicator: Indicator, path: String, hashes: FileHashes) -> Finding {
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
                "md5": .string(hashes.md5 ?? ""), "sha1": .string(hashes.sha1 ?? ""), "sha256": .string(hashes.sha256),
                "hash_type": .string(indicator.kind.rawValue),
            ]
        )
    }

    static func filenameHit(_ indicator: Indicator, path: String) -> Finding {
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

    static func yaraHit(_ match: RuleMatch, path: String, hashes: FileHashes) -> Finding {
        let score = match.meta("score")?.integerValue.map { Int(clamping: $0) } ?? defaultRuleScore
        let description = match.meta("description")?.description
        var evidence: [String: EvidenceValue] = [
            "rule": .string(match.rule), "namespace": .string(match.namespace), "sha256": .string(hashes.sha256),
            "string_matches": .int(match.totalStringMatches),
        ]
        if !match.tags.isEmpty { evidence["tags"] = .strings(match.tags) }
        for key in ["author", "reference", "date", "license"] {
            if let v = match.meta(key) { evidence[key] = .string(v.description) }
        }
        if match.totalStringMatches > match.strings.count {
            evidence["string_matches_shown"] = .int(match.strings.count)
        }
        var why = "YARA rule \(match.rule)"
        if let description { why += " (\(description))" }
        if let author = match.meta("author") { why += " by \(author)" }
        why += " matched"
        if let first = match.strings.first {
            why += " \(match.totalStringMatches) string occurrence(s), the first \(first.identifier) at offset \(first.offset)"
        } else {
            why += " on its condition alone (no strings)"
        }
        why += ". Rules describe known malware or attacker tooling; confirm with the rule's reference and the file's origin."
        let strings = match.strings.map { StringMatch(identifier: $0.identifier, offset: $0.offset, length: $0.length) }
        return Finding(
            check: "yara",
            title: "YARA rule \(match.rule) matched" + (description.map { ": \($0)" } ?? ""),
            severity: Severity(score: score),
            score: score,
            path: path,
            offset: strings.map(\.offset).min(),
            explanation: why,
            attack: match.source?.hasPrefix("default:") == true ? [supplyChain] : [],
            source: match.source,
            indicator: "\(match.namespace):\(match.rule)",
            matches: strings,
            evidence: evidence
        )
    }

    private static func sourceText(_ indicator: Indicator) -> String {
        indicator.provenance.map { p in
            var s = p.feed
            if let file = p.file { s += " (\(file)\(p.line.map { ":\($0)" } ?? ""))" }
            return s
        }.joined(separator: "; ")
    }
}
