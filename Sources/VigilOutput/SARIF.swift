import Foundation
import VigilCore

/// Renders findings as a SARIF 2.1.0 log (OASIS Static Analysis Results Interchange Format), the
/// format GitHub code scanning, Azure DevOps and most CI systems display.
///
/// One run, one rule per distinct `check` (with the ATT&CK ids as tags and a `security-severity`
/// for GitHub), one result per finding. Paths become relative artifact URIs under the base id
/// `SCANROOT` when `root` is given; the evidence dictionary travels unchanged in `properties`.
/// Validated against the OASIS schema (errata 01) by `scripts/validate-sarif.py`.
public struct SARIFRenderer: Sendable {
    public var toolName: String
    public var toolVersion: String
    public var informationURI: String
    /// The folder (or archive) the paths are relative to; becomes `originalUriBaseIds.SCANROOT`.
    public var root: String?

    public init(toolName: String = "Vigil", toolVersion: String, informationURI: String = "https://github.com/vigil-security/vigil", root: String? = nil) {
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.informationURI = informationURI
        self.root = root
    }

    /// The SARIF log as pretty-printed JSON with sorted keys.
    /// - Parameters:
    ///   - findings: the results to report.
    ///   - unchanged: for comparisons (release diffs), results already present in the baseline; they
    ///     are written with `baselineState: "unchanged"` and `findings` with `"new"`.
    public func render(_ findings: [Finding], unchanged: [Finding]? = nil) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(log(findings, unchanged: unchanged)), as: UTF8.self) + "\n"
    }

    /// The SARIF log as a value.
    public func log(_ current: [Finding], unchanged: [Finding]? = nil) -> SARIFLog {
        let findings = current + (unchanged ?? [])
        var rules: [SARIFRule] = []
        var ruleIndex: [String: Int] = [:]
        for f in findings where ruleIndex[f.check] == nil {
            ruleIndex[f.check] = rules.count
            let worst = findings.filter { $0.check == f.check }.map(\.severity).max() ?? f.severity
            rules.append(
                SARIFRule(
                    id: f.check, name: Self.ruleName(f.check),
                    shortDescription: SARIFMessage(text: f.title),
                    fullDescription: SARIFMessage(text: f.explanation),
                    defaultConfiguration: SARIFConfiguration(level: Self.level(worst)),
                    properties: SARIFRuleProperties(tags: ["security", "supply-chain"] + f.attack, securitySeverity: Self.securitySeverity(worst))))
        }
        let results = findings.enumerated().map { (index, f) in
            SARIFResult(
                ruleId: f.check, ruleIndex: ruleIndex[f.check] ?? 0, level: Self.level(f.severity),
                baselineState: unchanged == nil ? nil : (index < current.count ? "new" : "unchanged"),
                message: SARIFMessage(text: f.title + ". " + f.explanation),
                locations: [
                    SARIFLocation(
                        physicalLocation: SARIFPhysicalLocation(
                            artifactLocation: SARIFArtifactLocation(uri: Self.uri(f.path), uriBaseId: root == nil ? nil : "SCANROOT"),
                            region: SARIFRegion(line: f.line, offset: f.offset)))
                ],
                properties: SARIFResultProperties(
                    severity: f.severity.rawValue, score: f.score, attack: f.attack, source: f.source, indicator: f.indicator,
                    evidence: f.evidence))
        }
        var bases: [String: SARIFArtifactLocation]? = nil
        if let root {
            var url = URL(fileURLWithPath: root).standardizedFileURL.absoluteString
            if !url.hasSuffix("/") { url += "/" }
            bases = ["SCANROOT": SARIFArtifactLocation(uri: url, uriBaseId: nil)]
        }
        return SARIFLog(
            runs: [
                SARIFRun(
                    tool: SARIFTool(driver: SARIFDriver(name: toolName, version: toolVersion, informationUri: informationURI, rules: rules)),
                    originalUriBaseIds: bases, results: results)
            ])
    }

    /// SARIF levels: critical and high are errors, medium a warning, low and info notes.
    public static func level(_ severity: Severity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }

    /// GitHub's `security-severity` (0.0–10.0) for a severity.
    static func securitySeverity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        case .info: "1.0"
        }
    }

    /// `diff.signature-only-change` → `DiffSignatureOnlyChange`.
    static func ruleName(_ check: String) -> String {
        check.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// A relative URI reference for a path (percent-encoded, `/` kept).
    static func uri(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":?#[]@")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }
}

// MARK: - SARIF 2.1.0 object model (the subset Vigil writes)

public struct SARIFLog: Codable, Sendable {
    public var schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    public var version = "2.1.0"
    public var runs: [SARIFRun]
    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case version, runs
    }
}

public struct SARIFRun: Codable, Sendable {
    public var tool: SARIFTool
    public var originalUriBaseIds: [String: SARIFArtifactLocation]?
    public var results: [SARIFResult]
}

public struct SARIFTool: Codable, Sendable { public var driver: SARIFDriver }

public struct SARIFDriver: Codable, Sendable {
    public var name: String
    public var version: String
    public var informationUri: String
    public var rules: [SARIFRule]
}

public struct SARIFRule: Codable, Sendable {
    public var id: String
    public var name: String
    public var shortDescription: SARIFMessage
    public var fullDescription: SARIFMessage
    public var defaultConfiguration: SARIFConfiguration
    public var properties: SARIFRuleProperties
}

public struct SARIFRuleProperties: Codable, Sendable {
    public var tags: [String]
    public var securitySeverity: String
    enum CodingKeys: String, CodingKey {
        case tags
        case securitySeverity = "security-severity"
    }
}

public struct SARIFConfiguration: Codable, Sendable { public var level: String }

public struct SARIFMessage: Codable, Sendable { public var text: String }

public struct SARIFResult: Codable, Sendable {
    public var ruleId: String
    public var ruleIndex: Int
    public var level: String
    /// `new` or `unchanged` when the log compares against a baseline.
    public var baselineState: String?
    public var message: SARIFMessage
    public var locations: [SARIFLocation]
    public var properties: SARIFResultProperties
}

public struct SARIFLocation: Codable, Sendable { public var physicalLocation: SARIFPhysicalLocation }

public struct SARIFPhysicalLocation: Codable, Sendable {
    public var artifactLocation: SARIFArtifactLocation
    public var region: SARIFRegion?
}

public struct SARIFArtifactLocation: Codable, Sendable {
    public var uri: String
    public var uriBaseId: String?
}

/// Where in the artifact: a 1-based line for text inputs (logs), a byte offset for binaries.
public struct SARIFRegion: Codable, Sendable {
    public var startLine: Int?
    public var byteOffset: Int?

    /// `nil` when neither is known (SARIF wants no empty region).
    init?(line: Int?, offset: Int?) {
        guard line != nil || offset != nil else { return nil }
        startLine = line.flatMap { $0 >= 1 ? $0 : nil }
        byteOffset = offset
        if startLine == nil && byteOffset == nil { return nil }
    }
}

public struct SARIFResultProperties: Codable, Sendable {
    public var severity: String
    public var score: Int?
    public var attack: [String]
    public var source: String?
    public var indicator: String?
    public var evidence: [String: EvidenceValue]
}
