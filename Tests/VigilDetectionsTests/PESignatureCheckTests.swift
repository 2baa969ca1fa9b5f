import Foundation
import Testing
import VigilCore
import VigilDetections
import VigilFormats
import _VigilTestSupport

/// Checks 1 and 2 on the PE fixtures of `scripts/fixtures/pe.sh`. Expected offsets and sizes come from
/// the JSON sidecars that `mutate.py` computed independently of Vigil while making each variant.
@Suite struct PESignatureCheckTests {
    let engine = DetectionEngine()

    func analyze(_ name: String) throws -> (FileAnalysis, [String: Any])? {
        guard let dir = TreeScan.fixture("pe") else { return nil }
        let url = dir.appendingPathComponent(name)
        let bytes = [UInt8](try Data(contentsOf: url))
        let analysis = engine.analyze(ScannedFile(path: url.path, bytes: bytes, format: FileFormat.identify(bytes)))
        let sidecar = (try? Data(contentsOf: URL(fileURLWithPath: url.path + ".json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        return (analysis, sidecar)
    }

    @Test func paddedCertificateTableIsHighWithExactMeasurements() throws {
        for variant in ["pad-both", "pad-both-fixsum"] {
            guard let (analysis, sidecar) = try analyze("variants/d3dcompiler_47-\(variant).dll") else { return }
            let slack = analysis.findings.filter { $0.check == CheckID.certificateTableSlack }
            #expect(slack.count == 1, "\(variant): \(TreeScan.describe(analysis.findings))")
            let f = try #require(slack.first)
            #expect(f.severity == .high)
            #expect(f.attack.contains("T1553.002") && f.attack.contains("T1027"))
            #expect(f.evidence["slack_offset"] == .int(sidecar["slack_offset"] as? Int ?? -1))
            #expect(f.evidence["slack_size"] == .int(sidecar["slack_size"] as? Int ?? -1))
            #expect(f.evidence["dw_length"] == .int(sidecar["new_dw_length"] as? Int ?? -1))
            #expect(f.evidence["der_length"] == .int(sidecar["der_length"] as? Int ?? -1))
            #expect(f.evidence["cert_table_size"] == .int(sidecar["new_table_size"] as? Int ?? -1))
            #expect(f.evidence["marker_offsets"] == .strings(["0x" + String(sidecar["marker_offset"] as? Int ?? -1, radix: 16)]))
            #expect(f.offset == sidecar["marker_offset"] as? Int)
            if case .double(let entropy) = f.evidence["slack_entropy"] {
                #expect(abs(entropy - (sidecar["slack_entropy"] as? Double ?? 0)) < 1e-9)
            } else {
                Issue.record("slack_entropy missing")
            }
            // The dangerous part: the signature still verifies.
            #expect(f.evidence["digest_matches"] == .bool(true))
            if case .string(let signer) = f.evidence["signer"] {
                #expect(signer.contains("Fixture Software Ltd"))
            } else {
                Issue.record("signer evidence missing")
            }
            #expect(!analysis.findings.contains { $0.check == CheckID.digestMismatch })
            #expect(analysis.facts?.tamperChecks == [CheckID.certificateTableSlack])
        }
    }

    @Test func directoryOnlyPaddingIsFlaggedAsUnaccountedData() throws {
        guard let (analysis, sidecar) = try analyze("variants/d3dcompiler_47-pad-dironly.dll") else { return }
        let size = try #require(analysis.findings.first { $0.check == CheckID.certificateTableSize })
        #expect(size.severity == .high)
        let tableOffset = sidecar["table_offset"] as? Int ?? -1
        let original = sidecar["original_table_size"] as? Int ?? -1
        #expect(size.offset == tableOffset + original)
        #expect(size.evidence["unaccounted_size"] == .int((sidecar["new_table_size"] as? Int ?? 0) - original))
        #expect(size.evidence["sum_of_aligned_lengths"] == .int(original))
        // The egg lies in the table (outside any entry), so check 1 reports it too.
        let marker = try #require(analysis.findings.first { $0.check == CheckID.certificateTableSlack })
        #expect(marker.severity == .high)
        #expect(marker.offset == sidecar["marker_offset"] as? Int)
    }

    @Test func dataAfterTheTableIsHigh() throws {
        guard let (analysis, sidecar) = try analyze("variants/d3dcompiler_47-overlay-after.dll") else { return }
        let after = try #require(analysis.findings.first { $0.check == CheckID.dataAfterCertificateTable })
        #expect(after.severity == .high)
        #expect(after.offset == sidecar["after_offset"] as? Int)
        #expect(after.evidence["uncovered_size"] == .int(sidecar["after_size"] as? Int ?? -1))
        #expect(after.evidence["marker_offsets"] == .strings(["0x" + String(sidecar["after_offset"] as? Int ?? -1, radix: 16)]))
        #expect(!analysis.findings.contains { $0.check == CheckID.certificateTableSlack })
    }

    @Test func codeChangedAfterSigningIsADigestMismatch() throws {
        guard let (analysis, _) = try analyze("variants/d3dcompiler_47-tampered-text.dll") else { return }
        let mismatch = analysis.findings.filter { $0.check == CheckID.digestMismatch }
        #expect(mismatch.count == 1, "\(TreeScan.describe(analysis.findings))")
        #expect(mismatch.first?.severity == .high)
        if case .string(let signed) = mismatch.first?.evidence["signed_digest"], case .string(let computed) = mismatch.first?.evidence["computed_digest"] {
            #expect(signed != computed && signed.count == 64 && computed.count == 64)
        } else {
            Issue.record("digest evidence missing")
        }
        #expect(analysis.facts?.pe?.digestMatches == false)
    }

    @Test(arguments: [
        "signed/app.exe", "signed/ffmpeg.dll", "signed/d3dcompiler_47.dll", "signed/d3dcompiler_47-timestamped.dll",
        "signed/d3dcompiler_47-nested.dll", "signed/d3dcompiler_47-unauth-blob.dll", "ffmpeg.dll", "app.exe",
    ])
    func legitimateSignaturesAndUnsignedFilesRaiseNothing(_ name: String) throws {
        guard let (analysis, _) = try analyze(name) else { return }
        #expect(analysis.findings.isEmpty, "\(name): \(TreeScan.describe(analysis.findings))")
        let facts = try #require(analysis.facts?.pe)
        if name.hasPrefix("signed/") {
            #expect(facts.signer?.subject.contains("Fixture Software Ltd") == true)
            #expect(facts.digestMatches == true)
        } else {
            #expect(facts.signer == nil)
        }
    }

    @Test func factsCarryImportsIncludingDelayLoad() throws {
        guard let (analysis, _) = try analyze("signed/app.exe") else { return }
        let facts = try #require(analysis.facts?.pe)
        #expect(!facts.isDLL)
        #expect(facts.imports.contains("ffmpeg.dll"))
        #expect(facts.imports.contains("d3dcompiler_47.dll"))
        #expect(facts.imports.contains("kernel32.dll"))
        #expect(facts.imports == facts.imports.map { $0.lowercased() })
    }
}
