import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

/// `vigil diff` on MSI packages built by `scripts/fixtures/windows-msi.sh`: the clean → 3CX-like
/// package pair gives the verdict of the two unpacked trees, and an MSI compares against a folder.
@Suite("Release diff of MSI packages", .serialized)
struct MSIDiffTests {
    /// What a diff concluded, with `strip` removed from the front of every path.
    struct Verdict: Equatable, CustomStringConvertible {
        var level: String
        var files: Set<String>
        var findings: Set<String>
        var counts: [String: Int]

        init(_ diff: ReleaseDiff, strip: String = "") {
            func clean(_ p: String) -> String { p.hasPrefix(strip) ? String(p.dropFirst(strip.count)) : p }
            level = String(describing: diff.risk.level)
            files = Set(diff.risk.files.map(clean))
            findings = Set(diff.findings.map { "\($0.check)|\(clean($0.path))|\($0.severity)" })
            counts = diff.counts
        }

        var description: String { "\(level) \(files.sorted()) \(counts) \(findings.sorted())" }
    }

    static let build = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build")

    static func need(_ rel: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let p = build.appendingPathComponent(rel).path
        guard FileManager.default.fileExists(atPath: p) else {
            Issue.record("Fixtures/build/\(rel) is missing: run scripts/build-fixtures.sh (needs wixl, msitools, gcab)",
                         sourceLocation: sourceLocation)
            return nil
        }
        return p
    }

    @Test("clean.msi → 3CX-like.msi gives the same risk, files and findings as the two trees")
    func sameVerdictAsFolders() throws {
        guard let oldTree = Self.need("threecx/windows-clean/3CX Desktop App"), let newTree = Self.need("threecx/windows/3CX Desktop App"),
              let oldMSI = Self.need("msi/threecx-clean.msi"), let newMSI = Self.need("msi/threecx.msi") else { return }
        let folders = Verdict(try ReleaseDiffer().diff(old: oldTree, new: newTree))
        #expect(!folders.findings.isEmpty, "the tree diff found nothing to compare")
        // Members are named by install path; the diff takes `[ProgramFiles]/3CX Desktop App/` as the
        // release's top folder (said in the report), so paths pair with the unpacked folder's.
        let msi = try ReleaseDiffer().diff(old: oldMSI, new: newMSI)
        #expect(Verdict(msi) == folders, "\(Verdict(msi)) vs \(folders)")
        #expect(msi.new.strippedFolder == "[ProgramFiles]/3CX Desktop App")
        #expect(msi.findings.contains { $0.path == "ffmpeg.dll" && $0.check == "diff.signature-removed" }, "\(msi.findings.map(\.path))")
        // An MSI against the unpacked previous release, either way round.
        let mixed = try ReleaseDiffer().diff(old: oldTree, new: newMSI)
        #expect(Verdict(mixed) == folders, "\(Verdict(mixed)) vs \(folders)")
        let mixedParent = try ReleaseDiffer().diff(old: (oldTree as NSString).deletingLastPathComponent, new: newMSI)
        #expect(Verdict(mixedParent) == folders)
    }

    @Test("the external-cabinet package diffs like the embedded one")
    func externalCabinet() throws {
        guard let oldMSI = Self.need("msi/threecx-clean.msi"), let newMSI = Self.need("msi/threecx.msi"),
              let ext = Self.need("msi/external/threecx-external.msi") else { return }
        let embedded = Verdict(try ReleaseDiffer().diff(old: oldMSI, new: newMSI))
        let external = Verdict(try ReleaseDiffer().diff(old: oldMSI, new: ext))
        #expect(external == embedded)
    }
}
