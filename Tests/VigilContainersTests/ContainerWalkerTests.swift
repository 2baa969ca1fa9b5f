import Foundation
import Testing
import VigilContainers
import VigilCore
import _VigilTestSupport

/// Runs python3 with a script; returns false when python3 is missing.
func python(_ script: String, _ args: [String] = []) throws -> TestSupport.RunResult {
    try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + args)
}

/// Walks a container with the given limits and collects what the walker reports.
struct WalkRecord {
    var members: [String: [UInt8]] = [:]
    var kinds: [String: MemberKind] = [:]
    var diagnostics: [Diagnostic] = []
    var findings: [Finding] = []
    var summary = ContainerWalkSummary()
}

func walkContainer(_ url: URL, limits: ContainerLimits = .standard, workspace: PrivateWorkspace) -> WalkRecord {
    var record = WalkRecord()
    let walker = ContainerWalker(limits: limits, workspace: workspace)
    record.summary = walker.walk(
        path: url.path, chain: ContainerPath(outer: url.lastPathComponent),
        visit: { member in
            record.kinds[member.chain.description] = member.info.kind
            if let file = member.file {
                record.members[member.chain.description] = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))) ?? []
            }
            return false
        },
        report: { event in
            switch event {
            case .diagnostic(let d): record.diagnostics.append(d)
            case .finding(let f): record.findings.append(f)
            }
        })
    return record
}

/// Every file left in the workspace folder (it must be empty between walks).
func leftovers(_ workspace: PrivateWorkspace) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: workspace.path)) ?? []
}

@Suite("Member names")
struct MemberNameTests {
    @Test func cleanNamesStay() {
        let n = MemberName.normalise("dir/sub/ffmpeg.dll")
        #expect(n.path == "dir/sub/ffmpeg.dll")
        #expect(!n.isHostile)
    }

    @Test func traversalIsClampedAndReported() {
        let n = MemberName.normalise("../../etc/x")
        #expect(n.path == "etc/x")
        #expect(n.isHostile)
        #expect(n.problems.contains { $0.contains("..") })
        #expect(MemberName.normalise("a/../../b").path == "b")
        #expect(MemberName.normalise("a/./b/../c").path == "a/c")
        #expect(!MemberName.normalise("a/./b/../c").isHostile)
    }

    @Test func absoluteAndDriveNames() {
        let a = MemberName.normalise("/abs/x")
        #expect(a.path == "abs/x")
        #expect(a.problems == ["is an absolute path"])
        let d = MemberName.normalise("C:\\Windows\\x.dll")
        #expect(d.path == "Windows/x.dll")
        #expect(d.problems.count == 2)
        #expect(MemberName.normalise("..").path == "unnamed")
    }

    @Test func linkResolution() {
        let link = MemberName.normalise("app/lib/link")
        #expect(MemberName.resolveLink("../bin/tool", from: link) == "app/bin/tool")
        #expect(MemberName.resolveLink("../../../etc/shadow", from: link) == nil)
        #expect(MemberName.resolveLink("/etc/shadow", from: link) == nil)
    }

    @Test func chainNaming() {
        let c = ContainerPath(outer: "a.dmg").appending("x.pkg").appending("Payload").appending("usr/bin/tool")
        #expect(c.description == "a.dmg!/x.pkg!/Payload!/usr/bin/tool")
        #expect(c.depth == 3)
    }
}

@Suite("Container walker")
struct ContainerWalkerTests {
    @Test func zipMembersAndHostileNames() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = dir.appendingPathComponent("t.zip")
        let r = try python("""
            import zipfile, sys
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('dir/ffmpeg.dll', b'MZ' + b'x' * 1000)
                z.writestr('../../etc/x', b'escape')
                z.writestr('/abs', b'absolute')
            """, [zip.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let rec = walkContainer(zip, workspace: ws)
        #expect(rec.summary.opened)
        #expect(rec.members["t.zip!/dir/ffmpeg.dll"]?.count == 1002)
        #expect(rec.members["t.zip!/etc/x"] == Array("escape".utf8))
        #expect(rec.members["t.zip!/abs"] == Array("absolute".utf8))
        let hostile = rec.findings.filter { $0.check == "container.unsafe-path" }.map(\.path).sorted()
        #expect(hostile == ["t.zip!/abs", "t.zip!/etc/x"])
        #expect(leftovers(ws).isEmpty)
        // Nothing escaped next to the workspace or the fixture.
        #expect(!FileManager.default.fileExists(atPath: dir.deletingLastPathComponent().appendingPathComponent("etc/x").path))
    }

    @Test func nestedZipsStopAtTheDepthCap() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = dir.appendingPathComponent("nest.zip")
        let r = try python("""
            import zipfile, io, sys
            data = b'innermost'
            name = 'leaf.txt'
            for level in range(6):
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, 'w') as z:
                    z.writestr(name, data)
                data, name = buf.getvalue(), 'level%d.zip' % level
            open(sys.argv[1], 'wb').write(data)
            """, [zip.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let rec = walkContainer(zip, limits: ContainerLimits(maxDepth: 3), workspace: ws)
        // Depth 3: nest.zip, level4.zip, level3.zip are opened; level2.zip is only a file.
        #expect(rec.members.keys.contains("nest.zip!/level4.zip!/level3.zip!/level2.zip"))
        #expect(!rec.members.keys.contains { $0.hasSuffix("level1.zip") })
        let capped = rec.diagnostics.filter { $0.kind == "container-limit" && $0.message.contains("cap depth 3") }
        #expect(capped.map(\.path) == ["nest.zip!/level4.zip!/level3.zip!/level2.zip"])
        #expect(leftovers(ws).isEmpty)
    }

    @Test func zipBombStopsOnRatio() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = dir.appendingPathComponent("bomb.zip")
        let r = try python("""
            import zipfile, sys
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                z.writestr('zeros.bin', bytes(64 << 20))
            """, [zip.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let rec = walkContainer(zip, workspace: ws)
        #expect(rec.members.isEmpty)
        #expect(rec.diagnostics.contains { $0.kind == "container-limit" && $0.message.contains("expansion-ratio") })
        #expect(rec.findings.contains { $0.check == "container.decompression-bomb" })
        #expect(rec.summary.stoppedEarly)
        #expect(leftovers(ws).isEmpty)
    }

    @Test func memberCountAndMemberSizeCaps() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = dir.appendingPathComponent("many.zip")
        let r = try python("""
            import zipfile, sys
            with zipfile.ZipFile(sys.argv[1], 'w') as z:
                for i in range(50): z.writestr('f%03d' % i, b'x' * (100 if i != 3 else 5000))
            """, [zip.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let rec = walkContainer(zip, limits: ContainerLimits(maxMembers: 10, maxMemberBytes: 1000), workspace: ws)
        #expect(rec.members.count == 9)  // f003 is over the member cap, f010 over the count
        #expect(rec.members["many.zip!/f003"] == nil)
        #expect(rec.diagnostics.contains { $0.path == "many.zip!/f003" && $0.message.contains("member-size") })
        #expect(rec.diagnostics.contains { $0.path == "many.zip" && $0.message.contains("member-count") })
        #expect(leftovers(ws).isEmpty)
    }

    @Test func truncatedArchiveIsReported() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tgz = dir.appendingPathComponent("cut.tar.gz")
        let r = try python("""
            import tarfile, io, sys, os
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode='w:gz') as t:
                for i in range(3):
                    data = os.urandom(50000)
                    info = tarfile.TarInfo('m%d.bin' % i); info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            b = buf.getvalue()
            open(sys.argv[1], 'wb').write(b[: len(b) * 2 // 3])
            """, [tgz.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let rec = walkContainer(tgz, workspace: ws)
        #expect(rec.summary.opened)
        #expect(rec.summary.stoppedEarly)
        #expect(rec.diagnostics.contains { $0.kind == "container-unreadable" })
        #expect(leftovers(ws).isEmpty)
    }

    @Test func symlinkOutsideIsAFindingAndNeverCreated() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = dir.appendingPathComponent("link.tar")
        let r = try python("""
            import tarfile, io, sys
            with tarfile.open(sys.argv[1], 'w') as t:
                l = tarfile.TarInfo('app/evil'); l.type = tarfile.SYMTYPE; l.linkname = '../../../etc/shadow'; t.addfile(l)
                ok = tarfile.TarInfo('app/ok'); ok.type = tarfile.SYMTYPE; ok.linkname = 'real'; t.addfile(ok)
                d = b'data'; f = tarfile.TarInfo('app/real'); f.size = 4; t.addfile(f, io.BytesIO(d))
            """, [tar.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let rec = walkContainer(tar, workspace: ws)
        #expect(rec.findings.filter { $0.check == "container.link-outside" }.map(\.path) == ["link.tar!/app/evil"])
        #expect(rec.kinds["link.tar!/app/ok"] == .symlink)
        #expect(rec.members["link.tar!/app/real"] == Array("data".utf8))
        #expect(leftovers(ws).isEmpty)
    }

    @Test func plainFilesAndNonArchiveGzipAreNoContainers() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let txt = try TestSupport.write(Array("hello".utf8), to: "a.txt", in: dir)
        let gz = dir.appendingPathComponent("log.gz")
        let r = try python("import gzip, sys; open(sys.argv[1],'wb').write(gzip.compress(b'line\\n' * 100))", [gz.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        for url in [txt, gz] {
            let rec = walkContainer(url, workspace: ws)
            #expect(!rec.summary.opened, "\(url.lastPathComponent)")
            #expect(rec.diagnostics.isEmpty, "\(rec.diagnostics)")
        }
    }

    @Test func workspaceIsPrivateAndRemoved() throws {
        let ws = try PrivateWorkspace.create()
        var st = stat()
        #expect(lstat(ws.path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o700)
        let f = try ws.createFile()
        close(f.fd)
        #expect(FileManager.default.fileExists(atPath: f.path))
        ws.remove()
        #expect(!FileManager.default.fileExists(atPath: ws.path))
    }
}
