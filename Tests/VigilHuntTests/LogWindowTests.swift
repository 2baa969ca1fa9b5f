import Foundation
import Testing
import VigilGzip
import _VigilTestSupport
@testable import VigilHunt

/// Reading a file in windows: the ranges the server's log follower reads.
@Suite struct LogWindowTests {
    /// Lines delivered for a window, as (number, text).
    static func lines(_ window: LogWindow, replayHeader: Bool = false) throws -> [(Int, String)] {
        var out: [(Int, String)] = []
        try LineReader().forEachLine(window: window, replayHeader: replayHeader) { line, n in
            out.append((n, String(decoding: line, as: UTF8.self)))
            return true
        }
        return out
    }

    @Test func windowsEndAtLineBoundariesAndKeepLineNumbers() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "#fields\ta\none\r\ntwo\nthree\nfour\nfive-partial"
        for gz in [false, true] {
            let bytes = gz ? try GzipEncoder.gzip(Array(text.utf8)) : Array(text.utf8)
            let path = try TestSupport.write(bytes, to: gz ? "w.log.gz" : "w.log", in: dir).path
            let reader = LineReader()
            let a = try reader.measureWindow(path: path, start: 0, maxLines: 3, maxBytes: 1 << 20, includeUnterminated: false)
            #expect(a.lines == 3 && a.end == Int64("#fields\ta\none\r\ntwo\n".utf8.count) && !a.reachedEnd)
            let b = try reader.measureWindow(path: path, start: a.end, maxLines: 100, maxBytes: 1 << 20, includeUnterminated: false)
            #expect(b.lines == 2 && b.reachedEnd && b.pendingBytes == Int64("five-partial".utf8.count), "the partial last line waits")
            let c = try reader.measureWindow(path: path, start: a.end, maxLines: 100, maxBytes: 1 << 20, includeUnterminated: true)
            #expect(c.lines == 3 && c.end == Int64(text.utf8.count), "a complete file's last line counts")
            let second = try Self.lines(LogWindow(path: path, start: a.end, end: b.end, linesBefore: a.lines), replayHeader: true)
            #expect(second.map(\.0) == [1, 4, 5], "header line 1, then lines 4 and 5")
            #expect(second.map(\.1) == ["#fields\ta", "three", "four"])
            let first = try Self.lines(LogWindow(path: path, start: 0, end: a.end, linesBefore: 0), replayHeader: true)
            #expect(first.map(\.1) == ["#fields\ta", "one", "two"], "no header replay at the top; CR dropped")
            // A byte budget smaller than the lines: one line per window, but never zero.
            let tiny = try reader.measureWindow(path: path, start: 0, maxLines: 100, maxBytes: 3, includeUnterminated: false)
            #expect(tiny.lines == 1 && tiny.end == Int64("#fields\ta\n".utf8.count))
        }
    }

    @Test func aDamagedGzipEndsTheWindowAtTheLastCompleteLine() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = (0..<20_000).map { "line \($0) " + String(repeating: "x", count: $0 % 50) }.joined(separator: "\n") + "\n"
        let gz = try GzipEncoder.gzip(Array(text.utf8))
        let path = try TestSupport.write(Array(gz.prefix(gz.count / 2)), to: "cut.log.gz", in: dir).path
        let w = try LineReader().measureWindow(path: path, start: 0, maxLines: 1_000_000, maxBytes: 1 << 30, includeUnterminated: true)
        #expect(w.error != nil)
        #expect(w.lines > 0 && w.lines < 20_000)
        let read = try Self.lines(LogWindow(path: path, start: 0, end: w.end, linesBefore: 0))
        #expect(read.count == w.lines)
        #expect(read.last?.1 == "line \(w.lines - 1) " + String(repeating: "x", count: (w.lines - 1) % 50), "every line read is whole")
    }
}
