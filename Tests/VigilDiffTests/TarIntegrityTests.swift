import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

/// A tar member must never hide: extended headers describe only the next real member, and
/// archives that tar readers would list differently raise the diff's risk.
@Suite("Tar integrity")
struct TarIntegrityTests {
    /// 1,024 bytes of member data whose first block is a valid tar header (a decoy) and whose
    /// second block is zeros (an end marker to a reader that lost its place).
    static let hiddenData = RawTar.member("readme.txt", []) + [UInt8](repeating: 0, count: 512)

    func names(_ bytes: [UInt8]) throws -> [String] { try TarListing.list(bytes).members.map(\.description) }

    @Test("a pax size applies to the next real member, not to the pax header after it")
    func paxSizeSkipsOnlyTheMember() throws {
        let archive = RawTar.ext("x", RawTar.pax([("size", "1024")])) + RawTar.ext("x", RawTar.pax([("mtime", "1")]))
            + RawTar.member("version.dll", Self.hiddenData) + RawTar.end
        #expect(try names(archive) == ["file version.dll 1024"])
    }

    @Test("a pax size applies to the next real member, not to a GNU long-name header after it")
    func paxSizeSkipsLongName() throws {
        let archive = RawTar.ext("x", RawTar.pax([("size", "1024")])) + RawTar.ext("L", Array("lib/version.dll\0".utf8))
            + RawTar.member("short", Self.hiddenData) + RawTar.end
        let listing = try TarListing.list(archive)
        #expect(listing.members.map(\.description) == ["file lib/version.dll 1024"])
        #expect(listing.anomalies.isEmpty)
    }

    static let anomalous: [String: ([UInt8], String)] = [
        "two long names": (RawTar.ext("L", Array("a.dll\0".utf8)) + RawTar.ext("L", Array("b.dll\0".utf8)) + RawTar.member("c", [1]) + RawTar.end, "file a.dll 1"),
        "two pax paths": (RawTar.ext("x", RawTar.pax([("path", "a.dll")])) + RawTar.ext("x", RawTar.pax([("path", "b.dll")])) + RawTar.member("c", [1]) + RawTar.end, "file a.dll 1"),
        "link with data": (RawTar.header("l", type: "2", size: 512, link: "a") + RawTar.member("a", [1]) + RawTar.end, "symlink l 0 -> a"),
        "after the end": (RawTar.member("a", [1]) + RawTar.end + RawTar.member("version.dll", [2]) + RawTar.end, "file a 1"),
    ]

    @Test("conflicting chained names, data behind a link, bytes after the end marker are anomalies",
        arguments: ["two long names", "two pax paths", "link with data", "after the end"])
    func anomalies(label: String) throws {
        let (archive, first) = try #require(Self.anomalous[label])
        let listing = try TarListing.list(archive)
        #expect(listing.members.first?.description == first)
        #expect(!listing.anomalies.isEmpty, "no anomaly reported")
    }

    @Test("a release tarball with conflicting headers raises the diff's risk to high")
    func ambiguousArchiveRaisesRisk() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-tar-risk")
        defer { try? FileManager.default.removeItem(at: dir) }
        let content = Array("same\n".utf8)
        let old = dir.appendingPathComponent("old.tar")
        try Data(RawTar.member("app/readme.txt", content) + RawTar.end).write(to: old)
        let new = dir.appendingPathComponent("new.tar")
        try Data(RawTar.ext("x", RawTar.pax([("path", "app/readme.txt")])) + RawTar.ext("L", Array("app/version.dll\0".utf8))
            + RawTar.member("x", content) + RawTar.end).write(to: new)
        let diff = try ReleaseDiffer().diff(old: old.path, new: new.path)
        #expect(diff.risk.level == .high)
        let finding = try #require(diff.findings.first { $0.check == "diff.archive-ambiguous" })
        #expect(finding.path == "new.tar")
        #expect(finding.explanation.contains("unpack another"))
    }

    @Test("a damaged archive inside the release raises the diff's risk")
    func malformedNestedArchiveRaisesRisk() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-tar-risk")
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("old")
        let new = dir.appendingPathComponent("new")
        let good = RawTar.member("a.txt", [1, 2, 3]) + RawTar.end
        var bad = good
        bad[0] ^= 0x20  // checksum no longer matches
        _ = try TestSupport.write(good, to: "payload.tar", in: old)
        _ = try TestSupport.write(bad, to: "payload.tar", in: new)
        let diff = try ReleaseDiffer().diff(old: old.path, new: new.path)
        #expect(diff.risk.level == .medium, "\(diff.findings.map(\.check))")
        #expect(diff.findings.contains { $0.check == "diff.archive-malformed" && $0.path == "payload.tar" })
    }

    @Test("property: Vigil lists what Python's tarfile lists, or refuses; never another list",
        .enabled(if: ArchiveOracle.available, "python3 is not installed"))
    func matchesPythonTarfile() throws {
        let (dir, cases, listings) = try ArchiveOracle.generate("tar", count: 400, seed: 11)
        defer { try? FileManager.default.removeItem(at: dir) }
        var compared = 0
        for c in cases {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(c.file)))
            let python = try #require(listings[c.file])
            let vigil = Result { try TarListing.list(bytes) }
            switch (vigil, python.members) {
            case (.success(let listing), .some(let expected)):
                let ours = listing.members.map { m in
                    [m.name.hasSuffix("/") ? String(m.name.dropLast()) : m.name, m.type, m.type == "file" ? String(m.size) : "0", m.type.hasSuffix("link") ? m.link : ""]
                }
                #expect(ours == expected.map { $0.map(\.description) }, "\(c.file)")
                #expect(listing.anomalies.isEmpty != c.ambiguous, "\(c.file): anomalies \(listing.anomalies)")
                compared += 1
            case (.failure(let error), .some):
                Issue.record("\(c.file): Python lists it, Vigil refused it: \(error)")
            case (_, .none):
                break  // Python cannot open it; Vigil may refuse or list it
            }
        }
        #expect(compared > 350)
    }
}
