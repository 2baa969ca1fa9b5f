import Foundation
import Testing
import VigilCore
import VigilDetections
import VigilFormats
import _VigilTestSupport

/// Runs the detection engine over a folder tree the way the scanner does: `analyze` on every regular
/// file (symbolic links not followed), then `analyzeFolder` once per folder with that folder's analyses.
enum TreeScan {
    struct Result {
        var findings: [Finding]
        var diagnostics: [Diagnostic]
        var files: Int
        /// PE files parsed, those with an Authenticode signer, and those whose digest matches.
        var peFiles = 0
        var signedPE = 0
        var digestMatches = 0

        /// Findings about `path` (suffix match on the path relative to the scanned root).
        func findings(for suffix: String) -> [Finding] { findings.filter { $0.path.hasSuffix(suffix) } }

        func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity }.count }

        var highest: Severity? { findings.map(\.severity).max() }
    }

    static func scan(_ root: URL, engine: DetectionEngine = DetectionEngine()) throws -> Result {
        var byFolder: [String: [FileAnalysis]] = [:]
        var folders: [String] = [root.path]
        var result = Result(findings: [], diagnostics: [], files: 0)
        let keys: [URLResourceKey] = [.isRegularFileKey, .isDirectoryKey, .isSymbolicLinkKey]
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys) else { return result }
        for case let url as URL in walker {
            let values = try url.resourceValues(forKeys: Set(keys))
            if values.isSymbolicLink == true { continue }
            if values.isDirectory == true { folders.append(url.path); continue }
            guard values.isRegularFile == true, !url.lastPathComponent.hasPrefix(".") else { continue }
            let bytes = [UInt8](try Data(contentsOf: url))
            let analysis = engine.analyze(ScannedFile(path: url.path, bytes: bytes, format: FileFormat.identify(bytes)))
            result.files += 1
            if let pe = analysis.facts?.pe {
                result.peFiles += 1
                if pe.signer != nil { result.signedPE += 1 }
                if pe.digestMatches == true { result.digestMatches += 1 }
            }
            result.findings += analysis.findings
            result.diagnostics += analysis.diagnostics
            byFolder[url.deletingLastPathComponent().path, default: []].append(analysis)
        }
        for folder in folders {
            result.findings += engine.analyzeFolder(folder, files: byFolder[folder] ?? [])
        }
        return result
    }

    /// `Fixtures/build/<area>`, or `nil` after recording an issue that tells how to build it.
    static func fixture(_ area: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        let url = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/\(area)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record(
                "Fixtures/build/\(area) is missing: run scripts/build-fixtures.sh (needs mingw-w64, osslsigncode, openssl, lld-14, llvm-14)",
                sourceLocation: sourceLocation)
            return nil
        }
        return url
    }

    /// A one-line rendering of a finding, for failure messages.
    static func describe(_ findings: [Finding]) -> String {
        findings.map { "[\($0.severity)] \($0.check) \(($0.path as NSString).lastPathComponent): \($0.title)" }.joined(separator: "\n")
    }
}
