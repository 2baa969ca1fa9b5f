import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

/// Links are checked as a system would follow them, through the other links of the release,
/// not only by their own text.
@Suite("Link chains")
struct LinkChainTests {
    func read(_ path: String) throws -> [String: String] {
        var links: [String: String] = [:]
        _ = try ReleaseReader().read(path) { m in
            if case .symlink(let t) = m.content { links[m.path] = t }
        }
        return links
    }

    func expectRefused(_ path: String, member: String) {
        #expect {
            _ = try read(path)
        } throws: { error in
            guard let e = error as? ReleaseError, case .linkOutOfTree(_, let m, _) = e else { return false }
            return m == member
        }
    }

    @Test("a tar link that escapes only through another link (a -> x/b/.., x/b -> ..) is refused")
    func tarChain() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-links")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = RawTar.header("x/", type: "5", size: 0) + RawTar.header("x/b", type: "2", size: 0, link: "..")
            + RawTar.header("a", type: "2", size: 0, link: "x/b/..") + RawTar.member("f.txt", [1]) + RawTar.end
        expectRefused(try TestSupport.write(tar, to: "r.tar", in: dir).path, member: "a")
    }

    @Test("the issue's chain (a -> x/b/.., x/b -> ../..) is refused")
    func issueChain() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-links")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = RawTar.header("a", type: "2", size: 0, link: "x/b/..") + RawTar.header("x/b", type: "2", size: 0, link: "../..") + RawTar.end
        #expect(throws: ReleaseError.self) { _ = try read(try TestSupport.write(tar, to: "r.tar", in: dir).path) }
    }

    @Test("a folder link that escapes only through another link is refused")
    func folderChain() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-links")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("release")
        _ = try TestSupport.write([1], to: "x/f.txt", in: root)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("x/b").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("a").path, withDestinationPath: "x/b/..")
        expectRefused(root.path, member: "a")
    }

    @Test("chains that stay inside, and loops, are handled: inside kept, loops refused")
    func insideAndLoops() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-links")
        defer { try? FileManager.default.removeItem(at: dir) }
        let inside = RawTar.header("lib/", type: "5", size: 0) + RawTar.member("lib/libz.so.1.3", [1])
            + RawTar.header("lib/libz.so.1", type: "2", size: 0, link: "libz.so.1.3")
            + RawTar.header("lib/libz.so", type: "2", size: 0, link: "libz.so.1")
            + RawTar.header("current", type: "2", size: 0, link: "lib/../lib") + RawTar.end
        #expect(try read(try TestSupport.write(inside, to: "ok.tar", in: dir).path) == [
            "lib/libz.so.1": "libz.so.1.3", "lib/libz.so": "libz.so.1", "current": "lib/../lib",
        ])
        let loop = RawTar.header("p", type: "2", size: 0, link: "q/x") + RawTar.header("q", type: "2", size: 0, link: "p/y") + RawTar.end
        expectRefused(try TestSupport.write(loop, to: "loop.tar", in: dir).path, member: "p")
    }
}
