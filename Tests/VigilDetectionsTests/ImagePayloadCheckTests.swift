import Foundation
import Testing
import VigilCore
import VigilDetections
import VigilFormats
import _VigilTestSupport

/// Check 4 on the image fixtures of `scripts/fixtures/images.sh`, whose `manifest.json` records the
/// layout (trailing offset and size) computed by the generator, independently of Vigil.
@Suite struct ImagePayloadCheckTests {
    func run(_ name: String) throws -> ([Finding], [String: Any])? {
        guard let dir = TreeScan.fixture("images") else { return nil }
        let manifestData = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        let manifest = (try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])?[name] as? [String: Any] ?? [:]
        let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
        let analysis = DetectionEngine().analyze(ScannedFile(path: name, bytes: bytes, format: FileFormat.identify(bytes)))
        return (analysis.findings, manifest)
    }

    @Test(arguments: [
        ("icon-3cx.ico", Severity.high, "dollar-base64"),
        ("icon-hex-tail.ico", Severity.medium, "hex"),
        ("icon-base64-tail.ico", Severity.medium, "base64"),
        ("png-trailing-text.png", Severity.medium, "text"),
        ("png-trailing-binary.png", Severity.low, "binary"),
    ])
    func trailingDataIsRatedByEncoding(_ name: String, _ severity: Severity, _ encoding: String) throws {
        guard let (findings, manifest) = try run(name) else { return }
        #expect(findings.count == 1, "\(name): \(TreeScan.describe(findings))")
        let f = try #require(findings.first)
        #expect(f.check == CheckID.imageTrailer)
        #expect(f.severity == severity)
        #expect(f.evidence["trailing_encoding"] == .string(encoding))
        #expect(f.offset == manifest["trailing_offset"] as? Int)
        #expect(f.evidence["trailing_size"] == .int(manifest["trailing_size"] as? Int ?? -1))
        #expect(f.attack == ["T1027.003", "T1027"])
    }

    @Test func payloadInsideAnIconEntryAfterIEND() throws {
        guard let (findings, manifest) = try run("icon-png-inner-tail.ico") else { return }
        #expect(findings.map(\.severity) == [.high], "\(TreeScan.describe(findings))")
        #expect(findings.first?.offset == manifest["inner_iend_end"] as? Int)
        #expect(findings.first?.evidence["trailing_size"] == .int(manifest["inner_trailing_size"] as? Int ?? -1))
    }

    @Test(arguments: ["icon-plain.ico", "plain.png", "icon-zero-pad.ico", "png-bad-crc.png"])
    func cleanImagesAndSmallZeroPaddingRaiseNothing(_ name: String) throws {
        guard let (findings, _) = try run(name) else { return }
        #expect(findings.isEmpty, "\(name): \(TreeScan.describe(findings))")
    }
}
