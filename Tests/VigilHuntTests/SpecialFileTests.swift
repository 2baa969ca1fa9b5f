import Foundation
import Testing
import VigilHunt
import _VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A FIFO or device among the logs is reported as unreadable at once; the hunt never waits on it.
@Suite struct SpecialFileTests {
    static func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        Thread.detachNewThread {
            result = body()
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success ? result : nil
    }

    @Test("a FIFO given as a log, or found in a log folder, is refused within 5 s")
    func fifo() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-hunt-fifo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("conn.log").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let path = fifo
        let outcome = Self.withTimeout(5) { () -> String in
            do {
                try LineReader().forEachLine(path: path) { _, _ in true }
                return "read"
            } catch {
                return "\(error)"
            }
        }
        if outcome == nil {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)  // unblock the reader, then fail
            if fd >= 0 { close(fd) }
        }
        let message = try #require(outcome, "reading a FIFO did not return within 5 s")
        #expect(message.contains("not a regular file"), "\(message)")
        #expect(!LineReader.isGzip(path: fifo))
    }

    @Test("a character device is refused, not read without end")
    func device() throws {
        let outcome = Self.withTimeout(5) { () -> String in
            do {
                try LineReader().forEachLine(path: "/dev/zero") { _, _ in true }
                return "read"
            } catch {
                return "\(error)"
            }
        }
        let message = try #require(outcome, "reading /dev/zero did not return within 5 s")
        #expect(message.contains("character device") && message.contains("not a regular file"), "\(message)")
    }
}
