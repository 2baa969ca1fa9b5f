import Foundation
import Testing
import VigilCore
import _VigilTestSupport

/// `vigil scan` of a .dmg: the 3CX-like macOS bundle in an HFS+ volume or an APFS container, GPT,
/// UDIF (scripts/dmg).
@Suite("vigil scan into disk images", .serialized)
struct DiskImageScanCommandTests {
    private struct ScanJSON: Decodable {
        var findings: [Finding]
        var diagnostics: [Diagnostic]
        var statistics: Stats
        struct Stats: Decodable {
            var containersOpened: Int
            var membersScanned: Int
        }
    }

    static func makeDMG(from tree: URL, to dmg: URL, work: URL, apfs: Bool = false) throws {
        let scripts = TestSupport.repositoryRoot.appendingPathComponent("scripts/dmg")
        let img = work.appendingPathComponent(dmg.lastPathComponent + ".img")
        let volume = apfs
            ? [scripts.appendingPathComponent("make_apfs.py").path, tree.path, img.path, "--name", "3CX Desktop App"]
            : [scripts.appendingPathComponent("make_hfsplus.py").path, tree.path, img.path, "--name", "3CX Desktop App"]
        for args in [
            volume,
            [scripts.appendingPathComponent("make_udif.py").path, img.path, dmg.path, "--gpt", "--methods", "zlib,bzip2,raw,lzma,adc"] + (apfs ? ["--apfs"] : []),
        ] {
            let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + args)
            guard r.status == 0 else { throw NSError(domain: "python", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        }
        try FileManager.default.removeItem(at: img)
    }

    @Test("The 3CX-like macOS DMG (HFS+) gives the unpacked tree's findings, named x.dmg!/3CX Desktop App.app/…")
    func sameFindingsAsTheTree() throws {
        try Self.compareWithTree(apfs: false)
    }

    @Test("The 3CX-like macOS DMG (APFS container) gives the unpacked tree's findings, named x.dmg!/3CX Desktop App.app/…")
    func sameFindingsAsTheTreeAPFS() throws {
        try Self.compareWithTree(apfs: true)
    }

    static func compareWithTree(apfs: Bool) throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil not built"); return }
        let tree = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/threecx/macos")
        guard FileManager.default.fileExists(atPath: tree.path) else {
            Issue.record("3CX-like fixtures missing: run scripts/build-fixtures.sh")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg-scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let dmg = dir.appendingPathComponent("3CXDesktopApp-18.12.416.dmg")
        try Self.makeDMG(from: tree, to: dmg, work: dir, apfs: apfs)

        let env = ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)", "TMPDIR": tmp.path]
        func scan(_ path: String) throws -> (ScanJSON?, TestSupport.RunResult) {
            let r = try TestSupport.runVigil(["scan", "--format", "json", path], environment: env)
            return (try? JSONDecoder().decode(ScanJSON.self, from: Data(r.stdout.utf8)), r)
        }
        func signature(_ f: Finding, strip prefix: String) -> String {
            "\(f.check)|\(f.path.hasPrefix(prefix) ? String(f.path.dropFirst(prefix.count)) : f.path)|\(f.severity)|\(f.title)"
        }
        let (treeDoc, tr) = try scan(tree.path)
        #expect(tr.status == 1, "\(tr.stderr)")
        let expected = Set((treeDoc?.findings ?? []).map { signature($0, strip: tree.path + "/") })
        #expect(expected.contains { $0.contains("3CX Desktop App.app/Contents/Frameworks/libffmpeg.dylib") }, "\(expected)")

        let (doc, r) = try scan(dmg.path)
        #expect(r.status == 1, "\(r.stderr)")
        guard let doc else { Issue.record("no JSON: \(r.stdout.prefix(300)) \(r.stderr.prefix(300))"); return }
        let prefix = dmg.path + "!/"
        let got = Set(doc.findings.filter { $0.path.hasPrefix(prefix) }.map { signature($0, strip: prefix) })
        #expect(got == expected, "missing \(expected.subtracting(got)), extra \(got.subtracting(expected))")
        #expect(doc.statistics.containersOpened == 1)
        #expect(doc.statistics.membersScanned >= 3)
        #expect(!doc.diagnostics.contains { $0.kind.hasPrefix("container") }, "\(doc.diagnostics)")
        let text = try TestSupport.runVigil(["scan", dmg.path], environment: env)
        #expect(text.stdout.contains("3CXDesktopApp-18.12.416.dmg!/3CX Desktop App.app/Contents/Frameworks/libffmpeg.dylib"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("vigil-") }.isEmpty)
    }

    @Test("A DMG with an LZFSE chunk: scanned, and the unsupported chunk is reported")
    func lzfseNotice() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil not built"); return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg-scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write(Array("hello".utf8), to: "src/App.app/Contents/MacOS/App", in: dir)
        let scripts = TestSupport.repositoryRoot.appendingPathComponent("scripts/dmg")
        let img = dir.appendingPathComponent("v.img"), dmg = dir.appendingPathComponent("v.dmg")
        _ = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", scripts.appendingPathComponent("make_hfsplus.py").path, dir.appendingPathComponent("src").path, img.path])
        _ = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", scripts.appendingPathComponent("make_udif.py").path, img.path, dmg.path, "--gpt", "--hostile", "lzfse"])
        let r = try TestSupport.runVigil(["scan", "--format", "json", dmg.path], environment: ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)", "TMPDIR": dir.path])
        let doc = try? JSONDecoder().decode(ScanJSON.self, from: Data(r.stdout.utf8))
        #expect(doc?.diagnostics.contains { $0.kind == "container-unsupported" && $0.message.contains("unsupported compression LZFSE in chunk") } == true, "\(r.stdout.prefix(2000))")
        #expect(doc?.statistics.membersScanned == 1)
    }
}
