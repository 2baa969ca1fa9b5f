import Testing
import VigilFormats

/// Hostile and damaged Mach-O input yields partial results plus reasons with offsets, never a trap.
@Suite struct MachOMalformedTests {
    /// A minimal 64-bit little-endian header followed by `commands`.
    static func thin(ncmds: UInt32, sizeofcmds: UInt32? = nil, commands: [UInt8]) -> [UInt8] {
        var b = le32(0xFEED_FACF) + le32(0x0100_000C) + le32(0) + le32(6) + le32(ncmds)
        b += le32(sizeofcmds ?? UInt32(commands.count)) + le32(0) + le32(0)
        return b + commands
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func be32(_ v: UInt32) -> [UInt8] { le32(v).reversed() }

    @Test func cmdsizeZeroStopsInsteadOfLooping() {
        let file = MachOFile.parse(Self.thin(ncmds: 1000, commands: Self.le32(0x19) + Self.le32(0) + [UInt8](repeating: 0, count: 64)))
        let slice = file.slices[0]
        #expect(slice.loadCommands.isEmpty)
        #expect(slice.problems.contains { $0.message.contains("cmdsize 0") && $0.offset == 32 })
    }

    @Test func hugeCommandCountIsCapped() {
        // 5000 well-formed 8-byte LC_UUID-less commands (LC_SOURCE_VERSION needs 16; use an unknown 0x99 of 8 bytes).
        var cmds: [UInt8] = []
        for _ in 0..<5000 { cmds += Self.le32(0x99) + Self.le32(8) }
        let slice = MachOFile.parse(Self.thin(ncmds: 5000, commands: cmds)).slices[0]
        #expect(slice.loadCommands.count == MachOConstants.maxLoadCommands)
        #expect(slice.problems.contains { $0.message.contains("exceeds the cap") && $0.offset == 16 })
    }

    @Test func commandRunningPastSizeofcmdsIsReported() {
        let cmd = Self.le32(0xC) + Self.le32(64) + Self.le32(24) + [UInt8](repeating: 0, count: 12)
        let slice = MachOFile.parse(Self.thin(ncmds: 1, sizeofcmds: 24, commands: cmd)).slices[0]
        #expect(slice.dylibs.isEmpty)
        #expect(slice.problems.contains { $0.message.contains("runs past sizeofcmds") && $0.offset == 32 })
    }

    @Test func dylibNameOffsetOutsideCommandIsReported() {
        let cmd = Self.le32(0xC) + Self.le32(24) + Self.le32(200) + [UInt8](repeating: 0, count: 12)
        let slice = MachOFile.parse(Self.thin(ncmds: 1, commands: cmd)).slices[0]
        #expect(slice.loadCommands.map(\.name) == ["LC_LOAD_DYLIB"])
        #expect(slice.dylibs.isEmpty)
        #expect(slice.problems.contains { $0.message.contains("LC_LOAD_DYLIB unreadable") })
    }

    @Test func everyTruncationOfARealFileYieldsProblems() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-fat-signed.dylib"))
        let full = MachOFile.parse(bytes)
        #expect(full.allProblems.isEmpty)
        var checked = 0
        for length in stride(from: 0, to: bytes.count, by: 151) {
            let file = MachOFile.parse(Array(bytes[0..<length]))
            #expect(!file.allProblems.isEmpty, "prefix of \(length) bytes")
            checked += 1
        }
        #expect(checked > 200)
    }

    @Test func signatureRangeOutsideTheSliceIsMalformed() throws {
        var bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-adhoc.dylib"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        let cmd = try #require(slice.loadCommands.first { $0.name == "LC_CODE_SIGNATURE" })
        bytes.replaceSubrange((cmd.offset + 8)..<(cmd.offset + 12), with: Self.le32(0xFFFF_FF00))
        let damaged = try #require(MachOFile.parse(bytes).slices.first)
        #expect(damaged.signatureClass == .malformed)
        #expect(damaged.problems.contains { $0.message.contains("LC_CODE_SIGNATURE range") })
    }

    @Test func hugeSuperBlobCountAndBadCodeLimitAreBounded() throws {
        var bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-adhoc.dylib"))
        let sig = try #require(MachOFile.parse(bytes).slices.first?.codeSignature)
        bytes.replaceSubrange((sig.offset + 8)..<(sig.offset + 12), with: Self.be32(0xFFFF_FFFF))
        let cd = try #require(sig.primary)
        bytes.replaceSubrange((cd.offset + 32)..<(cd.offset + 36), with: Self.be32(0xFFFF_FFF0))  // codeLimit
        let damaged = try #require(MachOFile.parse(bytes).slices.first)
        #expect(damaged.problems.contains { $0.message.contains("SuperBlob count 4294967295 exceeds the cap") })
        let v = try #require(damaged.codeSignature?.primary?.verification)
        #expect(v.incompleteReason?.contains("codeLimit") == true)
        #expect(!v.isValid)
    }

    @Test func fatHeaderCountCappedAndSlicesChecked() {
        // Three entries: one valid slice, one overlapping it, one far outside the file.
        let thinSlice = Self.thin(ncmds: 0, commands: [])
        var fat = Self.be32(0xCAFE_BABE) + Self.be32(3)
        fat += Self.be32(0x0100_000C) + Self.be32(0) + Self.be32(4096) + Self.be32(UInt32(thinSlice.count)) + Self.be32(12)
        fat += Self.be32(0x0100_0007) + Self.be32(3) + Self.be32(4096) + Self.be32(UInt32(thinSlice.count)) + Self.be32(12)
        fat += Self.be32(7) + Self.be32(3) + Self.be32(0xFFFF_FF00) + Self.be32(100) + Self.be32(12)
        fat += [UInt8](repeating: 0, count: 4096 - fat.count) + thinSlice
        let file = MachOFile.parse(fat)
        #expect(file.fat?.architectures.count == 3)
        #expect(file.slices.count == 1)
        #expect(file.problems.contains { $0.message.contains("overlaps slice 0") && $0.offset == 28 })
        #expect(file.problems.contains { $0.message.contains("lies outside the file") && $0.offset == 48 })

        var huge = Self.be32(0xCAFE_BABF) + Self.be32(0x7FFF_FFFF)
        huge += [UInt8](repeating: 0, count: 64)
        let capped = MachOFile.parse(huge)
        #expect(capped.problems.contains { $0.message.contains("exceeds the cap of 64") })
        #expect(capped.slices.isEmpty)
    }

    @Test func overlappingSectionsCannotMultiplyTheWork() {
        // One LC_SEGMENT_64 with 200 sections, each claiming the whole 2 MiB file.
        let fileSize = 2 << 20
        let nsects = 200
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var seg = Self.le32(0x19) + Self.le32(UInt32(72 + 80 * nsects)) + [UInt8](repeating: 0x41, count: 16)
        seg += le64(0) + le64(UInt64(fileSize)) + le64(0) + le64(UInt64(fileSize)) + Self.le32(5) + Self.le32(5)
        seg += Self.le32(UInt32(nsects)) + Self.le32(0)
        for _ in 0..<nsects {
            seg += [UInt8](repeating: 0x42, count: 32) + le64(0) + le64(UInt64(fileSize)) + Self.le32(0)
            seg += [UInt8](repeating: 0, count: 28)
        }
        var bytes = Self.thin(ncmds: 1, commands: seg)
        bytes += (0..<(fileSize - bytes.count)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let slice = MachOFile.parse(bytes).slices[0]
        let sections = slice.segments.first?.sections ?? []
        #expect(sections.count == nsects)
        let measured = sections.filter { $0.entropy != nil }.count
        #expect(measured >= 2 && measured <= 4)  // budget: 4 x slice size + 1 MiB, the segment took one share
        #expect(slice.problems.filter { $0.message.contains("entropy is no longer measured") }.count == 1)
    }

    @Test func structureOnlyParseSkipsEntropyButStillReportsRangesOutsideTheSlice() {
        // One segment inside the file and one whose file range runs past its end.
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func segment(_ name: UInt8, offset: UInt64, size: UInt64) -> [UInt8] {
            var seg = Self.le32(0x19) + Self.le32(72) + [UInt8](repeating: name, count: 16)
            seg += le64(0) + le64(size) + le64(offset) + le64(size) + Self.le32(5) + Self.le32(5) + Self.le32(0) + Self.le32(0)
            return seg
        }
        var bytes = Self.thin(ncmds: 2, commands: segment(0x41, offset: 0, size: 512) + segment(0x42, offset: 256, size: 1 << 20))
        bytes += [UInt8](repeating: 0x5A, count: 1024 - bytes.count)
        let complete = MachOFile.parse(bytes).slices[0]
        let structure = MachOFile.parse(bytes, options: .structure).slices[0]
        #expect(complete.segments.first?.entropy != nil)
        #expect(structure.segments.allSatisfy { $0.entropy == nil })
        let outside = { (s: MachOSlice) in s.problems.filter { $0.message.contains("lies outside the slice") }.count }
        #expect(outside(complete) == 1)
        #expect(outside(structure) == 1)
    }

    @Test func duplicateCodeDirectorySlotsAreIgnored() throws {
        var bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-signed.dylib"))
        let sig = try #require(MachOFile.parse(bytes).slices.first?.codeSignature)
        // Re-label the Requirements index entry (slot 2) as a second slot 0 pointing at the CodeDirectory.
        let entry = sig.offset + 12 + 8
        let cdOffset = UInt32(try #require(sig.primary).offset - sig.offset)
        bytes.replaceSubrange(entry..<(entry + 8), with: Self.be32(0) + Self.be32(cdOffset))
        let damaged = try #require(MachOFile.parse(bytes).slices.first)
        #expect(damaged.codeSignature?.codeDirectories.count == 1)
        #expect(damaged.problems.contains { $0.message.contains("second CodeDirectory for slot 0x0") })
    }

    @Test func bigEndian32BitSliceIsDecoded() throws {
        // A PowerPC (big-endian, 32-bit) dylib: LC_SEGMENT with one section, LC_LOAD_DYLIB, LC_RPATH.
        let name = Array("/usr/lib/libSystem.B.dylib".utf8) + [0, 0]  // 28 bytes, 4-aligned
        var seg = Self.be32(0x1) + Self.be32(56 + 68) + Array("__TEXT".utf8) + [UInt8](repeating: 0, count: 10)
        seg += Self.be32(0x1000) + Self.be32(0x1000) + Self.be32(0) + Self.be32(512) + Self.be32(5) + Self.be32(5)
        seg += Self.be32(1) + Self.be32(0)
        seg += Array("__text".utf8) + [UInt8](repeating: 0, count: 10) + Array("__TEXT".utf8) + [UInt8](repeating: 0, count: 10)
        seg += Self.be32(0x1100) + Self.be32(64) + Self.be32(256) + Self.be32(2) + Self.be32(0) + Self.be32(0)
        seg += Self.be32(0x8000_0400) + Self.be32(0) + Self.be32(0)
        let dylib = Self.be32(0xC) + Self.be32(UInt32(24 + name.count)) + Self.be32(24) + Self.be32(2)
            + Self.be32(0x0001_0203) + Self.be32(0x0001_0000) + name
        let rpath = Self.be32(0x8000_001C) + Self.be32(20) + Self.be32(12) + Array("@x/".utf8) + [0, 0, 0, 0, 0]
        let commands = seg + dylib + rpath
        var bytes = Self.be32(0xFEED_FACE) + Self.be32(18) + Self.be32(0) + Self.be32(6) + Self.be32(3)
        bytes += Self.be32(UInt32(commands.count)) + Self.be32(0) + commands
        bytes += [UInt8](repeating: 0x90, count: 512 - bytes.count)
        let file = MachOFile.parse(bytes)
        let slice = try #require(file.slices.first)
        #expect(file.allProblems.isEmpty, "\(file.allProblems)")
        #expect(slice.header?.isBigEndian == true && slice.header?.is64Bit == false)
        #expect(slice.header?.architecture == "ppc")
        #expect(slice.loadCommands.map(\.name) == ["LC_SEGMENT", "LC_LOAD_DYLIB", "LC_RPATH"])
        #expect(slice.segments.first?.sections.first?.name == "__text")
        #expect(slice.segments.first?.sections.first?.size == 64)
        #expect(slice.segments.first?.fileSize == 512)
        #expect(slice.dylibs.first?.name == "/usr/lib/libSystem.B.dylib")
        #expect(slice.dylibs.first?.currentVersion == "1.2.3")
        #expect(slice.rpaths == ["@x/"])
        #expect(slice.signatureClass == .unsigned)
    }

    @Test func notMachOAndEmptyInput() {
        #expect(MachOFile.parse([]).problems.first?.offset == 0)
        let slice = MachOFile.parse(Array("hello world, not a binary".utf8)).slices[0]
        #expect(slice.header == nil)
        #expect(slice.problems.first?.message.contains("not a Mach-O magic") == true)
    }
}
