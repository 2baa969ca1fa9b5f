import Crypto
import Foundation
import Testing
import _VigilTestSupport
@testable import VigilScan

@Suite("Read buffer reuse and the large-file gate")
struct ReadBufferTests {
    private func fill(_ buffer: inout ReadBuffer, with content: [UInt8], writing count: Int? = nil) {
        buffer.fill(count: content.count) { destination in
            let n = count ?? content.count
            content.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            return n
        }
    }

    private func address(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBytes { $0.baseAddress }
    }

    @Test func storageIsReusedForFilesThatFitAndBytesAreExactlyTheFile() {
        var buffer = ReadBuffer()
        fill(&buffer, with: [UInt8](repeating: 7, count: 10_000))
        let first = address(buffer.bytes)
        fill(&buffer, with: [1, 2, 3])
        #expect(buffer.bytes == [1, 2, 3])
        #expect(address(buffer.bytes) == first)
        // Growing again within the kept capacity: same storage, no stale bytes from the first file.
        let middle = (0..<6_000).map { UInt8(truncatingIfNeeded: $0) }
        fill(&buffer, with: middle)
        #expect(buffer.bytes == middle)
        #expect(address(buffer.bytes) == first)
        fill(&buffer, with: [])
        #expect(buffer.bytes.isEmpty)
    }

    @Test func bytesStillHeldByAConsumerSurviveTheNextFill() {
        var buffer = ReadBuffer()
        fill(&buffer, with: [UInt8](repeating: 0xAA, count: 4096))
        let held = buffer.bytes  // e.g. a finding builder that kept the previous file
        fill(&buffer, with: [UInt8](repeating: 0x55, count: 4096))
        #expect(held == [UInt8](repeating: 0xAA, count: 4096))
        #expect(buffer.bytes == [UInt8](repeating: 0x55, count: 4096))
    }

    @Test func aShortReadLeavesOnlyWhatWasRead() {
        var buffer = ReadBuffer()
        fill(&buffer, with: [UInt8](repeating: 1, count: 8192))
        fill(&buffer, with: [9, 8, 7, 6, 5, 4], writing: 2)  // reused storage, file shrank
        #expect(buffer.bytes == [9, 8])
        var fresh = ReadBuffer()
        fill(&fresh, with: [9, 8, 7, 6, 5, 4], writing: 4)  // fresh storage
        #expect(fresh.bytes == [9, 8, 7, 6])
    }

    @Test func largeFilesGoThroughTheGateAndEveryFileIsHashedCorrectly() throws {
        // Two files above the 32 MiB gate threshold and small ones around them, swept by two threads:
        // the large files share the gate's storage one at a time, the small ones reuse each worker's.
        let dir = try Scratch()
        let threshold = LargeFileGate.threshold
        var expected: [String: String] = [:]
        for (name, size, seed) in [
            ("a-large.bin", threshold + 4096, 3), ("b-small.bin", 5000, 5), ("c-large.bin", threshold + 1, 7),
            ("d-small.bin", 70_000, 11), ("e-tiny.bin", 1, 13),
        ] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* seed) >> 3) }
            try dir.write(name, bytes)
            expected[name] = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        }
        let indicators = expected.values.map { hashIndicator(.sha256, $0) }
        let result = try scan([dir.path], indicators: indicators)
        let hits = Dictionary(uniqueKeysWithValues: result.findings.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0.evidence["sha256"]) })
        for (name, digest) in expected {
            #expect(hits[name] == .string(digest), "\(name)")
        }
        #expect(result.statistics.bytesScanned == 2 * threshold + 4097 + 75_001)
        #expect(result.diagnostics.isEmpty)
    }
}
