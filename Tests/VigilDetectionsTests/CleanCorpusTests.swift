import Foundation
import Testing
import VigilCore
import VigilDetections
import _VigilTestSupport

/// The structural checks on real software nobody on the project wrote (Wine's Windows DLLs,
/// mingw-w64 runtime DLLs, PyPI launcher EXEs, Microsoft- and Debian-signed EFI binaries): nothing may
/// rise above `low`. Opt-in, because the corpus is large: `scripts/corpus-check.sh` fetches it and sets
/// `VIGIL_DETECT_CORPUS`; without it the test is skipped.
@Suite struct CleanCorpusTests {
    static let corpus = ProcessInfo.processInfo.environment["VIGIL_DETECT_CORPUS"]

    @Test(.enabled(if: corpus != nil, "set VIGIL_DETECT_CORPUS (scripts/corpus-check.sh does) to run the clean-corpus check"))
    func cleanCorpusHasNothingAboveLow() throws {
        let root = URL(fileURLWithPath: try #require(Self.corpus))
        // With VIGIL_DETECT_HIJACKLIBS (a HijackLibs JSON or yml/ folder) the known-pair check runs too.
        var options = DetectionOptions()
        var lines: [String] = []
        if let path = ProcessInfo.processInfo.environment["VIGIL_DETECT_HIJACKLIBS"] {
            let loaded = try DetectionOptions.loading(hijackLibsPath: path)
            options = loaded.options
            lines.append("HijackLibs: \(options.hijackLibs?.entries.count ?? 0) entries from \(path)")
        }
        let result = try TreeScan.scan(root, engine: DetectionEngine(options: options))
        lines += [
            "files: \(result.files) (PE parsed: \(result.peFiles), Authenticode-signed: \(result.signedPE), digest matches: \(result.digestMatches))"
        ]
        let kinds = Dictionary(grouping: result.diagnostics, by: \.kind).mapValues(\.count).sorted { $0.key < $1.key }
        lines.append("parse diagnostics: \(result.diagnostics.count) \(kinds.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        for severity in Severity.allCases.reversed() { lines.append("\(severity): \(result.count(severity))") }
        let byCheck = Dictionary(grouping: result.findings, by: { "\($0.severity) \($0.check)" }).mapValues(\.count)
        for (key, count) in byCheck.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(count)") }
        let serious = result.findings.filter { $0.severity >= .medium }
        for f in serious.prefix(50) { lines.append("  ! \(f.severity) \(f.check) \(f.path): \(f.title)") }
        let summary = lines.joined(separator: "\n") + "\n"
        if let out = ProcessInfo.processInfo.environment["VIGIL_DETECT_CORPUS_SUMMARY"] {
            try Data(summary.utf8).write(to: URL(fileURLWithPath: out))
        }
        print(summary)
        #expect(result.files > 700, "the corpus looks incomplete: \(result.files) files")
        #expect(result.peFiles > 700 && result.signedPE >= 8 && result.digestMatches == result.signedPE)
        #expect(serious.isEmpty, "\(TreeScan.describe(serious))")
    }
}
