import Foundation
import Testing
import _VigilTestSupport
@testable import VigilDiff

/// The hand-written readers on damaged input: every mutation of a valid archive either reads or
/// fails with a ``ReleaseError`` naming the archive; none traps, hangs or throws anything else.
@Suite("Hostile bytes")
struct HostileBytesTests {
    func mutate(_ bytes: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var out = bytes
        switch rng.next() % 4 {
        case 0: out = Array(out.prefix(Int(rng.next() % UInt64(out.count + 1))))
        case 1: for _ in 0..<8 { out[Int(rng.next() % UInt64(out.count))] = UInt8(truncatingIfNeeded: rng.next()) }
        case 2:
            // Large numbers where lengths and offsets live.
            let i = Int(rng.next() % UInt64(max(1, out.count - 12)))
            for k in 0..<12 { out[i + k] = [0xFF, 0x37, 0x80, 0x39][Int(rng.next() % 4)] }
        default: out += (0..<Int(rng.next() % 700)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return out
    }

    @Test("2,000 mutated tar archives (GNU tar output)")
    func tar() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-diff-fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write(Array("payload".utf8), to: "tree/" + String(repeating: "x", count: 120) + ".txt", in: dir)
        try TestSupport.write(Array(repeating: 7, count: 900), to: "tree/b.bin", in: dir)
        let archive = dir.appendingPathComponent("t.tar")
        let run = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/tar"), ["--format=pax", "-cf", archive.path, "-C", dir.appendingPathComponent("tree").path, "."])
        guard run.status == 0 else { Issue.record("tar failed: \(run.stderr)"); return }
        let original = [UInt8](try Data(contentsOf: archive))
        var rng = SeededRandom(seed: 42)
        var read = 0, refused = 0
        for _ in 0..<2000 {
            let bytes = mutate(original, &rng)
            do {
                try TarReader(bytes: bytes, archiveName: "t.tar").forEach { entry in
                    #expect(entry.data.upperBound <= bytes.count && entry.data.lowerBound >= 0)
                }
                read += 1
            } catch let error as ReleaseError {
                #expect(error.description.contains("t.tar"))
                refused += 1
            }
        }
        #expect(read + refused == 2000)
        #expect(refused > 100 && read > 100, "read \(read), refused \(refused)")
    }

    @Test("2,000 mutated asar archives")
    func asar() throws {
        guard let path = DiffFixtures.path("app.asar") else { return }
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = SeededRandom(seed: 7)
        var outcomes = 0
        for _ in 0..<2000 {
            let bytes = mutate(original, &rng)
            do {
                try AsarReader(bytes: bytes, archiveName: "app.asar").forEach { entry in
                    if case .file(let range) = entry.kind { #expect(range.upperBound <= bytes.count) }
                }
            } catch let error as ReleaseError {
                #expect(error.description.contains("app.asar"))
            }
            outcomes += 1
        }
        #expect(outcomes == 2000)
    }
}

@Suite("Hostile bytes: edge cases")
struct HostileEdgeTests {
    @Test("a pax record whose length ends inside its own length field is refused, not trusted")
    func paxShortRecord() throws {
        // A pax header ('x') whose body is "1 x" followed by a regular file entry.
        func header(_ name: String, size: Int, type: UInt8) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 512)
            for (i, b) in name.utf8.enumerated() { h[i] = b }
            let sizeField = Array(String(size, radix: 8).utf8)
            let padded = [UInt8](repeating: 0x30, count: 11 - sizeField.count) + sizeField
            for (i, b) in padded.enumerated() { h[124 + i] = b }
            h[156] = type
            for (i, b) in "ustar\u{0}00".utf8.enumerated() { h[257 + i] = b }
            for i in 148..<156 { h[i] = 32 }
            let sum = h.reduce(0) { $0 + Int($1) }
            for (i, b) in Array(String(format: "%06o\u{0} ", sum).utf8).enumerated() { h[148 + i] = b }
            return h
        }
        let body = Array("1 x".utf8)
        var tar = header("pax", size: body.count, type: UInt8(ascii: "x")) + body + [UInt8](repeating: 0, count: 512 - body.count)
        tar += header("file.txt", size: 2, type: UInt8(ascii: "0")) + Array("ok".utf8) + [UInt8](repeating: 0, count: 510)
        tar += [UInt8](repeating: 0, count: 1024)
        // Skipping the record could drop a `path` or `size` meant for the next member, so the archive
        // is refused (as current Python tarfile does), naming where.
        #expect {
            try TarReader(bytes: tar, archiveName: "t.tar").forEach { _ in }
        } throws: { error in
            (error as? ReleaseError)?.description.contains("damaged pax record in the extended header at offset 0") == true
        }
    }

    @Test("asar headers of 16 bytes or fewer are not asar")
    func shortAsar() {
        let header: [UInt8] = [4, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]
        for n in 0...16 { #expect(!AsarReader.looksLikeAsar(Array(header.prefix(n)))) }
    }
}
