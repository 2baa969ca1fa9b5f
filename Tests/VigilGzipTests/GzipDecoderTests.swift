import Foundation
import Testing
import VigilGzip

@Suite struct GzipDecoderTests {
    /// Compresses with the system's gzip so the expected output is produced by an independent tool.
    func gzip(_ text: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.txt")
        try Data(text.utf8).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -n -c '\(file.path)' > '\(file.path).gz'"]
        try p.run()
        p.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: file.path + ".gz")))
    }

    @Test func decodesConcatenatedMembersInSmallChunks() throws {
        let a = try gzip(String(repeating: "first line\n", count: 5000))
        let b = try gzip("second member\n")
        let all = a + b
        let decoder = try GzipDecoder()
        var out: [UInt8] = []
        var i = 0
        while i < all.count {
            try decoder.decompress(all[i..<min(all.count, i + 7)]) { out.append(contentsOf: $0) }
            i += 7
        }
        try decoder.finish()
        #expect(String(decoding: out, as: UTF8.self) == String(repeating: "first line\n", count: 5000) + "second member\n")
    }

    @Test func rejectsTruncatedCorruptAndOversizedInput() throws {
        let a = try gzip(String(repeating: "x", count: 100_000))
        #expect(throws: GzipError.self) { try GzipDecoder.gunzip(Array(a.prefix(a.count / 2))) }
        var corrupt = a
        corrupt[12] ^= 0xFF
        #expect(throws: GzipError.self) { try GzipDecoder.gunzip(corrupt) }
        #expect(throws: GzipError.self) { try GzipDecoder.gunzip(a, maxOutput: 1000) }
        #expect(try GzipDecoder.gunzip(a).count == 100_000)
    }
}
