import VigilCore
import VigilIndicators
import YaraKit

/// Builds self-explaining findings from indicator and YARA matches.
enum FindingFactory {
    /// ATT&CK technique for a compromised software supply chain.
    static let supplyChain = IndicatorFinding.supplyChain
    /// Score for YARA rules without a `score` meta (Loki's default subscore).
    static let defaultRuleScore = 70

    /// Hash and file-name findings are built in VigilIndicators, shared with the fleet server.
    static func hashHit(_ indicator: Indicator, path: String, hashes: FileHashes) -> Finding {
        IndicatorFinding.hashHit(indicator, path: path, md5: hashes.md5, sha1: hashes.sha1, sha256: hashes.sha256)
    }

    static func filenameHit(_ indicator: Indicator, path: String) -> Finding {
        IndicatorFinding.filenameHit(indicator, path: path)
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
}
