import Foundation
import Testing
import VigilCore
import VigilDetections
import VigilFormats
import _VigilTestSupport

/// The dylib resolution rules on hand-made facts in a temporary bundle (files exist on disk where the
/// test says so, so `@rpath` resolution is the real one).
@Suite struct DylibCheckTests {
    func app(_ dylibs: [DylibFact], rpaths: [String], team: String? = "TEAM1") -> MachOFacts {
        MachOFacts(fileType: 2, installName: nil, dylibs: dylibs, rpaths: rpaths,
            signatureClass: team == nil ? "adhoc" : "certificate-signed", teamID: team, identifier: "com.example.app")
    }

    func withBundle(_ libraries: [String], _ body: (URL) throws -> Void) throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dylib")
        defer { try? FileManager.default.removeItem(at: dir) }
        let contents = dir.appendingPathComponent("Example.app/Contents")
        try FileManager.default.createDirectory(at: contents.appendingPathComponent("MacOS"), withIntermediateDirectories: true)
        for library in libraries { try TestSupport.write([0xCF, 0xFA, 0xED, 0xFE], to: "Frameworks/" + library, in: contents) }
        try body(contents)
    }

    func run(_ contents: URL, _ facts: MachOFacts) -> [Finding] {
        let exe = contents.appendingPathComponent("MacOS/Example").path
        return DetectionEngine().analyzeFolder(
            contents.appendingPathComponent("MacOS").path,
            files: [FileAnalysis(path: exe, facts: BinaryFacts(format: .macho, macho: facts))])
    }

    @Test func missingRequiredDylibInBundleIsMedium() throws {
        try withBundle([]) { contents in
            let findings = run(contents, app([DylibFact(kind: "load", name: "@rpath/libcodec.dylib")], rpaths: ["@executable_path/../Frameworks"]))
            #expect(findings.map(\.check) == [CheckID.missingDylib])
            #expect(findings.map(\.severity) == [.medium])
        }
    }

    @Test func writableRpathSearchedBeforeTheBundleIsHigh() throws {
        try withBundle(["libcodec.dylib"]) { contents in
            let findings = run(contents, app(
                [DylibFact(kind: "load", name: "@rpath/libcodec.dylib")],
                rpaths: ["/Users/Shared/plugins", "@executable_path/../Frameworks"]))
            #expect(findings.map(\.check) == [CheckID.rpathHijack])
            #expect(findings.map(\.severity) == [.high])
            #expect(findings.first?.evidence["first_resolution"] == .string("/Users/Shared/plugins/libcodec.dylib"))
        }
    }

    @Test func otherAbsoluteFolderFirstIsMediumAndSystemPathsAreIgnored() throws {
        try withBundle(["libcodec.dylib"]) { contents in
            let findings = run(contents, app(
                [DylibFact(kind: "load", name: "@rpath/libcodec.dylib"), DylibFact(kind: "load", name: "/usr/lib/libSystem.B.dylib"),
                 DylibFact(kind: "weak", name: "/System/Library/Frameworks/Foo.framework/Foo")],
                rpaths: ["/opt/example/lib", "@executable_path/../Frameworks"]))
            #expect(findings.map(\.severity) == [.medium])
            #expect(findings.first?.evidence["first_resolution_location"] == .string("other-absolute"))
        }
    }

    @Test func bundledDependencyFoundFirstIsQuiet() throws {
        try withBundle(["libcodec.dylib"]) { contents in
            // Unsigned app (no team): no signer comparison; the bundle copy is found first.
            let findings = run(contents, app([DylibFact(kind: "load", name: "@executable_path/../Frameworks/libcodec.dylib")], rpaths: [], team: nil))
            #expect(findings.isEmpty, "\(TreeScan.describe(findings))")
        }
    }

    @Test func nestedHelperAppLoadingTheOuterFrameworksIsQuiet() throws {
        // Electron layout: Example.app/Contents/Frameworks/Example Helper.app/Contents/MacOS/Example Helper
        // loads @rpath/Electron Framework.framework/... with rpath @executable_path/../../.. (outer Frameworks).
        try withBundle(["Electron Framework.framework/Electron Framework"]) { contents in
            let helper = contents.appendingPathComponent("Frameworks/Example Helper.app/Contents/MacOS")
            try FileManager.default.createDirectory(at: helper, withIntermediateDirectories: true)
            let facts = app([DylibFact(kind: "load", name: "@rpath/Electron Framework.framework/Electron Framework")],
                rpaths: ["@executable_path/../../.."], team: nil)
            let findings = DetectionEngine().analyzeFolder(
                helper.path, files: [FileAnalysis(path: helper.appendingPathComponent("Example Helper").path, facts: BinaryFacts(format: .macho, macho: facts))])
            #expect(findings.isEmpty, "\(TreeScan.describe(findings))")
        }
    }

    @Test func dependencyFoundOutsideTheBundleIsMedium() throws {
        try withBundle([]) { contents in
            // A library beside the .app, reached by climbing out of the bundle.
            let outside = contents.deletingLastPathComponent().deletingLastPathComponent()
            try TestSupport.write([0xCF, 0xFA, 0xED, 0xFE], to: "libplugin.dylib", in: outside)
            let findings = run(contents, app([DylibFact(kind: "load", name: "@executable_path/../../../libplugin.dylib")], rpaths: [], team: nil))
            #expect(findings.map(\.severity) == [.medium], "\(TreeScan.describe(findings))")
            #expect(findings.first?.check == CheckID.rpathHijack)
        }
    }
}
