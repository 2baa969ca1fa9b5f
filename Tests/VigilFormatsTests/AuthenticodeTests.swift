import Foundation
import Testing
import VigilFormats

/// Authenticode on the osslsigncode-signed fixtures: digests checked against osslsigncode's own
/// "Current/Calculated message digest", slack measured against the mutator's independent record.
@Suite("Authenticode on fixtures")
struct AuthenticodeTests {
    func inspect(_ name: String) throws -> (PEFile, AuthenticodeReport?) {
        let bytes = try PEFixtures.bytes(name)
        let pe = try #require(PEParser.parse(bytes))
        return (pe, Authenticode.analyze(bytes, pe: pe))
    }

    func int(_ sidecar: [String: Any], _ key: String) throws -> Int {
        try #require(sidecar[key] as? Int, "sidecar has no \(key)")
    }

    @Test(
        "signed digest and computed digest equal osslsigncode's",
        arguments: [
            "signed/app.exe", "signed/ffmpeg.dll", "signed/d3dcompiler_47.dll", "signed/d3dcompiler_47-timestamped.dll",
            "signed/d3dcompiler_47-unauth-blob.dll", "variants/d3dcompiler_47-pad-both.dll",
            "variants/d3dcompiler_47-pad-both-fixsum.dll", "variants/d3dcompiler_47-tampered-text.dll",
        ])
    func digestsMatchOsslsigncode(_ name: String) throws {
        let (_, report) = try inspect(name)
        let golden = try #require(try PEGolden.load(name).osslsigncode)
        let signature = try #require(report?.signatures.first)
        #expect(signature.signedDigest == golden.currentDigests.first)
        #expect(signature.computedDigest == golden.calculatedDigests.first)
        #expect(signature.digestMatches == golden.succeeded)
    }

    @Test("a normal osslsigncode signature: 0-7 zero bytes of slack, signer and issuer named, signature valid")
    func baseline() throws {
        let (pe, report) = try inspect("signed/d3dcompiler_47.dll")
        let table = try #require(pe.certificateTable)
        #expect(table.atEndOfFile)
        #expect(table.sumOfAlignedLengths == table.size)
        let entry = try #require(table.entries.first)
        #expect(entry.revision == 0x200 && entry.certificateType == 2)
        let der = try #require(entry.derLength)
        let slack = try #require(entry.slack)
        #expect(slack.size == Int(entry.length) - 8 - der)
        #expect(slack.size <= 7 && slack.allZero)
        #expect(!entry.slackIsAnomalous)
        #expect(table.markerOffsets.isEmpty)
        let s = try #require(report?.signatures.first)
        #expect(s.digestAlgorithm == "sha256" && s.digestMatches)
        #expect(s.signatureValid == true)
        #expect(s.signer?.subject == "CN=Fixture Software Ltd Code Signing,O=Fixture Software Ltd,C=GB")
        #expect(s.signer?.issuer == "CN=Vigil Fixture Root CA,O=Vigil Fixture PKI,C=GB")
        #expect(s.signerIssuer == s.signer?.issuer)
        #expect(s.signerSerialNumber == s.signer?.serialNumber)
        #expect(s.signingTime == "2023-03-13T06:46:40Z")  // osslsigncode -time 1678690000
        #expect(s.programName == "Fixture Desktop App")
        #expect(s.certificates.count == 2)
        #expect(s.signer?.sha1Thumbprint.count == 40)
        #expect(report?.summary == "signed by CN=Fixture Software Ltd Code Signing,O=Fixture Software Ltd,C=GB, digest matches")
    }

    @Test("3CX-style padded table: slack size, offset and entropy measured exactly, digest still matches")
    func paddedTable() throws {
        let name = "variants/d3dcompiler_47-pad-both.dll"
        let (pe, report) = try inspect(name)
        let sidecar = try PEFixtures.sidecar(name)
        let table = try #require(pe.certificateTable)
        let entry = try #require(table.entries.first)
        let slack = try #require(entry.slack)
        #expect(slack.offset == (try int(sidecar, "slack_offset")))
        #expect(slack.size == (try int(sidecar, "slack_size")))
        let entropy = try #require(sidecar["slack_entropy"] as? Double)
        #expect(abs(slack.entropy - entropy) < 1e-9)
        #expect(!slack.allZero)
        #expect(entry.slackIsAnomalous)
        #expect(Int(entry.length) == (try int(sidecar, "new_dw_length")))
        #expect(entry.alignmentPadding?.size == (try int(sidecar, "alignment_padding")))
        #expect(entry.alignmentPadding?.allZero == true)
        #expect(table.size == (try int(sidecar, "new_table_size")))
        #expect(table.markerOffsets == [try int(sidecar, "marker_offset")])
        #expect(table.atEndOfFile && table.sumOfAlignedLengths == table.size)
        #expect(report?.signatures.first?.digestMatches == true)
        #expect(report?.signatures.first?.signatureValid == true)
        #expect(!pe.checksum.matches)  // padding without fixing the checksum
        let fixed = try inspect("variants/d3dcompiler_47-pad-both-fixsum.dll")
        #expect(fixed.0.checksum.matches)
        #expect(fixed.0.certificateTable?.entries.first?.slackIsAnomalous == true)
    }

    @Test("directory size grown alone: the marker is read as the next dwLength and reported")
    func directoryOnly() throws {
        let name = "variants/d3dcompiler_47-pad-dironly.dll"
        let (pe, report) = try inspect(name)
        let table = try #require(pe.certificateTable)
        #expect(table.entries.count == 1)
        #expect(table.sumOfAlignedLengths != table.size)
        #expect(table.markerOffsets == [try int(try PEFixtures.sidecar(name), "marker_offset")])
        #expect(pe.issues.contains { $0.message.contains("dwLength 0xcefaedfe out of range") })
        #expect(pe.issues.contains { $0.message.contains("differs from the sum of aligned dwLengths") })
        #expect(report?.signatures.first?.digestMatches == true)
    }

    @Test("bytes after the table: measured, reported, and the digest no longer matches")
    func overlayAfter() throws {
        let name = "variants/d3dcompiler_47-overlay-after.dll"
        let (pe, report) = try inspect(name)
        let sidecar = try PEFixtures.sidecar(name)
        let table = try #require(pe.certificateTable)
        #expect(!table.atEndOfFile)
        #expect(table.bytesAfter == (try int(sidecar, "after_size")))
        let after = try #require(pe.overlay?.afterCertificateTable)
        #expect(after.offset == (try int(sidecar, "after_offset")))
        #expect(abs(after.entropy - (try #require(sidecar["after_entropy"] as? Double))) < 1e-9)
        #expect(pe.issues.contains { $0.message.contains("not at end of file (148 bytes follow it)") })
        #expect(report?.signatures.first?.digestMatches == false)
    }

    @Test("a modified code byte makes the digest mismatch, the signer's signature stays valid")
    func tampered() throws {
        let (_, report) = try inspect("variants/d3dcompiler_47-tampered-text.dll")
        let s = try #require(report?.signatures.first)
        #expect(!s.digestMatches)
        #expect(s.signatureValid == true)
        #expect(report?.summary.contains("DOES NOT match") == true)
    }

    @Test("RFC 3161 timestamp from the local TSA: time, TSA subject, imprint over the signature")
    func timestamp() throws {
        let (pe, report) = try inspect("signed/d3dcompiler_47-timestamped.dll")
        let s = try #require(report?.signatures.first)
        let t = try #require(s.timestamps.first)
        #expect(t.kind == "rfc3161")
        #expect(t.signer?.subject == "CN=Vigil Fixture TSA,O=Vigil Fixture PKI,C=GB")
        #expect(t.imprintMatches == true)
        #expect(t.signatureValid == true)
        #expect(t.time?.count == 20)
        #expect(pe.certificateTable?.entries.first?.slackIsAnomalous == false)
    }

    @Test("nested sha1 signature inside the sha256 one")
    func nested() throws {
        let (pe, report) = try inspect("signed/d3dcompiler_47-nested.dll")
        let signatures = try #require(report?.signatures)
        #expect(signatures.map(\.nestingLevel) == [0, 1])
        #expect(signatures.map(\.digestAlgorithm) == ["sha256", "sha1"])
        #expect(signatures.allSatisfy { $0.digestMatches && $0.signatureValid == true })
        #expect(pe.certificateTable?.entries.count == 1)
        #expect(report?.computedDigests.keys.sorted() == ["sha1", "sha256"])
    }

    @Test("legitimate unauthenticated blob keeps the data inside the DER: no slack anomaly")
    func unauthenticatedBlob() throws {
        let (pe, report) = try inspect("signed/d3dcompiler_47-unauth-blob.dll")
        #expect(pe.certificateTable?.entries.first?.slackIsAnomalous == false)
        #expect(report?.signatures.first?.digestMatches == true)
    }

    @Test("chain validation against the fixture root succeeds, against another root fails")
    func trust() async throws {
        let name = "signed/d3dcompiler_47.dll"
        let bytes = try PEFixtures.bytes(name)
        let ca = PEFixtures.directory.appendingPathComponent("pki/ca.pem").path
        let other = PEFixtures.directory.appendingPathComponent("pki/tsa.pem").path
        var trusted = Inspection.inspect(bytes, path: name)
        await Inspection.validateTrust(&trusted, bytes: bytes, roots: try TrustStore.load(pemFile: ca))
        let t = try #require(trusted.authenticode?.signatures.first?.trust)
        #expect(t.trusted)
        #expect(t.chain.first == "CN=Fixture Software Ltd Code Signing,O=Fixture Software Ltd,C=GB")
        #expect(t.validationTime != "2023-03-13T06:46:40Z")  // the signer's claimed time is not used
        // A timestamped signature is validated at the TSA's time.
        let stamped = "signed/d3dcompiler_47-timestamped.dll"
        let stampedBytes = try PEFixtures.bytes(stamped)
        var withTimestamp = Inspection.inspect(stampedBytes, path: stamped)
        await Inspection.validateTrust(&withTimestamp, bytes: stampedBytes, roots: try TrustStore.load(pemFile: ca))
        let st = try #require(withTimestamp.authenticode?.signatures.first)
        #expect(st.trust?.trusted == true)
        #expect(st.trust?.validationTime == st.timestamps.first?.time)
        var untrusted = Inspection.inspect(bytes, path: name)
        await Inspection.validateTrust(&untrusted, bytes: bytes, roots: try TrustStore.load(pemFile: other))
        #expect(untrusted.authenticode?.signatures.first?.trust?.trusted == false)
    }
}
