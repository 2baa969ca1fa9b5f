import VigilCore
import VigilFormats

/// Per-file PE work: the signature checks (1 and 2) and the facts the side-loading check needs.
enum PEAnalyzer {
    struct Result {
        var findings: [Finding]
        var facts: BinaryFacts?
        var diagnostics: [Diagnostic]
    }

    static func analyze(_ file: ScannedFile) -> Result {
        guard let pe = PEParser.parse(file.bytes, options: .structure) else {
            return Result(findings: [], facts: nil, diagnostics: [
                Diagnostic(kind: "malformed", path: file.path, offset: 0, message: "identified as PE but the PE headers do not parse"),
            ])
        }
        let report = Authenticode.analyze(file.bytes, pe: pe)
        let context = SignatureContext(pe: pe, report: report)
        var findings: [Finding] = []
        if let table = pe.certificateTable {
            findings += CertificateTableSlackCheck.run(table: table, context: context, path: file.path)
            findings += SignatureCoverageCheck.run(table: table, bytes: file.bytes, context: context, path: file.path)
        }
        let facts = BinaryFacts(
            format: .pe,
            pe: PEFacts(
                isDLL: pe.coff.isDLL,
                imports: uniqueImports(pe),
                signer: context.signer,
                digestMatches: context.primary.map { $0.computedDigest == nil ? nil : $0.digestMatches } ?? nil),
            tamperChecks: Array(Set(findings.filter { $0.severity >= .medium }.map(\.check))).sorted())
        // Parse problems are kept for the scanner's diagnostics count; a hostile file still gets checked.
        let issues = pe.issues + (report?.issues ?? [])
        let diagnostics = issues.map { FormatIssueDiagnostic.make($0, path: file.path) }
        return Result(findings: findings, facts: facts, diagnostics: diagnostics)
    }

    static func uniqueImports(_ pe: PEFile) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for item in pe.imports {
            let name = item.dll.lowercased()
            if seen.insert(name).inserted { names.append(name) }
            if names.count >= PEFacts.maxImports { break }
        }
        return names
    }
}

/// The signature facts shared by the PE checks' explanations and evidence.
struct SignatureContext {
    var pe: PEFile
    var report: AuthenticodeReport?

    /// The outermost signature of the first WIN_CERTIFICATE entry.
    var primary: AuthenticodeSignature? {
        report?.signatures.first { $0.nestingLevel == 0 } ?? report?.signatures.first
    }

    var signer: SignerFacts? {
        guard let certificate = primary?.signer else { return nil }
        return SignerFacts(subject: certificate.subject, thumbprint: certificate.sha1Thumbprint)
    }

    /// Evidence every signature finding carries.
    var evidence: [String: EvidenceValue] {
        var e: [String: EvidenceValue] = [
            "signer": .string(primary?.signer?.subject ?? ""),
            "checksum_valid": .bool(pe.checksum.matches),
        ]
        if let primary {
            e["digest_matches"] = .bool(primary.digestMatches)
            e["digest_algorithm"] = .string(primary.digestAlgorithm)
            e["signer_thumbprint"] = .string(primary.signer?.sha1Thumbprint ?? "")
        }
        return e
    }

    /// "signed by X, digest still matches" or similar, for explanations.
    var phrase: String {
        guard let primary else { return "the file carries no readable Authenticode signature" }
        let who = primary.signer?.subject ?? "an unreadable signer"
        return "the file is signed by \(who) and its Authenticode digest " + (primary.digestMatches ? "still matches" : "does NOT match")
    }
}

/// A parser's ``FormatIssue`` as the scan's `malformed` diagnostic (PE, Mach-O, ICO and PNG alike).
enum FormatIssueDiagnostic {
    static func make(_ issue: FormatIssue, path: String) -> Diagnostic {
        Diagnostic(kind: "malformed", path: path, offset: issue.offset, message: "\(issue.area): \(issue.message)")
    }
}
