import Testing
import VigilFormats
import _VigilTestSupport

/// Hostile and broken PE files: the parser returns a partial result plus the reasons, never traps,
/// loops or allocates without bound.
@Suite("PE parser on malformed input")
struct PEMalformedTests {
    @Test("the synthetic image parses cleanly")
    func baseline() throws {
        let pe = try #require(PEParser.parse(SyntheticPE().bytes))
        #expect(pe.issues.isEmpty, "\(pe.issues)")
        #expect(pe.sections.map(\.name) == [".data"])
        #expect(pe.coff.isDLL)
        #expect(pe.optionalHeader?.isPE32Plus == true)
    }

    @Test("not PE: no MZ, e_lfanew out of range, wrong signature")
    func notPE() {
        #expect(PEParser.parse([]) == nil)
        #expect(PEParser.parse([0x4D, 0x5A]) == nil)
        var s = SyntheticPE()
        s.put32(0x3C, 0xFFFF_FFF0)
        #expect(PEParser.parse(s.bytes) == nil)
        s = SyntheticPE()
        s.put32(0x40, 0x0000_454E)  // "NE"
        #expect(PEParser.parse(s.bytes) == nil)
    }

    @Test(
        "truncated headers give a partial result with the reason",
        arguments: [
            (0x50, "truncated COFF header"), (0x80, "optional header is truncated"),
            (0x160, "section header 0 is truncated"), (0x300, "extends past end of file"),
        ])
    func truncated(length: Int, reason: String) throws {
        let pe = try #require(PEParser.parse(Array(SyntheticPE().bytes.prefix(length))))
        #expect(pe.issues.contains { $0.message.contains(reason) }, "\(pe.issues)")
    }

    @Test("every prefix of a file with imports, exports, resources and a certificate table parses")
    func everyPrefix() {
        var s = richImage()
        s.bytes += [UInt8](repeating: 0, count: 16)
        var parsed = 0
        var withSignature = 0
        for length in stride(from: 0, through: s.bytes.count, by: 3) {
            if length >= 0x44 { withSignature += 1 }  // MZ, e_lfanew and "PE\0\0" present
            guard let pe = PEParser.parse(Array(s.bytes.prefix(length))) else { continue }
            parsed += 1
            _ = Authenticode.analyze(Array(s.bytes.prefix(length)), pe: pe)
        }
        #expect(parsed == withSignature)  // every prefix with a PE signature yields a (partial) result
    }

    @Test("NumberOfSections 65535 is capped at 96 with a reason")
    func hugeSectionCount() throws {
        var s = SyntheticPE()
        s.put16(0x46, 0xFFFF)
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.sections.count <= PELimits.maxSections)
        #expect(pe.issues.contains { $0.message.contains("NumberOfSections is 65535") })
    }

    @Test("import directory outside the file")
    func importsOutOfRange() throws {
        var s = SyntheticPE()
        s.directory(1, rva: 0x7FFF_0000, size: 40)
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.imports.isEmpty)
        #expect(pe.issues.contains { $0.area == "imports" && $0.message.contains("not in the file") })
    }

    @Test("a thunk table without terminator stops at end of file with a reason")
    func unterminatedThunks() throws {
        var s = SyntheticPE(sectionSize: 0x200)
        s.directory(1, rva: 0x1000, size: 40)
        s.put32(SyntheticPE.file(0x1000), 0x1100)  // OriginalFirstThunk
        s.put32(SyntheticPE.file(0x1000) + 12, 0x1080)  // Name
        s.put32(SyntheticPE.file(0x1000) + 16, 0x1100)
        s.putString(SyntheticPE.file(0x1080), "evil.dll")
        s.putString(SyntheticPE.file(0x10A0) + 2, "F")
        for o in stride(from: SyntheticPE.file(0x1100), to: s.bytes.count, by: 8) { s.put64(o, 0x10A0) }
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.imports.first?.dll == "evil.dll")
        #expect(pe.imports.first?.functions.count == (s.bytes.count - SyntheticPE.file(0x1100)) / 8)
        #expect(pe.issues.contains { $0.message.contains("thunk table runs past end of file") })
    }

    @Test("more than 16384 imported functions are capped with a reason")
    func tooManyImports() throws {
        var s = SyntheticPE(sectionSize: 0x30000)
        s.directory(1, rva: 0x1000, size: 40)
        s.put32(SyntheticPE.file(0x1000), 0x1100)
        s.put32(SyntheticPE.file(0x1000) + 12, 0x1080)
        s.putString(SyntheticPE.file(0x1080), "many.dll")
        s.putString(SyntheticPE.file(0x10A0) + 2, "F")
        for i in 0..<20_000 { s.put64(SyntheticPE.file(0x1100) + 8 * i, 0x10A0) }
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.imports.first?.functions.count == PELimits.maxImportedFunctions)
        #expect(pe.issues.contains { $0.message.contains("more than 16384 imported functions") })
    }

    @Test("export counts of 0xFFFFFFFF are capped and bounded by the file")
    func hugeExportCounts() throws {
        var s = SyntheticPE(sectionSize: 0x400)
        s.directory(0, rva: 0x1000, size: 40)
        let e = SyntheticPE.file(0x1000)
        s.put32(e + 20, 0xFFFF_FFFF)
        s.put32(e + 24, 0xFFFF_FFFF)
        s.put32(e + 28, 0x1100)
        s.put32(e + 32, 0x1200)
        s.put32(e + 36, 0x1300)
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.exports != nil)
        #expect((pe.exports?.symbols.count ?? 0) < 1024)
        #expect(pe.issues.contains { $0.area == "exports" && $0.message.contains("reading at most 65536") })
        #expect(pe.issues.contains { $0.message.contains("runs past end of file") })
    }

    @Test("a resource directory that points at itself terminates")
    func resourceLoop() throws {
        var s = SyntheticPE(sectionSize: 0x200)
        s.directory(2, rva: 0x1000, size: 0x100)
        let r = SyntheticPE.file(0x1000)
        s.put16(r + 14, 1)  // one id entry
        s.put32(r + 16, 16)  // RT_VERSION
        s.put32(r + 20, 0x8000_0000)  // subdirectory at offset 0: itself
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.versionInfo == nil)
    }

    @Test("a resource tree with 65535 entries per level is bounded")
    func resourceFanOut() throws {
        var s = SyntheticPE(sectionSize: 0x200)
        s.directory(2, rva: 0x1000, size: 0x100)
        let r = SyntheticPE.file(0x1000)
        s.put16(r + 12, 0xFFFF)
        s.put16(r + 14, 0xFFFF)
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.versionInfo == nil)
        #expect(pe.issues.contains { $0.area == "resources" })
    }

    @Test("certificate table: zero dwLength, huge dwLength, offset past end of file")
    func certificateTable() throws {
        var s = SyntheticPE(sectionSize: 0x200)
        let end = s.bytes.count
        s.bytes += [UInt8](repeating: 0, count: 16)
        s.directory(4, rva: UInt32(end), size: 16)
        var pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.certificateTable?.entries.isEmpty == true)
        #expect(pe.issues.contains { $0.message.contains("dwLength 0x0 out of range") })
        s.put32(end, 0xFFFF_FFF0)
        pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.issues.contains { $0.message.contains("dwLength 0xfffffff0 out of range") })
        s.directory(4, rva: 0x7FFF_FFF8, size: 0xFFFF_FFFF)
        pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.issues.contains { $0.message.contains("past end of file") })
        #expect(Authenticode.analyze(s.bytes, pe: pe) == nil)
    }

    @Test("a WIN_CERTIFICATE that is not DER is reported, not trusted")
    func certificateNotDER() throws {
        var s = SyntheticPE(sectionSize: 0x200)
        let end = s.bytes.count
        s.bytes += [UInt8](repeating: 0xAB, count: 64)
        s.put32(end, 64)
        s.put16(end + 4, 0x200)
        s.put16(end + 6, 2)
        s.directory(4, rva: UInt32(end), size: 64)
        let pe = try #require(PEParser.parse(s.bytes))
        #expect(pe.certificateTable?.entries.first?.derLength == nil)
        #expect(pe.issues.contains { $0.message.contains("does not start with a DER element") })
        let report = Authenticode.analyze(s.bytes, pe: pe)
        #expect(report?.signatures.isEmpty == true)
        #expect(report?.summary == "not signed")
    }

    @Test("checksum on a 3-byte input: 0x0201 + 0x03 + length 3")
    func checksumOddLength() {
        #expect(PEChecksumCalculator.compute([0x01, 0x02, 0x03], checksumOffset: nil) == 0x0207)
        #expect(PEChecksumCalculator.compute([0xFF, 0xFF, 0x01, 0x00], checksumOffset: nil) == 0x0001 + 4)
    }

    /// The checksum as `CheckSumMappedFile` defines it: one 16-bit word at a time, carry folded after
    /// each, skipping words whose offset lies in the 4 checksum bytes.
    static func referenceChecksum(_ bytes: [UInt8], checksumOffset: Int?) -> UInt32 {
        var sum: UInt64 = 0
        let skip = checksumOffset ?? -8
        var i = 0
        while i + 1 < bytes.count {
            if !(i >= skip && i < skip + 4) {
                sum += UInt64(bytes[i]) | UInt64(bytes[i + 1]) << 8
                sum = (sum & 0xFFFF) + (sum >> 16)
            }
            i += 2
        }
        let n = bytes.count
        if n % 2 == 1, !(n - 1 >= skip && n - 1 < skip + 4) {
            sum += UInt64(bytes[n - 1])
            sum = (sum & 0xFFFF) + (sum >> 16)
        }
        sum = (sum & 0xFFFF) + (sum >> 16)
        return UInt32(truncatingIfNeeded: (sum & 0xFFFF) + UInt64(n))
    }

    @Test("8-bytes-at-a-time checksum equals the word-by-word definition for any length and checksum offset")
    func checksumMatchesWordByWordDefinition() {
        var rng = SeededRandom(seed: 0x3C3C)
        for length in [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 4096, 4099] {
            // Random bytes, all-0xFF bytes (sums that hit the one's-complement 0xFFFF case) and zeros.
            let inputs: [[UInt8]] = [
                (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                [UInt8](repeating: 0xFF, count: length),
                [UInt8](repeating: 0, count: length),
            ]
            let offsets: [Int?] = [nil, -3, 0, 1, 2, 5, 6, length - 5, length - 4, length - 3, length - 1, length, length + 7]
            for bytes in inputs {
                for offset in offsets {
                    #expect(
                        PEChecksumCalculator.compute(bytes, checksumOffset: offset) == Self.referenceChecksum(bytes, checksumOffset: offset),
                        "length \(length), checksum offset \(String(describing: offset))")
                }
            }
        }
    }

    @Test("DER length reader rejects indefinite, oversized and truncated headers")
    func derLength() {
        #expect(DERLength.ofFirstElement([0x30, 0x03, 1, 2, 3], at: 0, limit: 5) == 5)
        #expect(DERLength.ofFirstElement([0x30, 0x82, 0x01, 0x00], at: 0, limit: 4) == nil)
        #expect(DERLength.ofFirstElement([0x30, 0x80, 0, 0], at: 0, limit: 4) == nil)
        #expect(DERLength.ofFirstElement([0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1], at: 0, limit: 11) == nil)
        #expect(DERLength.ofFirstElement([0x30], at: 0, limit: 1) == nil)
    }

    /// An image with one import, an export directory, a resource root and a certificate table.
    func richImage() -> SyntheticPE {
        var s = SyntheticPE(sectionSize: 0x400)
        s.directory(1, rva: 0x1000, size: 40)
        s.put32(SyntheticPE.file(0x1000), 0x1100)
        s.put32(SyntheticPE.file(0x1000) + 12, 0x1080)
        s.putString(SyntheticPE.file(0x1080), "a.dll")
        s.putString(SyntheticPE.file(0x10A0) + 2, "F")
        s.put64(SyntheticPE.file(0x1100), 0x10A0)
        s.directory(0, rva: 0x1200, size: 40)
        s.put32(SyntheticPE.file(0x1200) + 20, 1)
        s.put32(SyntheticPE.file(0x1200) + 28, 0x1280)
        s.put32(SyntheticPE.file(0x1280), 0x1000)
        s.directory(2, rva: 0x1300, size: 0x40)
        let end = s.bytes.count
        s.bytes += [UInt8](repeating: 0, count: 8) + [0x30, 0x02, 0x05, 0x00] + [UInt8](repeating: 0, count: 4)
        s.put32(end, 16)
        s.directory(4, rva: UInt32(end), size: 16)
        return s
    }

    @Test("the rich synthetic image parses completely")
    func rich() throws {
        let pe = try #require(PEParser.parse(richImage().bytes))
        #expect(pe.imports.map(\.dll) == ["a.dll"])
        #expect(pe.exports?.symbols.map(\.rva) == [0x1000])
        #expect(pe.certificateTable?.entries.first?.derLength == 4)
        #expect(pe.certificateTable?.entries.first?.slack?.size == 4)
    }
}
