import Foundation
import Testing
import VigilFormats

/// The PE parser on the mingw-w64 fixtures, checked field by field against pefile's golden values
/// (written at fixture build time by scripts/fixtures/pe/golden.py) and against what the fixture
/// sources declare.
@Suite("PE parser on fixtures")
struct PEParserTests {
    static let binaries = [
        "app.exe", "ffmpeg.dll", "d3dcompiler_47.dll", "signed/app.exe", "signed/d3dcompiler_47.dll",
        "signed/d3dcompiler_47-timestamped.dll", "signed/d3dcompiler_47-nested.dll",
        "signed/d3dcompiler_47-unauth-blob.dll", "variants/d3dcompiler_47-pad-both.dll",
        "variants/d3dcompiler_47-pad-dironly.dll", "variants/d3dcompiler_47-overlay-after.dll",
        "variants/d3dcompiler_47-tampered-text.dll",
    ]

    func parse(_ name: String) throws -> (PEFile, [UInt8]) {
        let bytes = try PEFixtures.bytes(name)
        let pe = try #require(PEParser.parse(bytes), "\(name) should parse as PE")
        return (pe, bytes)
    }

    @Test("the structure-only parse skips section entropy and nothing else", arguments: ["ffmpeg.dll", "signed/d3dcompiler_47.dll"])
    func structureOnlyParse(_ name: String) throws {
        let (complete, bytes) = try parse(name)
        let structure = try #require(PEParser.parse(bytes, options: .structure))
        #expect(complete.sections.allSatisfy { $0.entropy != nil })
        #expect(structure.sections.allSatisfy { $0.entropy == nil })
        var withoutEntropy = complete
        for i in withoutEntropy.sections.indices { withoutEntropy.sections[i].entropy = nil }
        #expect(structure == withoutEntropy)
    }

    @Test("fixtures are built", .tags(.fixtures))
    func fixturesPresent() {
        #expect(PEFixtures.available, "\(PEFixtures.missingMessage)")
    }

    @Test("headers, sections, imports, exports, checksum, overlay agree with pefile", arguments: binaries)
    func agreesWithPefile(_ name: String) throws {
        let (pe, _) = try parse(name)
        let golden = try PEGolden.load(name)
        #expect(pe.coff.machine == golden.machine)
        #expect(pe.coff.numberOfSections == golden.numberOfSections)
        let optional = try #require(pe.optionalHeader)
        #expect(optional.magic == golden.magic)
        #expect(optional.addressOfEntryPoint == golden.addressOfEntryPoint)
        #expect(optional.imageBase == golden.imageBase)
        #expect(optional.sizeOfHeaders == golden.sizeOfHeaders)
        #expect(optional.subsystem == golden.subsystem)
        #expect(pe.sections.map(\.name) == golden.sections.map(\.name))
        #expect(pe.sections.map(\.virtualAddress) == golden.sections.map(\.virtualAddress))
        #expect(pe.sections.map(\.pointerToRawData) == golden.sections.map(\.pointerToRawData))
        #expect(pe.sections.map(\.sizeOfRawData) == golden.sections.map(\.sizeOfRawData))
        #expect(pe.sections.map(\.characteristics) == golden.sections.map(\.characteristics))
        for (mine, ref) in zip(pe.sections, golden.sections) {
            #expect(abs((mine.entropy ?? -1) - ref.entropy) < 1e-9, "entropy of \(mine.name)")
        }
        func names(_ imports: [PEImport]) -> [String] { imports.map(\.dll) }
        func functions(_ imports: [PEImport]) -> [[String]] {
            imports.map { $0.functions.map { f in f.name ?? "#\(f.ordinal ?? 0)" } }
        }
        let regular = pe.imports.filter { !$0.delayLoad }
        let delay = pe.imports.filter(\.delayLoad)
        #expect(names(regular) == golden.imports.map(\.dll))
        #expect(functions(regular) == golden.imports.map(\.functions))
        #expect(names(delay) == golden.delayImports.map(\.dll))
        #expect(functions(delay) == golden.delayImports.map(\.functions))
        let exports = (pe.exports?.symbols ?? []).map { "\($0.ordinal) \($0.name ?? "-") \($0.rva)" }.sorted()
        #expect(exports == golden.exports.map { "\($0.ordinal) \($0.name ?? "-") \($0.rva)" }.sorted())
        #expect(pe.checksum.stored == golden.checksumStored)
        #expect(pe.checksum.computed == golden.checksumComputed)
        #expect(pe.overlay?.offset == golden.overlayOffset)
        let table: [UInt32] = pe.certificateTable.map { [UInt32($0.offset), UInt32($0.size)] } ?? [0, 0]
        #expect(table == golden.securityDirectory)
        #expect(Dictionary(uniqueKeysWithValues: (pe.versionInfo?.strings ?? []).map { ($0.key, $0.value) }) == golden.versionStrings)
    }

    @Test("app.exe imports ffmpeg.dll by name (two names, one ordinal) and d3dcompiler_47.dll delay-loaded")
    func appImports() throws {
        let (pe, _) = try parse("app.exe")
        let ffmpeg = try #require(pe.imports.first { $0.dll == "ffmpeg.dll" })
        #expect(!ffmpeg.delayLoad)
        #expect(ffmpeg.functions.compactMap(\.name).sorted() == ["av_decode", "av_version"])
        #expect(ffmpeg.functions.compactMap(\.ordinal) == [7])
        let d3d = try #require(pe.imports.first { $0.dll == "d3dcompiler_47.dll" })
        #expect(d3d.delayLoad)
        #expect(d3d.functions.map(\.name) == ["D3DCompile"])
        #expect(pe.coff.isDLL == false)
        #expect(pe.optionalHeader?.isPE32Plus == true)
        #expect(pe.issues.isEmpty, "\(pe.issues)")
    }

    @Test("version resource strings come from the fixture's .rc")
    func versionStrings() throws {
        let (pe, _) = try parse("d3dcompiler_47.dll")
        let v = try #require(pe.versionInfo)
        #expect(v["CompanyName"] == "Fixture Software Ltd")
        #expect(v["ProductName"] == "Fixture Desktop App")
        #expect(v["FileVersion"] == "18.12.416.0")
        #expect(v["OriginalFilename"] == "d3dcompiler_47.dll")
        #expect(v.fixedFileVersion == "18.12.416.0")
        #expect(v.stringTable == "040904b0")
    }

    @Test("ffmpeg.dll exports two names and ordinal 7 without a name")
    func exports() throws {
        let (pe, _) = try parse("ffmpeg.dll")
        let e = try #require(pe.exports)
        #expect(e.dllName == "ffmpeg.dll")
        #expect(e.symbols.compactMap(\.name).sorted() == ["av_decode", "av_version"])
        #expect(e.symbols.filter { $0.name == nil }.map(\.ordinal) == [7])
    }

    @Test("an unsigned file has no certificate table and its checksum is computed like pefile's")
    func unsigned() throws {
        let (pe, _) = try parse("ffmpeg.dll")
        #expect(pe.certificateTable == nil)
        #expect(pe.overlay == nil)
    }
}

extension Tag {
    @Tag static var fixtures: Self
}
