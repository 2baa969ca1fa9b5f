import Foundation
import Testing
import VigilCore
import _VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil scan --format json`, decoded back (the parts these tests read).
private struct ScanJSON: Decodable {
    var findings: [Finding]
    var diagnostics: [Diagnostic]
    var statistics: Stats
    struct Stats: Decodable {
        var filesScanned: Int
        var containersOpened: Int
        var membersScanned: Int
    }
}

/// Runs vigil with an empty feed store and its own TMPDIR (so leftovers can be checked).
private func scanJSON(_ args: [String], tmp: URL) throws -> (ScanJSON?, TestSupport.RunResult) {
    let r = try TestSupport.runVigil(
        ["scan", "--format", "json"] + args,
        environment: ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)", "TMPDIR": tmp.path])
    return (try? JSONDecoder().decode(ScanJSON.self, from: Data(r.stdout.utf8)), r)
}

/// What a finding says, without where the file lives: check, path inside the tree, severity, title.
private func signature(_ f: Finding, strip prefix: String) -> String {
    var p = f.path
    if p.hasPrefix(prefix) { p = String(p.dropFirst(prefix.count)) }
    return "\(f.check)|\(p)|\(f.severity)|\(f.title)"
}

private func vigilTempFolders(_ tmp: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("vigil-containers-") }
}

@Suite("vigil scan into containers", .serialized)
struct ContainerScanCommandTests {
    @Test("CAB, 7z, .pkg, ISO, cpio, RAR, tar.xz, tar.zst and ZIP of the 3CX-like tree give the tree's findings, by chain path")
    func sameFindingsAsTheTree() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil not built"); return }
        guard let tree = ContainerFixtures.threeCXWindowsTree else {
            Issue.record("3CX-like fixtures missing: run scripts/build-fixtures.sh")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-containers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let made = try ContainerFixtures.pack(tree, name: "app", into: dir.appendingPathComponent("c"))
        for needed in ["cab", "7z", "pkg", "rar"] { #expect(made[needed] != nil, "\(needed) not built (tool missing?)") }

        let (treeScan, tr) = try scanJSON([tree.path], tmp: tmp)
        #expect(tr.status == 1, "\(tr.stderr)")
        let expected = Set((treeScan?.findings ?? []).map { signature($0, strip: tree.path + "/") })
        #expect(expected.count >= 4, "the tree scan found too little to compare: \(expected)")

        for (format, file) in made.sorted(by: { $0.key < $1.key }) {
            let (doc, r) = try scanJSON([file.path], tmp: tmp)
            #expect(r.status == 1, "\(format): \(r.stderr)")
            guard let doc else { Issue.record("\(format): no JSON: \(r.stdout.prefix(300))"); continue }
            // Members are named by chain: app.cab!/ffmpeg.dll; the pkg's Payload nests one more.
            let prefix = format == "pkg" ? file.path + "!/app.pkg/Payload!/" : file.path + "!/"
            let members = doc.findings.filter { $0.path.hasPrefix(prefix) }
            let got = Set(members.map { signature($0, strip: prefix) })
            #expect(got == expected, "\(format): missing \(expected.subtracting(got)), extra \(got.subtracting(expected))")
            #expect(doc.statistics.membersScanned >= 4, "\(format)")
            #expect(doc.statistics.containersOpened == (format == "pkg" ? 2 : 1), "\(format)")
            #expect(!doc.diagnostics.contains { $0.kind.hasPrefix("container") }, "\(format): \(doc.diagnostics)")
        }
        #expect(vigilTempFolders(tmp).isEmpty)
    }

    @Test("text, JSONL and SARIF name members by chain path; --no-archives and --archive-depth")
    func outputsAndSwitches() throws {
        guard TestSupport.vigilExecutable != nil, let tree = ContainerFixtures.threeCXWindowsTree else { Issue.record("vigil or fixtures missing"); return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-containers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try ContainerFixtures.pack(tree, name: "app", into: dir, formats: ["7z", "pkg"])
        guard let sevenZip = made["7z"], let pkg = made["pkg"] else { Issue.record("7z/bsdtar missing"); return }
        let env = ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)", "TMPDIR": dir.path]
        let text = try TestSupport.runVigil(["scan", sevenZip.path], environment: env)
        #expect(text.status == 1)
        #expect(text.stdout.contains("app.7z!/ffmpeg.dll"))
        #expect(text.stderr.contains("Looked inside 1 container") || text.stdout.contains("Looked inside 1 container"))
        let jsonl = try TestSupport.runVigil(["scan", "--format", "jsonl", sevenZip.path], environment: env)
        #expect(jsonl.stdout.contains("app.7z!/d3dcompiler_47.dll"))
        let sarif = try TestSupport.runVigil(["scan", "--format", "sarif", sevenZip.path], environment: env)
        #expect(sarif.stdout.contains("app.7z!/resources/icon3.ico"))

        let off = try TestSupport.runVigil(["scan", "--format", "jsonl", "--no-archives", sevenZip.path], environment: env)
        #expect(!off.stdout.contains("!/"))
        // Depth 1 opens the pkg but not its Payload, and says so.
        let (shallow, _) = try scanJSON(["--archive-depth", "1", pkg.path], tmp: dir)
        #expect(shallow?.findings.contains { $0.path.contains("Payload!/") } == false)
        #expect(shallow?.diagnostics.contains { $0.kind == "container-limit" && $0.path.hasSuffix("app.pkg!/app.pkg/Payload") } == true)
        #expect(vigilTempFolders(dir).isEmpty)
    }

    @Test("hostile containers: each cap and hostile name reported, nothing written outside, temporary folder gone")
    func hostileContainers() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil not built"); return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try ContainerFixtures.hostile(into: dir.appendingPathComponent("in"))
        let tmp = dir.appendingPathComponent("tmp")
        let cwd = dir.appendingPathComponent("cwd")
        for d in [tmp, cwd] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        let etcX = FileManager.default.fileExists(atPath: "/etc/x")

        func scan(_ name: String, _ extra: [String] = []) throws -> ScanJSON? {
            guard let file = files[name] else {
                Issue.record("\(name) was not generated (tool missing?)")
                return nil
            }
            let (doc, r) = try scanJSON(["--no-default-indicators"] + extra + [file.path], tmp: tmp)
            #expect(r.status == 0 || r.status == 1, "\(name): \(r.stderr)")
            #expect(vigilTempFolders(tmp).isEmpty, "\(name) left its temporary folder")
            return doc
        }
        func hasLimit(_ doc: ScanJSON?, _ cap: String) -> Bool {
            doc?.diagnostics.contains { $0.kind == "container-limit" && $0.message.contains(cap) } == true
        }

        let zipBomb = try scan("zip-bomb.zip")
        #expect(hasLimit(zipBomb, "expansion-ratio"))
        #expect(zipBomb?.findings.contains { $0.check == "container.decompression-bomb" } == true)
        if ContainerFixtures.have("gcab") {
            let cabBomb = try scan("cab-bomb.cab")
            #expect(hasLimit(cabBomb, "expansion-ratio"))
            #expect(cabBomb?.findings.contains { $0.check == "container.decompression-bomb" } == true)
            let cut = try scan("truncated.cab")
            #expect(cut?.diagnostics.contains { $0.kind == "container-unreadable" } == true)
        }
        let many = try scan("many-members.zip", ["--archive-max-members", "1000"])
        #expect(hasLimit(many, "member-count"))
        #expect(many?.statistics.membersScanned == 1000)
        let deep = try scan("deep-nesting.zip", ["--archive-depth", "3"])
        #expect(hasLimit(deep, "cap depth 3"))
        #expect(deep?.statistics.containersOpened == 3)

        for name in ["traversal.zip", "traversal.tar"] {
            let t = try scan(name)
            let unsafe = (t?.findings ?? []).filter { $0.check == "container.unsafe-path" }.map { $0.path.components(separatedBy: "!/").last ?? "" }
            #expect(Set(unsafe) == ["etc/x", "abs", "evil.dll"], "\(name): \(unsafe)")
        }
        let link = try scan("symlink-out.tar")
        #expect(link?.findings.contains { $0.check == "container.link-outside" && $0.path.hasSuffix("symlink-out.tar!/app/evil") } == true)
        // The member written "through" the link is only a name: read under app/evil/x, nothing followed.
        #expect(link?.statistics.membersScanned == 1)
        if ContainerFixtures.have("7z") {
            let cut = try scan("truncated.7z")
            #expect(cut?.diagnostics.contains { $0.kind == "container-unreadable" } == true)
        }
        let cutXZ = try scan("truncated.tar.xz")
        #expect(cutXZ?.diagnostics.contains { $0.kind == "container-unreadable" && $0.path.contains("truncated.tar.xz") } == true)
        let lyingZip = try scan("lying-size.zip")
        #expect(lyingZip?.diagnostics.contains { $0.kind.hasPrefix("container") && $0.path.contains("liar.bin") } == true)
        let lyingTar = try scan("lying-size.tar")
        #expect(lyingTar?.diagnostics.contains { $0.kind.hasPrefix("container") } == true)
        // RAR 5 damaged in its last member, app/z.bin: the two members before it are scanned.
        for (name, at) in [("truncated.rar", "truncated.rar!/app/z.bin"), ("lying-size.rar", "lying-size.rar!/app/z.bin"), ("bad-crc.rar", "bad-crc.rar")] {
            let doc = try scan(name)
            #expect(doc?.diagnostics.contains { $0.kind == "container-unreadable" && $0.path.hasSuffix(at) } == true, "\(name): \(doc?.diagnostics ?? [])")
            #expect(doc?.statistics.membersScanned == 2, "\(name)")
        }
        let big = try scan("big-member.tar", ["--archive-max-member", "1M"])
        #expect(big?.diagnostics.contains { $0.path.hasSuffix("big-member.tar!/big.bin") && $0.message.contains("member-size") } == true)
        #expect(big?.statistics.membersScanned == 1)
        // Text hidden after a member's deflate stream is read by no extractor: the container's own
        // YARA search must find it, on the container.
        let rules = dir.appendingPathComponent("slack.yar")
        try Data("rule Hidden_Slack { strings: $m = \"MARKER_IN_DATA\" condition: $m }\n".utf8).write(to: rules)
        let slack = try scan("deflate-slack.zip", ["--rules", rules.path])
        #expect(slack?.statistics.membersScanned == 1)
        #expect(slack?.findings.contains { $0.check == "yara" && $0.path.hasSuffix("deflate-slack.zip") } == true, "\(String(describing: slack?.findings))")

        // Nothing anywhere but the private folder: the working folder and TMPDIR stay empty.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: cwd.path)) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).isEmpty)
        #expect(FileManager.default.fileExists(atPath: "/etc/x") == etcX)
    }

    /// Writes a RAR 5.0 archive of `source` with scripts/containers/make_rar5.py.
    static func rar(_ source: URL, _ out: URL, hostile: String? = nil) throws {
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/containers/make_rar5.py")
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, source.path, out.path] + (hostile.map { ["--hostile", $0] } ?? []))
        guard r.status == 0 else { throw NSError(domain: "make_rar5", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
    }

    @Test("RAR 5 of the 3CX-like Windows folder: ffmpeg.dll named x.rar!/3CX Desktop App/ffmpeg.dll, the folder's findings")
    func rarSameFindings() throws {
        guard TestSupport.vigilExecutable != nil, let app = ContainerFixtures.threeCXWindowsTree else { Issue.record("vigil or fixtures missing (run scripts/build-fixtures.sh)"); return }
        let tree = app.deletingLastPathComponent()
        let dir = try TestSupport.makeTemporaryDirectory("vigil-rar")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let archive = dir.appendingPathComponent("3CXDesktopApp-18.12.416.rar")
        try Self.rar(tree, archive)
        // An independent reader lists the same members.
        if ContainerFixtures.have("bsdtar") {
            let listing = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["bsdtar", "-tf", archive.path])
            #expect(listing.status == 0, "\(listing.stderr)")
            #expect(listing.stdout.split(separator: "\n").contains("3CX Desktop App/ffmpeg.dll"), "\(listing.stdout)")
        }
        let (treeScan, tr) = try scanJSON([tree.path], tmp: tmp)
        #expect(tr.status == 1, "\(tr.stderr)")
        let expected = Set((treeScan?.findings ?? []).map { signature($0, strip: tree.path + "/") })
        #expect(expected.contains { $0.contains("|3CX Desktop App/ffmpeg.dll|") }, "\(expected)")

        let (doc, r) = try scanJSON([archive.path], tmp: tmp)
        #expect(r.status == 1, "\(r.stderr)")
        guard let doc else { Issue.record("no JSON: \(r.stdout.prefix(300))"); return }
        let prefix = archive.path + "!/"
        let got = Set(doc.findings.filter { $0.path.hasPrefix(prefix) }.map { signature($0, strip: prefix) })
        #expect(got == expected, "missing \(expected.subtracting(got)), extra \(got.subtracting(expected))")
        #expect(doc.statistics.containersOpened == 1)
        #expect(!doc.diagnostics.contains { $0.kind.hasPrefix("container") }, "\(doc.diagnostics)")
        let text = try TestSupport.runVigil(["scan", archive.path], environment: ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)", "TMPDIR": tmp.path])
        #expect(text.stdout.contains("3CXDesktopApp-18.12.416.rar!/3CX Desktop App/ffmpeg.dll"), "\(text.stdout.prefix(2000))")
        #expect(vigilTempFolders(tmp).isEmpty)
    }

    @Test("Hostile RAR 5: truncated, a lying size, a bad header CRC: each a container diagnostic naming the archive, no crash")
    func rarHostile() throws {
        guard TestSupport.vigilExecutable != nil, let app = ContainerFixtures.threeCXWindowsTree else { Issue.record("vigil or fixtures missing (run scripts/build-fixtures.sh)"); return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-rar")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        for kind in ["truncated", "lying-size", "bad-crc"] {
            let archive = dir.appendingPathComponent("\(kind).rar")
            try Self.rar(app, archive, hostile: kind)
            let (doc, r) = try scanJSON(["--no-default-indicators", archive.path], tmp: tmp)
            #expect(r.status == 0 || r.status == 1, "\(kind): exit \(r.status) \(r.stderr.prefix(500))")
            guard let doc else { Issue.record("\(kind): no JSON: \(r.stdout.prefix(300)) \(r.stderr.prefix(300))"); continue }
            let diagnostics = doc.diagnostics.filter { $0.kind.hasPrefix("container") && $0.path.contains("\(kind).rar") }
            #expect(!diagnostics.isEmpty, "\(kind): \(doc.diagnostics)")
            // The damaged member is the largest, 3CXDesktopApp.exe: its data runs past the end of the
            // archive, so the diagnostic names it; a bad header CRC is reported for the archive.
            let expectedPath = kind == "bad-crc" ? archive.path : archive.path + "!/3CXDesktopApp.exe"
            #expect(diagnostics.contains { $0.kind == "container-unreadable" && $0.path == expectedPath && $0.message.contains("not read") },
                    "\(kind): \(diagnostics.map { "\($0.kind) \($0.path): \($0.message)" })")
            #expect(doc.statistics.containersOpened == 1, "\(kind)")
            #expect(vigilTempFolders(tmp).isEmpty, "\(kind) left its temporary folder")
        }
    }

    @Test("SIGTERM during a scan inside a container removes the private temporary folder")
    func sigtermRemovesTheFolder() throws {
        guard let exe = TestSupport.vigilExecutable else { Issue.record("vigil not built"); return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-sigterm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        // 300 members of 512 KiB random bytes: long enough to catch the scan inside it.
        let cpio = dir.appendingPathComponent("big.tar")
        let made = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import tarfile, io, random, sys
            r = random.Random(7)
            with tarfile.open(sys.argv[1], 'w') as t:
                for i in range(300):
                    d = r.randbytes(512 * 1024)
                    info = tarfile.TarInfo('m/%03d.bin' % i); info.size = len(d)
                    t.addfile(info, io.BytesIO(d))
            """, cpio.path])
        #expect(made.status == 0, "\(made.stderr)")
        let p = Process()
        p.executableURL = exe
        p.arguments = ["scan", "--threads", "1", "--format", "json", cpio.path]
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = tmp.path
        env["VIGIL_STORE"] = "/nonexistent/vigil-store-\(UUID().uuidString)"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var sawFolder = false
        for _ in 0..<600 {
            if !vigilTempFolders(tmp).isEmpty {
                sawFolder = true
                break
            }
            usleep(10_000)
        }
        #expect(sawFolder, "the scan never created its private folder")
        usleep(100_000)
        let stillRunning = p.isRunning
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        if stillRunning {
            #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGTERM, "exit \(p.terminationStatus)")
        } else {
            Issue.record("the scan finished before SIGTERM; make the input larger")
        }
        #expect(vigilTempFolders(tmp).isEmpty, "left behind: \(vigilTempFolders(tmp))")
    }
}
