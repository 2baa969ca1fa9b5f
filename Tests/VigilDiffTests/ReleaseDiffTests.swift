import Foundation
import _VigilTestSupport
import Testing
import VigilCore
@testable import VigilDiff

@Suite("Release diff")
struct ReleaseDiffTests {
    @Test("clean → 3CX-like release is high, driven by ffmpeg.dll, d3dcompiler_47.dll and the icon")
    func threeCX() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let diff = try ReleaseDiffer().diff(old: old, new: new)
        #expect(diff.risk.level == .high)
        #expect(Set(diff.risk.files) == ["ffmpeg.dll", "d3dcompiler_47.dll", "resources/app.ico"])
        #expect(diff.counts["modified"] == 3 && diff.counts["unchanged"] == 5 && diff.counts["added"] == 0)
        let checks = Dictionary(grouping: diff.findings.filter { $0.check.hasPrefix("diff.") }, by: \.path).mapValues { Set($0.map(\.check)) }
        #expect(checks["d3dcompiler_47.dll"] == ["diff.signature-only-change", "diff.cert-slack-appeared"])
        #expect(checks["ffmpeg.dll"] == ["diff.sibling-signature-read", "diff.version-unchanged", "diff.new-loader-apis"])
        #expect(checks["resources/app.ico"] == ["diff.image-trailer-appeared"])
        #expect(checks["FixtureDesktopApp.exe"] == nil)
        // Vigil's structural checks run on the new side and are part of the report.
        let structural = diff.findings.filter { !$0.check.hasPrefix("diff.") }
        let slackFinding = structural.first { $0.check == "pe.cert-table-slack" && $0.path == "d3dcompiler_47.dll" }
        #expect(slackFinding?.severity == .high)
        #expect(!diff.preexisting.contains { $0.check == "pe.cert-table-slack" })
        #expect(structural.contains { $0.check == "image.trailing-data" && $0.path == "resources/app.ico" })
        // Authenticode: the same signer on both sides and the padded carrier still verifies.
        let d3d = diff.changes.first { $0.path == "d3dcompiler_47.dll" }
        #expect(d3d?.new?.signature?.signer == "CN=Fixture Software Ltd Code Signing,O=Fixture Software Ltd,C=GB" || d3d?.new?.signature?.signer?.contains("Fixture Software Ltd Code Signing") == true)
        #expect(d3d?.new?.signature?.signer == d3d?.old?.signature?.signer)
        #expect(d3d?.new?.signature?.digestMatches == true)

        // The padding measured by the fixture mutator (Python, independent of Vigil).
        let sidecar = DiffFixtures.json("d3dcompiler_47-padded.json")
        let slack = diff.findings.first { $0.check == "diff.cert-slack-appeared" }
        #expect(slack?.evidence["slack_bytes"] == .int(sidecar?["slack_size"] as? Int ?? -1))
        let only = diff.findings.first { $0.check == "diff.signature-only-change" }
        let grown = (sidecar?["new_table_size"] as? Int ?? 0) - (sidecar?["original_table_size"] as? Int ?? 0)
        #expect(only?.evidence["size_change"] == .int(grown))

        let ffmpeg = diff.changes.first { $0.path == "ffmpeg.dll" }
        // x86_64-w64-mingw32-objdump -p shows these in the trojanized build and not in the clean one.
        for added in ["kernel32.dll!CreateFileW", "kernel32.dll!ReadFile", "kernel32.dll!GetModuleFileNameW", "kernel32.dll!CreateEventW"] {
            #expect(ffmpeg?.details.importsAdded.contains(added) == true, "\(added)")
        }
        #expect(ffmpeg?.details.exportsAdded == [] && ffmpeg?.details.exportsRemoved == [])
        #expect(ffmpeg?.details.moduleNamesAdded == ["d3dcompiler_47.dll"])
        let ico = diff.findings.first { $0.check == "diff.image-trailer-appeared" }
        #expect(ico?.severity == .high && ico?.evidence["encoding"] == .string("base64-after-dollar"))
    }

    @Test("two single files are compared as one file in two versions, whatever their names")
    func singleFiles() throws {
        guard let old = DiffFixtures.path("clean/ffmpeg.dll"), let new = DiffFixtures.path("3cx-like/ffmpeg.dll") else { return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-single")
        defer { try? FileManager.default.removeItem(at: dir) }
        let renamed = dir.appendingPathComponent("ffmpeg-new.dll")
        try FileManager.default.copyItem(atPath: new, toPath: renamed.path)
        let diff = try ReleaseDiffer().diff(old: old, new: renamed.path)
        #expect(diff.old.kind == "file" && diff.new.kind == "file")
        #expect(diff.counts["modified"] == 1)
        #expect(Set(diff.findings.map(\.check)).isSuperset(of: ["diff.version-unchanged", "diff.new-loader-apis"]))
        #expect(diff.findings.allSatisfy { $0.path == "ffmpeg.dll" })
    }

    @Test("the same releases as ZIP and tar.gz give the same verdict and findings as the folders")
    func archivesAgree() throws {
        guard let a = DiffFixtures.path("clean"), let b = DiffFixtures.path("3cx-like"),
            let za = DiffFixtures.path("clean.zip"), let tb = DiffFixtures.path("3cx-like.tar.gz")
        else { return }
        let folders = try ReleaseDiffer().diff(old: a, new: b)
        let archives = try ReleaseDiffer().diff(old: za, new: tb)
        #expect(archives.new.strippedFolder == "release")
        #expect(archives.risk == folders.risk)
        #expect(archives.findings.map { "\($0.check) \($0.path)" } == folders.findings.map { "\($0.check) \($0.path)" })
    }

    @Test("identical inputs: no changes, no findings, risk none")
    func identical() throws {
        guard let a = DiffFixtures.path("clean"), let za = DiffFixtures.path("clean.zip") else { return }
        for other in [a, za] {
            let diff = try ReleaseDiffer().diff(old: a, new: other)
            #expect(diff.identical)
            #expect(diff.findings.isEmpty)
            #expect(diff.risk.level == nil && diff.risk.label == "none")
            // What the structural checks find on the release itself is reported apart, unchanged.
            #expect(diff.preexisting.allSatisfy { $0.severity <= .low })
            #expect(diff.counts["unchanged"] == 8)
        }
    }

    @Test("an honest update (versions bumped, rebuilt, re-signed, a file added) is not high")
    func honestUpdate() throws {
        guard let a = DiffFixtures.path("clean"), let b = DiffFixtures.path("update") else { return }
        let diff = try ReleaseDiffer().diff(old: a, new: b)
        #expect(diff.counts["modified"] == 3 && diff.counts["added"] == 1)
        #expect((diff.risk.level ?? .info) < .medium, "\(diff.risk.reasons)")
        #expect(!diff.findings.contains { $0.check == "diff.version-unchanged" })
    }

    @Test("a real update nobody here wrote (PyPI wheels with launcher EXEs) is not high")
    func realWheels() throws {
        let dir = DiffFixtures.realDirectory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".whl") }.sorted()
        let pairs = Dictionary(grouping: names, by: { $0.split(separator: "-").first?.lowercased() ?? "" }).values.filter { $0.count == 2 }
        guard !pairs.isEmpty else {
            print("skipped: no wheel pairs in \(dir.path) (scripts/fixtures/diff-real.sh downloads them when online)")
            return
        }
        for pair in pairs {
            let diff = try ReleaseDiffer().diff(old: dir.appendingPathComponent(pair[0]).path, new: dir.appendingPathComponent(pair[1]).path)
            #expect(diff.counts["unchanged", default: 0] > 0, "\(pair)")
            #expect((diff.risk.level ?? .info) < .high, "\(pair): \(diff.risk.reasons)")
            if pair[0].lowercased().hasPrefix("pyyaml") {
                // The rebuilt extension module is seen as a changed PE library with new imports.
                let pyd = diff.changes.first { $0.path.hasSuffix(".pyd") }
                #expect(pyd?.new?.executable?.isLibrary == true && pyd?.details.importsAdded.isEmpty == false)
            }
            print("real update \(pair[0]) → \(pair[1]): risk \(diff.risk.label), \(diff.findings.count) finding(s), counts \(diff.counts)")
        }
    }
}

@Suite("Release diff: Mach-O")
struct MachODiffTests {
    @Test("a dylib signed by another team is high; an ad-hoc signature dropped is medium")
    func signers() throws {
        let macho = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/macho")
        guard FileManager.default.fileExists(atPath: macho.appendingPathComponent("libffmpeg-x86_64-otherteam.dylib").path) else {
            Issue.record("Mach-O fixtures are missing: run scripts/build-fixtures.sh (needs lld-14, llvm-14)")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-macho")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        for (side, lib, fat) in [("old", "signed", "adhoc"), ("new", "otherteam", "unsigned")] {
            try fm.createDirectory(at: dir.appendingPathComponent(side), withIntermediateDirectories: true)
            try fm.copyItem(at: macho.appendingPathComponent("libffmpeg-x86_64-\(lib).dylib"), to: dir.appendingPathComponent("\(side)/libffmpeg.dylib"))
            try fm.copyItem(at: macho.appendingPathComponent("libffmpeg-fat-\(fat).dylib"), to: dir.appendingPathComponent("\(side)/libfat.dylib"))
        }
        let diff = try ReleaseDiffer().diff(old: dir.appendingPathComponent("old").path, new: dir.appendingPathComponent("new").path)
        let team = diff.findings.first { $0.check == "diff.signer-changed" }
        #expect(team?.path == "libffmpeg.dylib" && team?.severity == .high)
        // Team ids as the fixture script's certificates spell them (OU=FIXTEAM001 / OU=OTHERTEAM2).
        #expect(team?.evidence["old_team"] == .string("FIXTEAM001") && team?.evidence["new_team"] == .string("OTHERTEAM2"))
        let removed = diff.findings.first { $0.check == "diff.signature-removed" }
        #expect(removed?.path == "libfat.dylib" && removed?.severity == .medium)
        #expect(diff.changes.first { $0.path == "libfat.dylib" }?.new?.executable?.machine == "x86_64+arm64")
        #expect(diff.risk.level == .high)
    }
}
