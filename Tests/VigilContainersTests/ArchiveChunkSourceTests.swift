import ArchiveKit
import Foundation
import Testing
import _VigilTestSupport

/// Every entry's name and bytes, read to the end.
private func entries(_ reader: ArchiveReader) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    while let entry = try reader.nextEntry() {
        var bytes: [UInt8] = []
        try reader.readData { bytes += $0 }
        out[entry.name] = bytes
    }
    return out
}

@Suite("An archive read from chunks")
struct ArchiveChunkSourceTests {
    @Test func aCabinetHandedOverInSmallChunksReadsAsFromItsFile() throws {
        guard ContainerFixtures.have("gcab") else {
            print("skipped: gcab is not installed (apt-get install gcab)")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-chunks")
        defer { try? FileManager.default.removeItem(at: dir) }
        var generator = SystemRandomNumberGenerator()
        let big = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }  // incompressible: a 200 KB cabinet
        _ = try TestSupport.write(big, to: "big.bin", in: dir)
        _ = try TestSupport.write(Array("small\n".utf8), to: "small.txt", in: dir)
        let cab = dir.appendingPathComponent("x.cab").path
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["sh", "-c", "cd \"$1\" && gcab -c -z \"$2\" big.bin small.txt", "sh", dir.path, cab])
        try #require(r.status == 0, "\(r.stderr)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cab)))

        let fd = open(cab, O_RDONLY)
        defer { close(fd) }
        let expected = try entries(try ArchiveReader(fileDescriptor: fd, formats: [.cab]))
        #expect(expected["big.bin"] == big)
        #expect(expected["small.txt"] == Array("small\n".utf8))
        // 7-byte chunks: every header and block spans several of them.
        var at = 0
        var calls = 0
        let reader = try ArchiveReader(chunks: {
            calls += 1
            guard at < bytes.count else { return nil }
            defer { at += 7 }
            return Array(bytes[at..<min(bytes.count, at + 7)])
        }, formats: [.cab])
        #expect(try entries(reader) == expected)
        #expect(calls >= bytes.count / 7)
        #expect(bytes.count > 150_000)

        // A source that fails half-way ends the archive with an error, never with a short member.
        var served = 0
        let failing = try ArchiveReader(chunks: {
            struct Broken: Error {}
            guard served < bytes.count / 2 else { throw Broken() }
            defer { served += 4096 }
            return Array(bytes[served..<min(bytes.count, served + 4096)])
        }, formats: [.cab])
        #expect(throws: ArchiveError.self) { _ = try entries(failing) }
    }
}
