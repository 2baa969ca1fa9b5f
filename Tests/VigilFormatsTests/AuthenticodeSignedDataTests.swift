import Foundation
import Testing
import VigilFormats

/// The reusable CMS SignedData type on a real osslsigncode PKCS#7 blob and on broken input.
@Suite("CMS SignedData")
struct AuthenticodeSignedDataTests {
    func blob() throws -> [UInt8] {
        let bytes = try PEFixtures.bytes("signed/d3dcompiler_47.dll")
        let pe = try #require(PEParser.parse(bytes))
        let entry = try #require(pe.certificateTable?.entries.first)
        let der = try #require(entry.derLength)
        return Array(bytes[entry.contentOffset..<(entry.contentOffset + der)])
    }

    @Test("parses version, content type, certificates and the signer; the signature verifies")
    func parses() throws {
        let signed = try SignedData(contentInfoDER: try blob())
        #expect(signed.version == 1)
        #expect(signed.contentType == OID.spcIndirectData)
        #expect(signed.digestAlgorithms == ["2.16.840.1.101.3.4.2.1"])
        #expect(signed.certificates.count == 2)
        let signer = try #require(signed.signers.first)
        #expect(signed.certificate(for: signer)?.subject.description.hasPrefix("CN=Fixture Software Ltd Code Signing") == true)
        #expect(signed.messageDigestMatches(signer) == true)
        #expect(signed.signatureIsValid(signer) == true)
        #expect(signer.signingTime == "2023-03-13T06:46:40Z")
        // Detached use (as for a Mach-O CodeDirectory): other content does not match.
        #expect(signed.messageDigestMatches(signer, content: [1, 2, 3]) == false)
    }

    @Test("zero padding after the DER element (WIN_CERTIFICATE slack, Mach-O blob wrapper) is ignored")
    func trailingPadding() throws {
        let padded = try blob() + [0, 0, 0, 0, 0, 0, 0]
        let signed = try SignedData(contentInfoDER: padded)
        #expect(signed.signers.count == 1)
        #expect(signed.signatureIsValid(try #require(signed.signers.first)) == true)
    }

    @Test("a flipped signature byte fails verification")
    func flippedSignature() throws {
        let signed = try SignedData(contentInfoDER: try blob())
        var signer = try #require(signed.signers.first)
        signer.signature[signer.signature.startIndex + 10] ^= 0x01
        #expect(signed.signatureIsValid(signer) == false)
    }

    @Test("garbage, truncation and deep nesting throw instead of trapping")
    func malformed() throws {
        let good = try blob()
        #expect(throws: (any Error).self) { try SignedData(contentInfoDER: [0x30, 0x03, 0x02, 0x01]) }
        #expect(throws: (any Error).self) { try SignedData(contentInfoDER: good.prefix(good.count / 2)) }
        var deep: [UInt8] = [0x05, 0x00]
        for _ in 0..<200 { deep = [0x30, UInt8(deep.count)] + deep; if deep.count > 120 { break } }
        #expect(throws: (any Error).self) { try SignedData(contentInfoDER: deep) }
        #expect(throws: (any Error).self) { try SignedData(contentInfoDER: [UInt8](repeating: 0x30, count: 4096)) }
    }
}
