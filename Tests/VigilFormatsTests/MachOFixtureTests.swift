import Foundation
import Testing
import VigilFormats

/// Values read from the ld64.lld fixtures (scripts/fixtures/macho.sh), as llvm-otool -l / -L print them.
@Suite struct MachOFixtureTests {
    @Test func executableDylibsRpathsAndBuildVersion() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "app-arm64-adhoc"))
        let file = MachOFile.parse(bytes)
        #expect(file.fat == nil)
        #expect(file.allProblems.isEmpty)
        let slice = try #require(file.slices.first)
        #expect(slice.header?.architecture == "arm64")
        #expect(slice.header?.fileTypeName == "EXECUTE")
        // llvm-otool -L app-arm64-adhoc
        #expect(slice.dylibs.map(\.kind) == [.load, .weak, .load])
        #expect(slice.dylibs.map(\.name) == ["@rpath/libffmpeg.dylib", "@rpath/libweakfeature.dylib", "/usr/lib/libSystem.B.dylib"])
        #expect(slice.dylibs[0].currentVersion == "5.1.2")
        #expect(slice.dylibs[0].compatibilityVersion == "5.0.0")
        #expect(slice.dylibs[2].currentVersion == "1311.0.0")
        #expect(slice.rpaths == ["@executable_path/../Frameworks", "/tmp/vigil-fixture-rpath"])
        #expect(slice.buildVersion == BuildVersion(command: "LC_BUILD_VERSION", platform: "macos", minimumOS: "11.0", sdk: "11.0"))
        #expect(slice.installName == nil)
        #expect(slice.segments.map(\.name) == ["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA", "__LINKEDIT"])
    }

    @Test func dylibInstallName() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-x86_64-unsigned.dylib"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        #expect(slice.installName?.name == "@rpath/libffmpeg.dylib")
        #expect(slice.installName?.currentVersion == "5.1.2")
        #expect(slice.dylibs.isEmpty)
        #expect(slice.signatureClass == .unsigned)
        #expect(slice.codeSignature == nil)
    }

    @Test func sectionEntropyMatchesIndependentComputation() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-unsigned.dylib"))
        let slice = try #require(MachOFile.parse(bytes).slices.first)
        let text = try #require(slice.segments.flatMap(\.sections).first { $0.name == "__text" })
        // The banner string is in __const; entropy recomputed here from the raw range by counting bytes.
        let range = Int(text.fileOffset)..<(Int(text.fileOffset) + Int(text.size))
        var counts = [Int: Int]()
        for b in bytes[range] { counts[Int(b), default: 0] += 1 }
        let n = Double(range.count)
        let expected = counts.values.reduce(0.0) { $0 - Double($1) / n * log2(Double($1) / n) }
        #expect(abs((text.entropy ?? -1) - expected) < 1e-9)
        let zeroFill = slice.segments.flatMap(\.sections).filter(\.isZeroFill)
        #expect(zeroFill.allSatisfy { $0.entropy == nil })
    }

    @Test func fatFileMatchesUniversalHeaders() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "app-fat-adhoc"))
        let file = MachOFile.parse(bytes)
        let fat = try #require(file.fat)
        #expect(!fat.is64Bit)
        // llvm-objdump --macho --universal-headers app-fat-adhoc
        #expect(fat.architectures.map(\.name) == ["x86_64", "arm64"])
        #expect(fat.architectures.map(\.offset) == [4096, 32768])
        #expect(fat.architectures.map(\.align) == [12, 14])
        let x86 = try #require(FixtureFiles.bytes("macho", "app-x86_64-adhoc"))
        let arm = try #require(FixtureFiles.bytes("macho", "app-arm64-adhoc"))
        #expect(fat.architectures.map(\.size) == [UInt64(x86.count), UInt64(arm.count)])
        #expect(file.slices.count == 2)
        #expect(file.slices.map(\.signatureClass) == [.linkerSigned, .linkerSigned])
        #expect(file.slices.allSatisfy { $0.codeSignature?.pageHashesValid == true })
        #expect(file.allProblems.isEmpty)
    }

    @Test func fat64FileIsRead() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "libffmpeg-fat64-adhoc.dylib"))
        let file = MachOFile.parse(bytes)
        let fat = try #require(file.fat)
        #expect(fat.is64Bit)
        #expect(fat.architectures.map(\.offset) == [16384, 32768])
        #expect(file.slices.map { $0.installName?.name } == ["@rpath/libffmpeg.dylib", "@rpath/libffmpeg.dylib"])
        #expect(file.slices.allSatisfy { $0.codeSignature?.pageHashesValid == true })
        #expect(file.allProblems.isEmpty)
    }

    @Test func bytesAfterTheLastSegmentAndSliceAreMeasured() throws {
        let thin = try #require(FixtureFiles.bytes("macho", "libffmpeg-arm64-adhoc.dylib"))
        #expect(MachOFile.parse(thin).slices.first?.trailing == nil)
        let tail = Array("$QUJDREVGR0hJSktMTU5PUA==".utf8)
        let appended = MachOFile.parse(thin + tail)
        let trailing = try #require(appended.slices.first?.trailing)
        #expect(trailing.offset == thin.count && trailing.size == tail.count)
        #expect(trailing.encoding == .dollarBase64)
        // Outside the signed range: the signature still verifies.
        #expect(appended.slices.first?.codeSignature?.pageHashesValid == true)

        let fat = try #require(FixtureFiles.bytes("macho", "app-fat-adhoc"))
        #expect(MachOFile.parse(fat).trailing == nil)
        let fatAppended = MachOFile.parse(fat + [UInt8](repeating: 0, count: 32))
        #expect(fatAppended.trailing?.offset == fat.count)
        #expect(fatAppended.trailing?.encoding == .zeros)
        #expect(fatAppended.slices.allSatisfy { $0.trailing == nil })
    }

    @Test func textReportNamesTheEssentials() throws {
        let bytes = try #require(FixtureFiles.bytes("macho", "app-fat-signed"))
        let report = MachOFile.parse(bytes).textReport()
        #expect(report.contains("Mach-O fat: 2 architecture(s)"))
        #expect(report.contains("LC_LOAD_WEAK_DYLIB @rpath/libweakfeature.dylib"))
        #expect(report.contains("LC_RPATH /tmp/vigil-fixture-rpath"))
        #expect(report.contains("signature: certificate-signed"))
        #expect(report.contains("team FIXTEAM001"))
        #expect(report.contains("0 bad"))
    }
}


