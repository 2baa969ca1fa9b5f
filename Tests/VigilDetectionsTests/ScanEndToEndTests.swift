import Foundation
import Testing
import VigilCore
import _VigilTestSupport

/// `vigil scan --no-default-indicators --format json` over the 3CX-like tree: the structural checks
/// run inside the real scanner, flag every stage without any indicator, and carry their evidence.
@Suite struct ScanEndToEndTests {
    struct Report: Decodable {
        var findings: [Finding]
    }

    func scan(_ tree: String) throws -> (Int32, [Finding])? {
        guard let root = TreeScan.fixture("threecx") else { return nil }
        let run = try TestSupport.runVigil(["scan", "--no-default-indicators", "--format", "json", root.appendingPathComponent(tree).path])
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        return (run.status, report.findings)
    }

    @Test func windowsStagesWithoutIndicators() throws {
        guard let (status, findings) = try scan("windows") else { return }
        #expect(status == 1)
        let summary = Set(findings.map { "\(($0.path as NSString).lastPathComponent) \($0.check) \($0.severity)" })
        #expect(summary == [
            "d3dcompiler_47.dll pe.cert-table-slack high",
            "d3dcompiler_47.dll pe.sideload-dependency high",
            "ffmpeg.dll pe.sideload-dependency medium",
            "icon3.ico image.trailing-data high",
        ], "\(TreeScan.describe(findings))")
        // No indicator or YARA rule was loaded: every finding comes from a structural check.
        #expect(findings.allSatisfy { $0.indicator == nil && $0.matches.isEmpty })
        let slack = try #require(findings.first { $0.check == "pe.cert-table-slack" })
        for key in ["slack_offset", "slack_size", "slack_entropy", "marker_offsets", "dw_length", "der_length", "digest_matches", "signer"] {
            #expect(slack.evidence[key] != nil, "missing evidence key \(key)")
        }
    }

    @Test func macStagesWithoutIndicators() throws {
        for (tree, check) in [("macos", "macho.library-signer-mismatch"), ("macos-adhoc", "macho.library-signer-mismatch"), ("macos-tampered", "macho.page-hash-mismatch")] {
            guard let (status, findings) = try scan(tree) else { return }
            #expect(status == 1)
            let high = findings.filter { $0.severity == .high }
            #expect(high.map(\.check) == [check], "\(tree): \(TreeScan.describe(findings))")
            #expect(high.first?.path.hasSuffix("Contents/Frameworks/libffmpeg.dylib") == true)
        }
    }

    @Test func cleanControlsStayLow() throws {
        for tree in ["windows-clean", "macos-clean"] {
            guard let (_, findings) = try scan(tree) else { return }
            #expect(findings.allSatisfy { $0.severity <= .low }, "\(tree): \(TreeScan.describe(findings))")
        }
    }
}
