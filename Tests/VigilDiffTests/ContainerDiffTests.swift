import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

/// What a diff concluded, without where the releases live.
private struct Verdict: Equatable, CustomStringConvertible {
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

@Suite("Release diff of containers", .serialized)
struct ContainerDiffTests {
    @Test("clean.7z → 3cx-like.7z (and CAB, cpio, ISO, RAR, a 7z against a folder) gives the folder diff's verdict")
    func sameVerdictAsFolders() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-containers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let formats = ["7z", "cab", "cpio", "iso", "tar.xz", "rar"]
        let oldC = try ContainerFixtures.pack(URL(fileURLWithPath: old), name: "clean", into: dir, formats: formats)
        let newC = try ContainerFixtures.pack(URL(fileURLWithPath: new), name: "3cx-like", into: dir, formats: formats)
        #expect(oldC["7z"] != nil && newC["7z"] != nil, "7z missing")
        #expect(oldC["rar"] != nil && newC["rar"] != nil, "rar not written (python3 missing?)")
        let folders = Verdict(try ReleaseDiffer().diff(old: old, new: new))
        #expect(folders.level.contains("high"))
        for format in formats {
            guard let o = oldC[format], let n = newC[format] else { continue }
            let d = try ReleaseDiffer().diff(old: o.path, new: n.path)
            #expect(Verdict(d) == folders, "\(format): \(Verdict(d)) vs \(folders)")
        }
        if let n = newC["7z"] {
            let mixed = try ReleaseDiffer().diff(old: old, new: n.path)
            #expect(Verdict(mixed) == folders)
        }
    }

    @Test("a .pkg pair: its Payload is unpacked and compared, members named Payload!/…")
    func pkgPair() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-pkg")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let o = try ContainerFixtures.pack(URL(fileURLWithPath: old), name: "app", into: dir.appendingPathComponent("old"), formats: ["pkg"])["pkg"],
            let n = try ContainerFixtures.pack(URL(fileURLWithPath: new), name: "app", into: dir.appendingPathComponent("new"), formats: ["pkg"])["pkg"]
        else { Issue.record("bsdtar missing"); return }
        let folders = Verdict(try ReleaseDiffer().diff(old: old, new: new))
        let pkg = try ReleaseDiffer().diff(old: o.path, new: n.path)
        let v = Verdict(pkg, strip: "app.pkg/Payload!/")
        #expect(v.level == folders.level)
        #expect(v.files == folders.files)
        #expect(v.findings == folders.findings)
        #expect(pkg.findings.contains { $0.path == "app.pkg/Payload!/ffmpeg.dll" })
    }

    @Test("hostile containers are refused or reported, nothing left in the temporary folder")
    func hostile() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try ContainerFixtures.hostile(into: dir)
        if let bomb = files["cab-bomb.cab"] {
            #expect {
                try ReleaseDiffer().diff(old: bomb.path, new: bomb.path)
            } throws: { error in
                (error as? ReleaseError)?.kind == "bomb"
            }
        }
        if let cut = files["truncated.7z"] {
            let d = try ReleaseDiffer().diff(old: cut.path, new: cut.path)
            #expect(d.diagnostics.contains { $0.kind == "container-unreadable" })
        }
        // The process's private folders are shared with tests running beside this one, whose members
        // come and go while they scan: an entry is left behind only if it outlives them (20 s).
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        func entries() -> Set<String> {
            let mine = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasPrefix("vigil-containers-\(getpid())-") }
            return Set(mine.flatMap { folder in
                ((try? FileManager.default.contentsOfDirectory(atPath: base + "/" + folder)) ?? []).map { folder + "/" + $0 }
            })
        }
        var left = entries()
        let deadline = Date().addingTimeInterval(20)
        while !left.isEmpty, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            left.formIntersection(entries())
        }
        #expect(left.isEmpty, "left in the private folder: \(left.sorted())")
    }
}
