import Foundation
import Testing
import VigilCore
import _VigilTestSupport

/// `vigil scan` and `vigil diff` on the MSI packages of `scripts/fixtures/windows-msi.sh`.
@Suite("vigil scan into MSI packages", .serialized)
struct MSIScanCommandTests {
    private struct ScanJSON: Decodable {
        var findings: [Finding]
        var diagnostics: [Diagnostic]
        var statistics: Stats
        struct Stats: Decodable {
            var containersOpened: Int
            var membersScanned: Int
        }
    }

    static let build = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build")
    static let installDir = "[ProgramFiles]/3CX Desktop App/"

    private func scan(_ path: String, tmp: URL) throws -> (ScanJSON?, TestSupport.RunResult) {
        let r = try TestSupport.runVigil(
            ["scan", "--format", "json", path],
            environment: ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)", "TMPDIR": tmp.path])
        return (try? JSONDecoder().decode(ScanJSON.self, from: Data(r.stdout.utf8)), r)
    }

    private func signature(_ f: Finding, strip prefix: String) -> String {
        let p = f.path.hasPrefix(prefix) ? String(f.path.dropFirst(prefix.count)) : f.path
        return "\(f.check)|\(p)|\(f.severity)|\(f.title)"
    }

    @Test("the 3CX-like MSI (embedded and external cabinet) gives the tree's findings under x.msi!/[ProgramFiles]/…")
    func sameFindingsAsTheTree() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil not built"); return }
        let tree = Self.build.appendingPathComponent("threecx/windows/3CX Desktop App").path
        let packages = ["msi/threecx.msi", "msi/external/threecx-external.msi"].map { Self.build.appendingPathComponent($0).path }
        for p in [tree] + packages where !FileManager.default.fileExists(atPath: p) {
            Issue.record("\(p) is missing: run scripts/build-fixtures.sh (needs wixl, msitools, gcab)")
            return
        }
        let tmp = try TestSupport.makeTemporaryDirectory("vigil-msi-scan")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let (treeScan, tr) = try scan(tree, tmp: tmp)
        #expect(tr.status == 1, "\(tr.stderr)")
        let expected = Set((treeScan?.findings ?? []).map { signature($0, strip: tree + "/") })
        #expect(expected.count >= 4, "the tree scan found too little to compare: \(expected)")
        #expect(expected.contains { $0.contains("|ffmpeg.dll|") })
        for msi in packages {
            let (doc, r) = try scan(msi, tmp: tmp)
            #expect(r.status == 1, "\(msi): \(r.stderr)")
            guard let doc else { Issue.record("\(msi): no JSON: \(r.stdout.prefix(300))"); continue }
            let prefix = msi + "!/" + Self.installDir
            let got = Set(doc.findings.filter { $0.path.hasPrefix(prefix) }.map { signature($0, strip: prefix) })
            #expect(got == expected, "\(msi): missing \(expected.subtracting(got)), extra \(got.subtracting(expected))")
            #expect(doc.findings.contains { $0.path == prefix + "ffmpeg.dll" })
            #expect(doc.statistics.containersOpened == 1)
            #expect(doc.statistics.membersScanned == 4)
            #expect(!doc.diagnostics.contains { $0.kind.hasPrefix("container") || $0.kind == "malformed" }, "\(doc.diagnostics)")
        }
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("vigil-containers-") }
        #expect(left.isEmpty, "temporary folders left: \(left)")
        // Text output names the member by its install path.
        let text = try TestSupport.runVigil(["scan", packages[0]], environment: ["VIGIL_STORE": "/nonexistent/x-\(UUID().uuidString)", "TMPDIR": tmp.path])
        #expect(text.stdout.contains("threecx.msi!/[ProgramFiles]/3CX Desktop App/ffmpeg.dll"))
    }

    @Test("vigil diff clean.msi 3cx-like.msi says what the folder diff says, paths under the install folder")
    func diffPackages() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil not built"); return }
        let old = Self.build.appendingPathComponent("msi/threecx-clean.msi").path
        let new = Self.build.appendingPathComponent("msi/threecx.msi").path
        guard FileManager.default.fileExists(atPath: old), FileManager.default.fileExists(atPath: new) else {
            Issue.record("MSI fixtures missing: run scripts/build-fixtures.sh")
            return
        }
        let oldTree = Self.build.appendingPathComponent("threecx/windows-clean/3CX Desktop App").path
        let newTree = Self.build.appendingPathComponent("threecx/windows/3CX Desktop App").path
        let folders = try TestSupport.runVigil(["diff", oldTree, newTree])
        let packages = try TestSupport.runVigil(["diff", old, new])
        #expect(packages.status == folders.status, "\(packages.stderr)")
        #expect(packages.status == 1)
        #expect(packages.stdout.contains("top folder '[ProgramFiles]/3CX Desktop App/'"), "\(packages.stdout.prefix(2000))")
        #expect(packages.stdout.contains("ffmpeg.dll"))
        // The verdict lines are the folder diff's.
        func verdict(_ s: String) -> [String] {
            // "why:" and "evidence:" lines quote where the importer lives: a folder path or an install path.
            s.split(separator: "\n").map(String.init).filter { ($0.contains("ffmpeg.dll") || $0.lowercased().contains("risk")) && !$0.contains("why:") && !$0.contains("evidence:") }
        }
        #expect(verdict(packages.stdout) == verdict(folders.stdout), "\(packages.stdout)\n---\n\(folders.stdout)")
    }
}
