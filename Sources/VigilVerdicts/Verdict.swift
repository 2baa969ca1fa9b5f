import VigilCore

/// The verdict states, as the fleet reports them.
public enum VerdictState: String, Sendable, Hashable, Codable, CaseIterable {
    /// A compromised file, and contact with that campaign's C2 or a beacon after the file appeared.
    case active
    /// Compromised files, and network coverage of the whole period since without such contact.
    case dormant
    /// Compromised files, and some or all of the period since has no network coverage.
    case unknownActivity = "unknown-activity"
    /// C2 contact or a beacon without a compromised file on record.
    case contactOnly = "contact-only"
    /// An affected product version is present (by version information), no known-bad file, no contact.
    case exposed
    /// None of the above.
    case clean
}

/// One reason for a verdict, with the evidence it rests on.
public struct VerdictReason: Sendable, Hashable, Codable {
    /// Stable code: `compromised-file`, `c2-contact-after-file`, `beacon-after-file`, `contact-before-file`,
    /// `contact-other-campaign`, `covered-without-contact`, `coverage-missing`, `contact-without-files`, `affected-version`,
    /// `minor-file-finding`, `campaign-unknown`, `nothing-found`.
    public var code: String
    public var text: String
    /// Citations: `path (sha256 …)` for files, `file:line` for logs.
    public var evidence: [String]
}

/// One item of a verdict's evidence list.
public struct EvidenceItem: Sendable, Hashable, Codable {
    /// `file`, `log` or `version`.
    public var kind: String
    /// The file on the host (file, version) or the log file (log).
    public var path: String
    public var sha256: String?
    /// 1-based log line.
    public var line: Int?
    public var summary: String
}

/// A host's verdict with its reasons, evidence and coverage.
public struct HostVerdict: Sendable, Hashable, Codable {
    public var host: String
    public var state: VerdictState
    public var reasons: [VerdictReason]
    public var evidence: [EvidenceItem]
    /// The sensors that saw the host, from when to when.
    public var coverage: [CoverageWindow]
    /// For files on record: the period that had to be covered (first file seen → evaluation time).
    public var requiredCoverage: Period?
    /// The parts of it no sensor covered.
    public var missingCoverage: [Period]
    /// The evaluation time.
    public var asOf: Double
}

/// Settings of the verdict rules.
public struct VerdictRules: Sendable {
    /// The evaluation time (epoch seconds): coverage must reach it.
    public var asOf: Double
    /// Silence of at most this many seconds inside the required period still counts as covered.
    public var coverageTolerance: Double = 86_400
    /// Affected product versions (for `exposed`).
    public var affected: AffectedVersions = .builtIn

    public init(asOf: Double) { self.asOf = asOf }
}

/// Decides a host's verdict from its evidence (see docs/verdicts.md).
public enum VerdictEngine {
    /// Whether network evidence labelled `network` belongs to a campaign of files labelled `files`
    /// (an empty side is unknown and matches anything).
    static func campaignsMatch(_ files: [String], _ network: [String]) -> Bool {
        if files.isEmpty || network.isEmpty { return true }
        return !Set(files.map { $0.lowercased() }).isDisjoint(with: network.map { $0.lowercased() })
    }

    public static func verdict(for host: HostEvidence, coverage: Coverage, rules: VerdictRules) -> HostVerdict {
        let name = host.host.lowercased()
        let compromised = host.files.filter(\.isCompromise).sorted { ($0.firstSeen, $0.path) < ($1.firstSeen, $1.path) }
        let minor = host.files.filter { !$0.isCompromise }
        let network = host.network.sorted { ($0.firstSeen, $0.destination) < ($1.firstSeen, $1.destination) }
        let windows = coverage.windows(for: name)
        var reasons: [VerdictReason] = []
        var evidence: [EvidenceItem] = []
        for f in host.files {
            evidence.append(EvidenceItem(kind: "file", path: f.path, sha256: f.sha256, line: nil, summary: "\(f.kind.rawValue) \(f.check) (\(f.severity))"))
        }
        for n in network {
            for ref in n.evidence {
                evidence.append(EvidenceItem(kind: "log", path: ref.file, sha256: nil, line: ref.line, summary: n.kind == .beacon ? "beacon to \(n.destination) from \(n.address)" : "\(n.channel) \(n.destination) from \(n.address)"))
            }
        }
        let exposures = host.versions.compactMap { v in rules.affected.match(v).map { (v, $0) } }
        for (v, _) in exposures { evidence.append(EvidenceItem(kind: "version", path: v.path, sha256: nil, line: nil, summary: "\(v.product) \(v.version)")) }
        for f in minor {
            reasons.append(VerdictReason(
                code: "minor-file-finding", text: "\(f.kind.rawValue) finding of \(f.severity) severity, not counted as a compromise", evidence: [f.citation]))
        }
        func coverageText(_ w: [CoverageWindow]) -> [String] { w.map { "\($0.sensor) saw \(name) \($0.period) (\($0.rows) contact rows, first at \($0.firstEvidence))" } }

        var state: VerdictState
        var required: Period?
        var missing: [Period] = []
        if let firstFile = compromised.first {
            reasons.append(VerdictReason(
                code: "compromised-file", text: "\(compromised.count) compromised file(s) on record, the first seen \(VerdictTime.iso(firstFile.firstSeen))",
                evidence: compromised.map(\.citation)))
            // Contact that counts: after a compromised file appeared, to that file's campaign, or any beacon.
            var qualifying: [(NetworkEvidence, FileFinding)] = []
            var early: [NetworkEvidence] = []
            for n in network {
                if let f = compromised.first(where: { n.lastSeen >= $0.firstSeen && (n.kind == .beacon || campaignsMatch($0.campaigns, n.campaigns)) }) {
                    qualifying.append((n, f))
                } else {
                    early.append(n)
                }
            }
            if !qualifying.isEmpty {
                state = .active
                for (n, f) in qualifying {
                    let code = n.kind == .beacon ? "beacon-after-file" : "c2-contact-after-file"
                    let what = n.kind == .beacon ? "beacon to \(n.destination)" : "contact with C2 \(n.destination)"
                    reasons.append(VerdictReason(
                        code: code, text: "\(what) last seen \(VerdictTime.iso(n.lastSeen)), after \(f.path) appeared \(VerdictTime.iso(f.firstSeen))"
                            + (n.note.map { "; \($0)" } ?? ""),
                        evidence: [n.citation, f.citation]))
                    if n.kind == .indicatorContact, f.campaigns.isEmpty || n.campaigns.isEmpty {
                        reasons.append(VerdictReason(
                            code: "campaign-unknown", text: "the campaign of the file or of the indicator is not known, so any C2 indicator counts",
                            evidence: [n.citation]))
                    }
                }
            } else {
                let period = Period(start: min(firstFile.firstSeen, rules.asOf), end: rules.asOf)
                required = period
                missing = coverage.missing(for: name, over: period, tolerance: rules.coverageTolerance)
                if missing.isEmpty {
                    state = .dormant
                    reasons.append(VerdictReason(
                        code: "covered-without-contact", text: "network sensors covered \(name) over \(period) and saw no C2 contact or beacon from it",
                        evidence: coverageText(windows)))
                } else {
                    state = .unknownActivity
                    reasons.append(VerdictReason(
                        code: "coverage-missing",
                        text: "no network coverage of \(name) for " + missing.map(\.description).joined(separator: ", ")
                            + (windows.isEmpty ? " (no sensor has seen the host at all)" : "") + "; the period starts when \(firstFile.path) appeared",
                        evidence: [firstFile.citation] + coverageText(windows)))
                }
            }
            for n in early {
                // After a file appeared but of another campaign (a beacon always counts, so this is C2 contact).
                if let f = compromised.first(where: { n.lastSeen >= $0.firstSeen }) {
                    reasons.append(VerdictReason(
                        code: "contact-other-campaign",
                        text: "contact with C2 \(n.destination) (campaign \(n.campaigns.joined(separator: ", "))) after \(f.path) appeared, but the files belong to "
                            + "another campaign (\(Set(compromised.flatMap(\.campaigns)).sorted().joined(separator: ", "))); not counted as activity of the files",
                        evidence: [n.citation, f.citation]))
                } else {
                    reasons.append(VerdictReason(
                        code: "contact-before-file",
                        text: "\(n.kind == .beacon ? "beacon" : "C2 contact") before any compromised file of its campaign appeared; not counted as activity of the files",
                        evidence: [n.citation]))
                }
            }
        } else if !network.isEmpty {
            state = .contactOnly
            for n in network {
                reasons.append(VerdictReason(
                    code: "contact-without-files",
                    text: (n.kind == .beacon ? "beacon to \(n.destination)" : "contact with C2 \(n.destination)")
                        + " without a compromised file on record: investigate (files removed, another device behind the address)"
                        + (n.note.map { "; \($0)" } ?? ""),
                    evidence: [n.citation]))
            }
        } else if !exposures.isEmpty {
            state = .exposed
        } else {
            state = .clean
            reasons.append(VerdictReason(
                code: "nothing-found", text: "no compromised file, no C2 contact or beacon, no affected product version on record",
                evidence: coverageText(windows)))
        }
        if compromised.isEmpty {
            for (v, e) in exposures {
                reasons.append(VerdictReason(
                    code: "affected-version",
                    text: "\(v.product) \(v.version) is an affected version (\(e.campaign), \(e.source)) and no known-bad file is on record",
                    evidence: ["\(v.path) (version \(v.version))"]))
            }
        }
        return HostVerdict(
            host: name, state: state, reasons: reasons, evidence: evidence, coverage: windows, requiredCoverage: required, missingCoverage: missing,
            asOf: rules.asOf)
    }
}
