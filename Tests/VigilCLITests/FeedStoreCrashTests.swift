import Foundation
import Testing
import VigilCore
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 item 13, end to end with real processes: `kill -9` during an import leaves the old feed
/// or the new one, never a partial one; a second writer of one name is refused; a damaged feed file
/// is reported and skipped by `feed list`, `block` and `scan`, and removable.
@Suite("feed store crashes and damage (end to end)", .serialized, .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct FeedStoreCrashTests {
    struct Info: Decodable {
        var name: String
        var total: Int
    }

    static func list(_ store: String) throws -> (TestSupport.RunResult, [Info]) {
        let r = try TestSupport.runVigil(["feed", "list", "--format", "json", "--store", store])
        return (r, (try? JSONDecoder().decode([Info].self, from: Data(r.stdout.utf8))) ?? [])
    }

    @Test func killNineMidImportLeavesNoPartialFeed() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-kill9")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.path + "/store"
        let small = try TestSupport.write(Array("old-c2.example\n".utf8), to: "small.txt", in: dir)
        #expect(try TestSupport.runVigil(["feed", "add", small.path, "--name", "t", "--store", store]).status == 0)
        // 150,000 distinct names: long enough to kill the import at different stages.
        let count = 150_000
        var text = ""
        text.reserveCapacity(count * 24)
        for i in 0..<count { text += "c2-\(i).big.example\n" }
        let big = try TestSupport.write(Array(text.utf8), to: "big.txt", in: dir)
        for delay in [0.05, 0.3, 0.8, 1.5, 3.0] {
            let p = Process()
            p.executableURL = TestSupport.vigilExecutable
            p.arguments = ["feed", "add", big.path, "--name", "t", "--store", store]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let (r, feeds) = try Self.list(store)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stderr.contains("damaged"), "\(r.stderr)")
            // The old feed (1 indicator) or the whole new one, nothing in between.
            #expect(feeds.map(\.name) == ["t"])
            #expect(feeds.first.map { $0.total == 1 || $0.total == count } == true, "after \(delay) s: \(feeds)")
            let visible = try FileManager.default.contentsOfDirectory(atPath: store + "/feeds").filter { !$0.hasPrefix(".") }
            #expect(visible == ["t.json"])
        }
    }

    @Test func aSecondWriterOfTheSameNameIsRefused() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.path + "/store"
        let file = try TestSupport.write(Array("c2.example\n".utf8), to: "f.txt", in: dir)
        #expect(try TestSupport.runVigil(["feed", "add", file.path, "--name", "t", "--store", store]).status == 0)
        // Hold the lock as a running import would.
        let fd = open(store + "/feeds/.t.lock", O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
        let r = try TestSupport.runVigil(["feed", "add", file.path, "--name", "t", "--store", store])
        #expect(r.status == 2)
        #expect(r.stderr.contains("being written by another vigil process"), "\(r.stderr)")
        // Another name goes ahead.
        #expect(try TestSupport.runVigil(["feed", "add", file.path, "--name", "u", "--store", store]).status == 0)
        close(fd)
        #expect(try TestSupport.runVigil(["feed", "add", file.path, "--name", "t", "--store", store]).status == 0)
    }

    @Test func aDamagedFeedIsReportedSkippedAndRemovable() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-damaged")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.path + "/store"
        for name in ["a", "b", "c"] {
            let file = try TestSupport.write(Array("\(name)-c2.example\n".utf8), to: "\(name).txt", in: dir)
            #expect(try TestSupport.runVigil(["feed", "add", file.path, "--name", name, "--store", store]).status == 0)
        }
        let damaged = store + "/feeds/b.json"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: damaged))

        let (r, feeds) = try Self.list(store)
        #expect(r.status == 0)
        #expect(feeds.map(\.name) == ["a", "c"])
        #expect(r.stderr.contains("b.json") && r.stderr.contains("vigil feed remove b"), "\(r.stderr)")

        let block = try TestSupport.runVigil(["block", "--format", "hosts", "--store", store])
        #expect(block.status == 0, "\(block.stderr)")
        #expect(block.stdout.contains("0.0.0.0 a-c2.example") && block.stdout.contains("0.0.0.0 c-c2.example"))
        #expect(block.stderr.contains("b.json"))

        let tree = try TestSupport.write(Array("x".utf8), to: "tree/x.txt", in: dir)
        let scan = try TestSupport.runVigil(["scan", "--no-default-indicators", "--store", store, "--format", "json", tree.deletingLastPathComponent().path])
        #expect(scan.stdout.contains("feed-store") && scan.stdout.contains("b.json"), "\(scan.stdout)")

        let remove = try TestSupport.runVigil(["feed", "remove", "b", "--store", store])
        #expect(remove.status == 0, "\(remove.stderr)")
        let (after, left) = try Self.list(store)
        #expect(left.map(\.name) == ["a", "c"] && !after.stderr.contains("b.json"))
    }
}
