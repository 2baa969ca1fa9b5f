import Foundation
import Testing
import VigilCore
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 item 11, end to end: file names with ESC sequences, newlines and invalid UTF-8 reach
/// `scan`, `inspect` and `diff` text output escaped, and stay distinguishable.
@Suite("terminal escaping (end to end)", .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct TerminalEscapeCommandTests {
    static let forged: [UInt8] = Array("x\nFAKE: 0 findings\u{1b}]0;pwned\u{07}".utf8)

    /// Nothing but line feeds may be a control character in what a command printed.
    static func check(_ r: TestSupport.RunResult) {
        for text in [r.stdout, r.stderr] {
            #expect(!text.unicodeScalars.contains { TerminalSafe.isUnsafe($0) && $0 != "\n" }, "\(text.debugDescription)")
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("FAKE") }, "\(text)")
            #expect(!text.contains("\u{fffd}"), "invalid UTF-8 replaced: \(text)")
        }
    }

    /// Creates `dir/name` from raw bytes: a FIFO (scan reports it with its path) or a file.
    static func make(_ name: [UInt8], in dir: URL, fifo: Bool, contents: [UInt8] = []) throws {
        let path = Array(dir.path.utf8) + [UInt8(ascii: "/")] + name
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        if fifo {
            #expect(mkfifo(cPath, 0o644) == 0)
        } else {
            let fd = open(cPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            #expect(fd >= 0)
            _ = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    @Test func scanEscapesAndKeepsInvalidNamesApart() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-escape-scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.make(Self.forged + [0xff], in: dir, fifo: true)
        try Self.make(Self.forged + [0xfe], in: dir, fifo: true)
        let r = try TestSupport.runVigil(["scan", "--no-default-indicators", dir.path])
        Self.check(r)
        let all = r.stdout + r.stderr
        #expect(all.contains("x\\nFAKE: 0 findings\\x1b]0;pwned\\x07\\xff"), "\(all)")
        #expect(all.contains("x\\nFAKE: 0 findings\\x1b]0;pwned\\x07\\xfe"), "\(all)")
    }

    @Test func inspectEscapesThePath() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-escape-inspect")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A truncated PNG: signature and half an IHDR.
        try Self.make(Self.forged + Array(".png".utf8), in: dir, fifo: false, contents: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48])
        let path = dir.path + "/" + String(decoding: Self.forged + Array(".png".utf8), as: UTF8.self)
        let r = try TestSupport.runVigil(["inspect", path])
        Self.check(r)
        #expect(r.stdout.contains("x\\nFAKE: 0 findings\\x1b]0;pwned\\x07.png"), "\(r.stdout)")
    }

    @Test func diffEscapesMemberNames() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-escape-diff")
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("old"), new = dir.appendingPathComponent("new")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: new, withIntermediateDirectories: true)
        try Self.make(Array("app.exe".utf8), in: old, fifo: false, contents: Array("old".utf8))
        try Self.make(Array("app.exe".utf8), in: new, fifo: false, contents: Array("old".utf8))
        try Self.make(Self.forged + Array(".dll".utf8), in: new, fifo: false, contents: Array("MZ new".utf8))
        let r = try TestSupport.runVigil(["diff", old.path, new.path])
        Self.check(r)
        #expect(r.stdout.contains("x\\nFAKE: 0 findings\\x1b]0;pwned\\x07.dll"), "\(r.stdout)")
    }
}
