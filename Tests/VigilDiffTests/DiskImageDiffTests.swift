import Foundation
import Testing
import _VigilTestSupport
@testable import VigilDiff

@Suite("Release diff of disk images", .serialized)
struct DiskImageDiffTests {
    /// The risk, flagged files, findings and counts of a diff, without where the releases live.
    static func verdict(_ diff: ReleaseDiff) -> String {
        let findings = diff.findings.map { "\($0.check)|\($0.path)|\($0.severity)" }.sorted()
        return "\(diff.risk.level) \(diff.risk.files.sorted()) \(diff.counts.sorted { $0.key < $1.key }) \(findings)"
    }

    /// Writes `tree` into an HFS+ volume or an APFS container, then a GPT disk in UDIF.
    static func dmg(_ tree: String, _ out: URL, apfs: Bool = false) throws {
        let scripts = TestSupport.repositoryRoot.appendingPathComponent("scripts/dmg")
        let img = out.deletingPathExtension().appendingPathExtension("img")
        let volume = [scripts.appendingPathComponent(apfs ? "make_apfs.py" : "make_hfsplus.py").path, tree, img.path, "--name", "3CX Desktop App"]
        for args in [volume, [scripts.appendingPathComponent("make_udif.py").path, img.path, out.path, "--gpt"] + (apfs ? ["--apfs"] : [])] {
            let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + args)
            guard r.status == 0 else { throw NSError(domain: "python", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        }
    }

    @Test("clean.dmg → 3cx-like.dmg (HFS+; and a DMG against the unpacked clean folder) gives the folder diff's verdict")
    func sameVerdictAsFolders() throws {
        try Self.compareWithFolders(apfs: false)
    }

    @Test("clean.dmg → 3cx-like.dmg (APFS; and a DMG against the unpacked clean folder) gives the folder diff's verdict")
    func sameVerdictAsFoldersAPFS() throws {
        try Self.compareWithFolders(apfs: true)
    }

    static func compareWithFolders(apfs: Bool) throws {
        let base = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/threecx")
        let old = base.appendingPathComponent("macos-clean").path, new = base.appendingPathComponent("macos").path
        guard FileManager.default.fileExists(atPath: old), FileManager.default.fileExists(atPath: new) else {
            Issue.record("3CX-like fixtures missing: run scripts/build-fixtures.sh")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg-diff")
        defer { try? FileManager.default.removeItem(at: dir) }
        let oldDMG = dir.appendingPathComponent("clean.dmg"), newDMG = dir.appendingPathComponent("3cx-like.dmg")
        try Self.dmg(old, oldDMG, apfs: apfs)
        try Self.dmg(new, newDMG, apfs: apfs)
        let folders = try ReleaseDiffer().diff(old: old, new: new)
        #expect(!folders.findings.isEmpty, "the folder diff found nothing to compare")
        let images = try ReleaseDiffer().diff(old: oldDMG.path, new: newDMG.path)
        #expect(Self.verdict(images) == Self.verdict(folders))
        let mixed = try ReleaseDiffer().diff(old: old, new: newDMG.path)
        #expect(Self.verdict(mixed) == Self.verdict(folders))
    }
}
