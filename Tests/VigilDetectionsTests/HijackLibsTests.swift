import Foundation
import Testing
import VigilCore
@testable import VigilDetections
import _VigilTestSupport

/// The HijackLibs reader: the upstream YAML layout (with entries written here in the same schema,
/// not copied from the GPL data set) and the JSON form in the reference data set (read at test time only).
@Suite struct HijackLibsTests {
    static let sample = """
        ---
        Name: example.dll
        Author: Vigil Tests
        Created: 2024-01-01
        Vendor: Example Corp  # a comment
        ExpectedLocations:
          - '%PROGRAMFILES%\\Example\\%VERSION%'
          - "%SYSTEM32%"
        ExpectedSignatureInformation:
        - Subject: CN=Example Corp, O="Example, Corp", C=US
          Issuer: CN=Example CA, O=Example Corp, C=US
          Type: Authenticode
        VulnerableExecutables:
        - Path: '%SYSTEM32%\\host.exe'
          Type: Sideloading
          AutoElevate: true
          SHA256:
          - 0000000000000000000000000000000000000000000000000000000000000000
        - Path: 'C:\\Program Files\\Tool\\It''s.exe'
          Type: Phantom
          Condition: |
            Only when the
            feature is on.
        Resources:
          - https://example.invalid/write-up
        Acknowledgements:
          - Name: Someone
            Twitter: "@someone"
        """

    @Test func blockYAMLSubsetParsesTheSchema() throws {
        let doc = try BlockYAML.parse(Self.sample)
        #expect(doc["Name"]?.string == "example.dll")
        #expect(doc["Vendor"]?.string == "Example Corp")
        #expect(doc["ExpectedLocations"]?.items.compactMap(\.string) == ["%PROGRAMFILES%\\Example\\%VERSION%", "%SYSTEM32%"])
        let executables = doc["VulnerableExecutables"]?.items ?? []
        #expect(executables.count == 2)
        #expect(executables.first?["AutoElevate"]?.string == "true")
        #expect(executables.first?["SHA256"]?.items.count == 1)
        #expect(executables.last?["Path"]?.string == "C:\\Program Files\\Tool\\It's.exe")
        #expect(executables.last?["Condition"]?.string == "Only when the\nfeature is on.")
        #expect(doc["ExpectedSignatureInformation"]?.items.first?["Subject"]?.string == "CN=Example Corp, O=\"Example, Corp\", C=US")
        #expect(doc["Acknowledgements"]?.items.first?["Twitter"]?.string == "@someone")
    }

    @Test(arguments: [
        ("Name: a\n  bad: indent\n", 2),
        ("Name: &anchor a\nOther: *anchor\n", 1),
        ("---\nName: a\n---\nName: b\n", 3),
        ("Name: \"unterminated\n", 1),
        ("List:\n- a\n\t- b\n", 3),
    ])
    func unsupportedOrBrokenYAMLIsRejectedWithItsLine(_ text: String, _ line: Int) {
        #expect(throws: YAMLError.self) { try BlockYAML.parse(text) }
        do { _ = try BlockYAML.parse(text) } catch { #expect(error.line == line, "\(error)") }
    }

    @Test func yamlFolderLoadsEntriesAndReportsBadFiles() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-hijacklibs")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write(Array(Self.sample.utf8), to: "yml/3rd_party/example/example.yml", in: dir)
        try TestSupport.write(Array("Name: broken.dll\nVulnerableExecutables:\n- Type: Sideloading\n".utf8), to: "yml/microsoft/built-in/broken.yml", in: dir)
        try TestSupport.write(Array("Name: [unclosed\n".utf8), to: "yml/microsoft/built-in/malformed.yml", in: dir)
        let load = try HijackLibsDatabase.load(path: dir.appendingPathComponent("yml").path)
        #expect(load.database.entries.map(\.name) == ["example.dll"])
        let entry = try #require(load.database.byName["example.dll"]?.first)
        #expect(entry.vulnerableExecutables.map(\.fileName) == ["host.exe", "it's.exe"])
        #expect(entry.vulnerableExecutables.map(\.type) == ["Sideloading", "Phantom"])
        #expect(entry.expectedSigners == ["CN=Example Corp, O=\"Example, Corp\", C=US"])
        #expect(entry.source == "3rd_party/example/example.yml")
        #expect(load.diagnostics.count == 2)
        #expect(load.diagnostics.contains { $0.kind == "rejected-row" && $0.path.hasSuffix("broken.yml") && $0.message.contains("no Path") })
        #expect(load.diagnostics.contains { $0.kind == "malformed" && $0.path.hasSuffix("malformed.yml") && $0.line == 1 })
    }

    @Test func missingPathIsAnError() {
        #expect(throws: HijackLibsDatabase.LoadError.self) { try HijackLibsDatabase.load(path: "/nonexistent/hijacklibs") }
    }

    @Test func locationPatterns() {
        #expect(HijackLibsDatabase.folder("/mnt/c/Windows/System32", matchesAnyOf: ["%SYSTEM32%"]))
        #expect(HijackLibsDatabase.folder("/x/Program Files/Zoom/bin", matchesAnyOf: ["%PROGRAMFILES%\\Zoom\\bin"]))
        #expect(HijackLibsDatabase.folder("/x/Microsoft/Edge/Application/120.0.1", matchesAnyOf: ["%PROGRAMFILES%\\microsoft\\edge\\application\\%VERSION%"]))
        #expect(!HijackLibsDatabase.folder("/home/user/Downloads", matchesAnyOf: ["%SYSTEM32%", "%PROGRAMFILES%\\Zoom\\bin"]))
        #expect(HijackLibsDatabase.folder("/img/Program Files/Tool", matchesAnyOf: ["C:\\Program Files\\Tool"]))
    }

    @Test(.enabled(if: TestSupport.sharedData != nil, "the third-party reference data is absent (set VIGIL_SHARED_DATA to its folder to run this test)"))
    func sharedJSONDataSetLoads() throws {
        let path = try #require(TestSupport.sharedData).appendingPathComponent("binaries/hijacklibs.json").path
        let load = try HijackLibsDatabase.load(path: path)
        // Counted with a Python walk over the HijackLibs JSON: 598 entries, 597 unique names, 2,360 vulnerable executables.
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics.prefix(3))")
        #expect(load.database.entries.count == 598)
        #expect(load.database.byName.count == 597)
        #expect(load.database.entries.reduce(0) { $0 + $1.vulnerableExecutables.count } == 2360)
        let d3d = try #require(load.database.byName["d3dcompiler_47.dll"]?.first)
        #expect(d3d.vulnerableExecutables.contains { $0.fileName == "dwm.exe" })
        #expect(d3d.expectedLocations.contains("%SYSTEM32%"))
        #expect(load.database.byName["ffmpeg.dll"] == nil)
    }
}

/// The known-pair check with the real data set (read from the reference data set at test time only).
@Suite(.enabled(if: TestSupport.sharedData != nil, "the third-party reference data is absent (set VIGIL_SHARED_DATA to its folder to run this test)"))
struct HijackLibsPairTests {
    func engine() throws -> DetectionEngine {
        let path = try #require(TestSupport.sharedData).appendingPathComponent("binaries/hijacklibs.json").path
        return DetectionEngine(options: try DetectionOptions.loading(hijackLibsPath: path).options)
    }

    @Test func plantedDwmPairIsHigh() throws {
        guard let pe = TreeScan.fixture("pe") else { return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-pair")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A signed program renamed dwm.exe beside an unsigned DLL named d3dcompiler_47.dll, in a user folder.
        let folder = dir.appendingPathComponent("Users/Public/Downloads")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: pe.appendingPathComponent("signed/app.exe"), to: folder.appendingPathComponent("dwm.exe"))
        try FileManager.default.copyItem(at: pe.appendingPathComponent("ffmpeg.dll"), to: folder.appendingPathComponent("d3dcompiler_47.dll"))
        let r = try TreeScan.scan(dir, engine: try engine())
        let pair = r.findings.filter { $0.check == CheckID.hijackLibsPair }
        #expect(pair.map(\.severity) == [.high], "\(TreeScan.describe(r.findings))")
        #expect(pair.first?.indicator == "yml/microsoft/built-in/d3dcompiler_47.yml")
        #expect(pair.first?.evidence["hijack_types"] == .strings(["Sideloading"]))
    }

    @Test func threeCXTreeGainsNoPairFinding() throws {
        guard let root = TreeScan.fixture("threecx") else { return }
        let plain = try TreeScan.scan(root.appendingPathComponent("windows"))
        let withData = try TreeScan.scan(root.appendingPathComponent("windows"), engine: try engine())
        // HijackLibs lists d3dcompiler_47.dll (vulnerable: dwm.exe, not present) and no ffmpeg.dll.
        #expect(Set(withData.findings.map(\.check)) == Set(plain.findings.map(\.check)))
        #expect(withData.findings.count == plain.findings.count)
    }
}
