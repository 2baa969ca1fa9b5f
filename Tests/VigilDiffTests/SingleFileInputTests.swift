import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

#if canImport(Glibc)
    import Glibc
#endif

/// A release given as one file: only regular files are read, and the per-member caps apply.
@Suite("Single-file inputs")
struct SingleFileInputTests {
    /// Runs `body` on another thread and waits at most `seconds`; `nil` when it did not finish.
    static func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        Thread.detachNewThread {
            result = body()
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success ? result : nil
    }

    static func outcome(_ path: String, limits: ExpansionLimits = .standard) -> String {
        do {
            let (source, _) = try ReleaseReader(limits: limits).read(path) { _ in }
            return "read as \(source.kind)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a FIFO given as a release is refused at once, not waited on")
    func fifo() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-fifo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("release.bin").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let result = Self.withTimeout(5) { Self.outcome(fifo) }
        if result == nil {
            // Unblock the reader stuck in open(2) so the test run can go on, then fail.
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        let message = try #require(result, "reading a FIFO did not return within 5 s")
        #expect(message.contains("FIFO") && message.contains("not a regular file"), "\(message)")
    }

    @Test("devices are refused with a clear error", arguments: ["/dev/null", "/dev/zero"])
    func device(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let message = try #require(Self.withTimeout(5) { Self.outcome(path) }, "reading \(path) did not return within 5 s")
        #expect(message.contains("character device") && message.contains("not a regular file"), "\(message)")
    }

    @Test("a single file larger than the caps is hashed whole and analysed up to the member cap, like an archive member")
    func largeFile() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-large")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big.bin").path
        // A sparse 3 MiB file of zeros (no disk use), under caps scaled down from 4 GiB / 512 MiB.
        try #require(FileManager.default.createFile(atPath: path, contents: Data([0x42])))
        try #require(truncate(path, 3 << 20) == 0)
        let limits = ExpansionLimits(maxTotalBytes: 2 << 20, maxMemberBytes: 1 << 20)
        var seen: (kept: Int, size: Int, complete: Bool, sha: String)?
        let (source, diagnostics) = try ReleaseReader(limits: limits).read(path) { m in
            if case .file(let bytes, let size, let sha, let complete) = m.content { seen = (bytes.count, size, complete, sha) }
        }
        #expect(source.kind == "file")
        let s = try #require(seen)
        #expect(s.kept == 1 << 20 && s.size == 3 << 20 && !s.complete)
        let expected = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/sha256sum"), [path]).stdout.prefix(64)
        #expect(s.sha == String(expected))
        #expect(diagnostics.contains { $0.kind == "skipped-size" })
    }
}

@Suite("Special files in release folders")
struct SpecialFolderFileTests {
    @Test("a FIFO inside a release folder is reported and skipped, never waited on")
    func fifoInFolder() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-fifo-folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TestSupport.write([1, 2], to: "a.txt", in: dir)
        let fifo = dir.appendingPathComponent("pipe").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let path = dir.path
        let outcome = SingleFileInputTests.withTimeout(5) { () -> [String] in
            do {
                let (_, diagnostics) = try ReleaseReader().read(path) { _ in }
                return diagnostics.map { "\($0.kind) \($0.path)" }
            } catch {
                return ["error \(error)"]
            }
        }
        if outcome == nil {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        #expect(try #require(outcome, "did not return within 5 s") == ["special-file pipe"])
    }
}
