import Foundation
import Testing
import VigilCore
import VigilDetections
import VigilFormats
import _VigilTestSupport

/// The checks on damaged copies of the fixtures: every truncation and a sweep of byte corruptions
/// through the certificate table. Whatever the parsers make of them, every finding must point inside
/// the file and stay explainable (offsets and sizes within bounds, an ATT&CK id, evidence present).
@Suite struct HostileInputTests {
    func assertSane(_ findings: [Finding], size: Int, _ label: String) {
        for f in findings {
            if let offset = f.offset { #expect(offset >= 0 && offset <= size, "\(label): \(f.check) offset \(offset) of \(size)") }
            for key in ["slack_offset", "uncovered_offset", "trailing_offset"] {
                if case .int(let v) = f.evidence[key] { #expect(v >= 0 && v <= size, "\(label): \(key) \(v) of \(size)") }
            }
            for key in ["slack_size", "uncovered_size", "trailing_size"] {
                if case .int(let v) = f.evidence[key] { #expect(v >= 0 && v <= size, "\(label): \(key) \(v) of \(size)") }
            }
            #expect(!f.attack.isEmpty && !f.evidence.isEmpty, "\(label): \(f.check)")
        }
    }

    @Test func truncatedPaddedCarrier() throws {
        guard let dir = TreeScan.fixture("pe") else { return }
        let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("variants/d3dcompiler_47-pad-both.dll")))
        let engine = DetectionEngine()
        var flaggedCuts = 0
        for cut in stride(from: 0, through: bytes.count, by: 97) + [bytes.count - 1, bytes.count - 8] {
            let part = Array(bytes.prefix(cut))
            let analysis = engine.analyze(ScannedFile(path: "cut-\(cut)", bytes: part, format: FileFormat.identify(part)))
            assertSane(analysis.findings, size: part.count, "cut \(cut)")
            if !analysis.findings.isEmpty { flaggedCuts += 1 }
        }
        // Every cut that leaves the headers but not the whole table is reported (low: truncated).
        #expect(flaggedCuts > 100)
    }

    @Test func corruptedCertificateTable() throws {
        guard let dir = TreeScan.fixture("pe") else { return }
        let original = [UInt8](try Data(contentsOf: dir.appendingPathComponent("signed/d3dcompiler_47.dll")))
        let table = try #require(PEParser.parse(original)?.certificateTable)
        let engine = DetectionEngine()
        for at in stride(from: table.offset, to: original.count, by: 13) {
            var bytes = original
            bytes[at] ^= 0xA5
            let analysis = engine.analyze(ScannedFile(path: "flip-\(at)", bytes: bytes, format: .pe))
            assertSane(analysis.findings, size: bytes.count, "flip at \(at)")
        }
        // Flipping a byte of the DER blob changes nothing the digest covers: never a digest mismatch.
        var bytes = original
        bytes[table.offset + 200] ^= 0xA5
        let analysis = engine.analyze(ScannedFile(path: "flip", bytes: bytes, format: .pe))
        #expect(!analysis.findings.contains { $0.check == CheckID.digestMismatch })
    }

    @Test func randomBytesUnderEveryFormat() {
        var generator = SystemRandomNumberGenerator()
        let engine = DetectionEngine()
        for format in [FileFormat.pe, .macho, .machoFat, .ico, .png] {
            for length in [0, 1, 7, 64, 512, 4096] {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let analysis = engine.analyze(ScannedFile(path: "random", bytes: bytes, format: format))
                assertSane(analysis.findings, size: bytes.count, "\(format) \(length)")
                #expect(analysis.path == "random")
            }
        }
    }
}
