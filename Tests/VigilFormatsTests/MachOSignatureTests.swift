import Testing
import VigilFormats

/// Code signatures: classes, CodeDirectory fields, and page-hash verification after tampering.
@Suite struct MachOSignatureTests {
    @Test func linkerSignedCodeDirectory() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-adhoc.dylib"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        #expect(slice.signatureClass == .linkerSigned)
        let sig = try #require(slice.codeSignature)
        let cd = try #require(sig.primary)
        // ld64.lld writes ADHOC|LINKER_SIGNED, sha256, the output name as identifier.
        #expect(cd.flagNames == ["ADHOC", "LINKER_SIGNED"])
        #expect(cd.hashType == .sha256)
        #expect(cd.identifier == "libffmpeg-arm64-adhoc.dylib")
        #expect(cd.teamIdentifier == nil)
        #expect(cd.pageSize == 4096)
        #expect(sig.cmsSize == nil)
        let range = try #require(slice.codeSignatureRange)
        #expect(cd.codeLimit == UInt64(range.dataOffset))
        let verification = try #require(cd.verification)
        #expect(verification.pagesChecked == (Int(range.dataOffset) + 4095) / 4096)
        #expect(verification.isValid)
    }

    @Test func certificateSignedFixture() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "app-arm64-signed"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        #expect(slice.signatureClass == .certificateSigned)
        let sig = try #require(slice.codeSignature)
        let cd = try #require(sig.primary)
        #expect(cd.identifier == "com.fixture.app")
        #expect(cd.teamIdentifier == "FIXTEAM001")
        #expect(cd.version == 0x20400)
        #expect(cd.hasHardenedRuntime && !cd.isAdhoc)
        #expect(cd.execSegmentFlags == 1)
        #expect(sig.blobs.map(\.slot) == [0, 2, 5, 0x10000])
        #expect(sig.hasRequirements && sig.hasEntitlements)
        #expect(sig.entitlementKeys == [
            "com.apple.security.cs.allow-unsigned-executable-memory", "com.apple.security.cs.disable-library-validation",
        ])
        let cmsOffset = try #require(sig.cmsOffset)
        #expect((sig.cmsSize ?? 0) > 1000)
        #expect(Array(bytes[cmsOffset..<(cmsOffset + 2)]) == [0x30, 0x82])  // DER SEQUENCE, long length
        let v = try #require(cd.verification)
        #expect(v.isValid)
        #expect(v.goodSpecialSlots == [2, 5])
    }

    @Test func cmsSignerOfTheFixture() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-signed.dylib"))
        let sig = try #require(MachOFile.parse(bytes).slices.first?.codeSignature)
        let signer = try #require(sig.cmsSigner)
        #expect(signer.subject.contains("CN=Developer ID Application: Fixture FIXTEAM001 (FIXTEAM001)"))
        #expect(signer.subject.contains("OU=FIXTEAM001"))
        #expect(signer.issuer?.contains("CN=Vigil Fixture Root CA") == true)
        #expect(signer.digestMatchesCodeDirectory == true)
        #expect(signer.signatureValid == true)
        #expect(signer.certificateCount == 2)
        #expect(signer.signingTime?.hasSuffix("Z") == true)
        // Re-point the CodeDirectory's identifier: the pages still verify but the CMS no longer covers it.
        var changed = bytes
        let cd = try #require(sig.primary)
        let at = try #require((cd.offset..<(cd.offset + Int(cd.length))).first { changed[$0...].starts(with: Array("com.fixture".utf8)) })
        changed[at] = UInt8(ascii: "x")
        let tampered = try #require(MachOFile.parse(changed).slices.first?.codeSignature)
        #expect(tampered.primary?.verification?.isValid == true)
        #expect(tampered.cmsSigner?.digestMatchesCodeDirectory == false)
        #expect(tampered.signatureClass == .certificateSigned)
    }

    @Test func teamMismatchFixture() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-x86_64-otherteam.dylib"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        #expect(slice.codeSignature?.primary?.teamIdentifier == "OTHERTEAM2")
        #expect(slice.signatureClass == .certificateSigned)
    }

    @Test func flippedByteInSignedPageIsReported() throws {
        var bytes = try #require(FixtureFiles.bytes("macho", "app-arm64-adhoc"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        let text = try #require(slice.segments.flatMap(\.sections).first { $0.name == "__text" })
        bytes[Int(text.fileOffset)] ^= 0x01
        let pageOfData = 32768 / 4096 + 1  // a byte inside page 9 (the __DATA segment starts at 32768)
        bytes[pageOfData * 4096 + 100] ^= 0x80
        let tampered = try #require(MachOFile.parse(bytes).slices.first)
        let v = try #require(tampered.codeSignature?.primary?.verification)
        #expect(v.badPages == [Int(text.fileOffset) / 4096, pageOfData])
        #expect(v.badPageCount == 2)
        #expect(!v.isValid)
        #expect(tampered.codeSignature?.pageHashesValid == false)
        // The CodeDirectory is outside the signed range: changing its identifier leaves the pages
        // valid but changes the cdhash (which the CMS signature, when present, covers).
        var outside = try #require(FixtureFiles.bytes("macho", "app-arm64-adhoc"))
        let original = try #require(slice.codeSignature?.primary)
        let identifierAt = try #require(outside.indices.last { outside[$0...].starts(with: Array("app-arm64-adhoc".utf8)) })
        outside[identifierAt] = UInt8(ascii: "b")
        let changed = try #require(MachOFile.parse(outside).slices.first?.codeSignature?.primary)
        #expect(changed.identifier == "bpp-arm64-adhoc")
        #expect(changed.verification?.isValid == true)
        #expect(changed.cdhash != original.cdhash)
    }

    @Test func tamperedEntitlementsBreakSpecialSlot() throws {
        var bytes = try #require(FixtureFiles.bytes("macho", "app-x86_64-signed"))
        let sig = try #require(MachOFile.parse(bytes).slices.first?.codeSignature)
        let blob = try #require(sig.blobs.first { $0.slot == 5 })
        bytes[blob.offset + 60] ^= 0x20
        let v = try #require(MachOFile.parse(bytes).slices.first?.codeSignature?.primary?.verification)
        #expect(v.badSpecialSlots == [5])
        #expect(v.goodSpecialSlots == [2])
        #expect(v.badPageCount == 0)
    }

    @Test func fatSignedSlicesHaveIndependentSignatures() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-fat-signed.dylib"))
        var file = MachOFile.parse(bytes)
        #expect(file.slices.map(\.signatureClass) == [.certificateSigned, .certificateSigned])
        // Tamper with the second slice only.
        let arm = try #require(file.slices.last)
        var tampered = bytes
        tampered[arm.offset + 1000] ^= 1
        file = MachOFile.parse(tampered)
        #expect(file.slices.map { $0.codeSignature?.pageHashesValid } == [true, false])
        #expect(file.slices.last?.codeSignature?.primary?.verification?.badPages == [0])
    }
}
