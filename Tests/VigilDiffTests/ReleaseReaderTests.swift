import Foundation
import Testing
import _VigilTestSupport
@testable import VigilDiff

@Suite("Release readers")
struct ReleaseReaderTests {
    /// Reads a release and returns members by path (files as bytes, links as their target).
    func members(_ path: String, limits: ExpansionLimits = .standard) throws -> ([String: [UInt8]], [String: String], ReleaseSource) {
        var files: [String: [UInt8]] = [:]
        var links: [String: String] = [:]
        let (source, _) = try ReleaseReader(limits: limits).read(path) { member in
            switch member.content {
            case .file(let bytes, _, _, _): files[member.path] = bytes
            case .symlink(let target): links[member.path] = target
            }
        }
        return (files, links, source)
    }

    @Test("ZIP, tar.gz (pax) and folder forms of one release hold the same files, byte for byte")
    func sameFilesEverywhere() throws {
        guard let folder = DiffFixtures.path("3cx-like"), let zip = DiffFixtures.path("3cx-like.zip"),
            let tgz = DiffFixtures.path("3cx-like.tar.gz")
        else { return }
        let (fromFolder, _, folderSource) = try members(folder)
        let (fromZip, _, zipSource) = try members(zip)
        let (fromTar, _, tarSource) = try members(tgz)
        #expect(folderSource.kind == "folder" && zipSource.kind == "zip" && tarSource.kind == "tar.gz")
        #expect(fromFolder.keys.contains("ffmpeg.dll"))
        #expect(fromFolder == fromZip)
        // The tarball wraps everything in release/.
        #expect(Dictionary(uniqueKeysWithValues: fromTar.map { (String($0.key.dropFirst("release/".count)), $0.value) }) == fromFolder)
    }

    @Test("an asar inside the release is opened and its files read")
    func asar() throws {
        guard let folder = DiffFixtures.path("clean") else { return }
        let (files, _, source) = try members(folder)
        #expect(source.archivesOpened == 1)
        #expect(files["resources/app.asar!/package.json"].map { String(decoding: $0, as: UTF8.self) } == "{\"name\":\"fixture-app\",\"version\":\"18.12.416\"}\n")
        #expect(files["resources/app.asar!/dist/main.js"]?.count == 54)
    }

    @Test("a GNU long name over 100 bytes is read whole")
    func longName() throws {
        guard let path = DiffFixtures.path("hostile/longname.tar.gz") else { return }
        let (files, _, _) = try members(path)
        let name = "release/" + String(repeating: "deep/", count: 30) + "file.txt"
        #expect(files[name].map { String(decoding: $0, as: UTF8.self) } == "long name member\n")
    }

    @Test("hostile archives are refused with a message naming the member", arguments: [
        ("traversal.zip", "unsafe-path", "'../vigil-escaped.txt' climbs out of the release"),
        ("absolute.zip", "unsafe-path", "'/tmp/vigil-absolute.txt' is an absolute path"),
        ("symlink-out.zip", "link-out-of-tree", "'link-to-passwd' points outside the release"),
        ("traversal.tar.gz", "unsafe-path", "'release/../../vigil-escaped.txt' climbs out"),
        ("absolute.tar.gz", "unsafe-path", "is an absolute path"),
        ("symlink-out.tar.gz", "link-out-of-tree", "('../../etc/shadow')"),
        ("symlink-absolute.tar.gz", "link-out-of-tree", "('/etc/passwd')"),
        ("traversal.asar", "unsafe-path", "'../vigil-escaped.js' climbs out"),
        ("bomb.zip", "bomb", "'zeros.bin' expands more than 200 times"),
        ("bomb.tar.gz", "bomb", "expands more than 200 times"),
        ("nested-bomb.zip", "bomb", "refused payload/inner.zip: 'zeros-0.bin' expands more than 200 times"),
    ])
    func refused(name: String, kind: String, message: String) throws {
        guard let path = DiffFixtures.path("hostile/" + name) else { return }
        let before = Self.escapeTargets()
        var visited = 0
        do {
            _ = try ReleaseReader().read(path) { _ in visited += 1 }
            Issue.record("\(name) was read without complaint")
        } catch let error as ReleaseError {
            #expect(error.kind == kind)
            #expect(error.description.contains(message), "message was: \(error)")
        }
        // Nothing the archive names outside the release exists afterwards (nothing is ever written).
        #expect(Self.escapeTargets() == before)
        #expect(!before.contains(true))
    }

    /// Whether each file a hostile archive tries to create exists.
    static func escapeTargets() -> [Bool] {
        let fm = FileManager.default
        return [
            "/tmp/vigil-absolute.txt",
            DiffFixtures.directory.appendingPathComponent("vigil-escaped.txt").path,
            DiffFixtures.directory.appendingPathComponent("hostile/../vigil-escaped.txt").path,
            DiffFixtures.directory.deletingLastPathComponent().appendingPathComponent("vigil-escaped.txt").path,
            DiffFixtures.directory.appendingPathComponent("vigil-escaped.js").path,
        ].map { fm.fileExists(atPath: $0) }
    }

    @Test("a bomb is stopped after about one buffer past the ratio floor, not after expanding")
    func bombStopsEarly() throws {
        guard let path = DiffFixtures.path("hostile/bomb.zip") else { return }
        var limits = ExpansionLimits.standard
        limits.ratioFloorBytes = 1 << 20
        limits.maxCompressionRatio = 100
        do {
            _ = try ReleaseReader(limits: limits).read(path) { _ in }
            Issue.record("bomb.zip was read")
        } catch let error as ReleaseError {
            guard case .bomb(_, _, let reason) = error else { Issue.record("wrong error \(error)"); return }
            // "(N bytes from 65232 compressed)": N must be near the 6.4 MiB where ratio 100 is crossed.
            let expanded = reason.split(separator: "(").last?.split(separator: " ").first.flatMap { Int($0) } ?? -1
            #expect(expanded > 6_000_000 && expanded < 8_000_000, "stopped at \(expanded) bytes")
        }
    }

    @Test("entry and depth caps", arguments: [1, 3])
    func caps(maxEntries: Int) throws {
        guard let path = DiffFixtures.path("clean") else { return }
        var limits = ExpansionLimits.standard
        limits.maxEntries = maxEntries
        #expect(throws: ReleaseError.self) { _ = try ReleaseReader(limits: limits).read(path) { _ in } }
        limits = .standard
        limits.maxDepth = 0
        var diagnostics: [String] = []
        let (source, found) = try ReleaseReader(limits: limits).read(path) { _ in }
        diagnostics = found.map(\.kind)
        #expect(source.archivesOpened == 0)
        #expect(diagnostics.contains("nesting-limit"))
    }

    @Test("the expanded-bytes cap applies to archives, not to plain files of a folder")
    func budgetScope() throws {
        guard let folder = DiffFixtures.path("clean"), let zip = DiffFixtures.path("clean.zip") else { return }
        var limits = ExpansionLimits.standard
        limits.maxTotalBytes = 1000
        let (files, _, _) = try members(folder, limits: limits)
        #expect(files["ffmpeg.dll"]?.count == 15960)
        #expect(throws: ReleaseError.self) { _ = try members(zip, limits: limits) }
    }

    @Test("folders: links inside the tree are reported as links, links out of it are refused")
    func folderLinks() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-links")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write(Array("x".utf8), to: "app/lib/real.dll", in: dir)
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("app/lib/alias.dll").path, withDestinationPath: "real.dll")
        let (files, links, _) = try members(dir.appendingPathComponent("app").path)
        #expect(files.keys.sorted() == ["lib/real.dll"])
        #expect(links == ["lib/alias.dll": "real.dll"])
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("app/escape").path, withDestinationPath: "../../etc")
        #expect {
            _ = try members(dir.appendingPathComponent("app").path)
        } throws: { error in
            (error as? ReleaseError)?.kind == "link-out-of-tree"
        }
    }
}

/// Tar archives written by GNU tar (an independent producer) in its three formats.
@Suite("Tar formats")
struct TarFormatTests {
    @Test("GNU tar gnu, pax and ustar archives read exactly like the folder they were made from", arguments: ["gnu", "pax", "ustar"])
    func formats(format: String) throws {
        let tar = URL(fileURLWithPath: "/usr/bin/tar")
        guard FileManager.default.isExecutableFile(atPath: tar.path) else {
            print("skipped: /usr/bin/tar is absent")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-tar")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tree = dir.appendingPathComponent("tree")
        // 140 bytes of path: ustar stores it with its prefix field, gnu with an 'L' record, pax with a 'path' record.
        let part = String(repeating: "subfolder-", count: 6)
        let long = part + "/" + part + "/" + String(repeating: "n", count: 20) + ".bin"
        try TestSupport.write(Array(repeating: 0xAB, count: 1500), to: long, in: tree)
        try TestSupport.write(Array("hello\n".utf8), to: "a/hello.txt", in: tree)
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("a/link").path, withDestinationPath: "hello.txt")
        let archive = dir.appendingPathComponent("t.tar.gz").path
        let run = try TestSupport.run(tar, ["--format=\(format)", "-czf", archive, "-C", tree.path, "."])
        #expect(run.status == 0, "\(run.stderr)")

        func read(_ path: String) throws -> ([String: [UInt8]], [String: String]) {
            var files: [String: [UInt8]] = [:], links: [String: String] = [:]
            _ = try ReleaseReader().read(path) { m in
                switch m.content {
                case .file(let bytes, _, _, _): files[m.path] = bytes
                case .symlink(let target): links[m.path] = target
                }
            }
            return (files, links)
        }
        let (fromTar, tarLinks) = try read(archive)
        let (fromFolder, folderLinks) = try read(tree.path)
        #expect(fromTar.keys.contains(long))
        #expect(fromTar.mapValues(\.count) == fromFolder.mapValues(\.count))
        #expect(fromTar == fromFolder, "contents differ")
        #expect(tarLinks == folderLinks && tarLinks == ["a/link": "hello.txt"])
    }
}
