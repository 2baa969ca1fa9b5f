import Foundation
import Testing
import VigilGzip

@Suite struct GzipEncoderTests {
    @Test func roundTripsThroughTheDecoder() throws {
        var bytes: [UInt8] = []
        var x: UInt32 = 12345
        for i in 0..<300_000 {
            x = x &* 1_103_515_245 &+ 12345
            bytes.append(i % 3 == 0 ? UInt8(truncatingIfNeeded: x >> 16) : UInt8(i % 17))
        }
        let packed = try GzipEncoder.gzip(bytes)
        #expect(packed.count < bytes.count)
        #expect(packed.prefix(2) == [0x1F, 0x8B])
        #expect(try GzipDecoder.gunzip(packed) == bytes)
    }

    @Test func emptyInputIsAValidMember() throws {
        let packed = try GzipEncoder.gzip([])
        #expect(try GzipDecoder.gunzip(packed) == [])
    }

    @Test func systemGunzipReadsIt() throws {
        let text = Array(String(repeating: "vigil fleet batch ", count: 5000).utf8)
        let packed = try GzipEncoder.gzip(text, level: 9)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("t.gz")
        try Data(packed).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-t", file.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func outputLimitIsEnforced() throws {
        var bytes = [UInt8](repeating: 0, count: 100_000)
        var x: UInt64 = 99
        for i in bytes.indices {
            x = x &* 6_364_136_223_846_793_005 &+ 1
            bytes[i] = UInt8(truncatingIfNeeded: x >> 33)
        }
        #expect(throws: GzipError.self) { _ = try GzipEncoder.gzip(bytes, maxOutput: 10_000) }
    }
}
