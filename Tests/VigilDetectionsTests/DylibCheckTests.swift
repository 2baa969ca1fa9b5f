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
        // The executable exists on disk, so its dependencies are resolved on disk too.
        FileManager.default.createFile(atPath: exe, contents: Data([0xCF, 0xFA, 0xED, 0xFE]))
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
            FileManager.default.createFile(atPath: helper.appendingPathComponent("Example Helper").path, contents: Data([0xCF, 0xFA, 0xED, 0xFE]))
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

/// A tree that exists only in memory (release archive members, as `vigil diff` passes them): the
/// dylib checks resolve against what the engine analysed and never touch the host's file system.
@Suite struct VirtualTreeDylibTests {
    @Test func archiveMembersResolveAgainstAnalysedFiles() throws {
        guard let root = TreeScan.fixture("threecx") else { return }
        let bundle = root.appendingPathComponent("macos/3CX Desktop App.app/Contents")
        let engine = DetectionEngine()
        var byFolder: [String: [FileAnalysis]] = [:]
        for member in ["MacOS/3CX Desktop App", "Frameworks/libffmpeg.dylib", "Frameworks/libweakfeature.dylib"] {
            let bytes = [UInt8](try Data(contentsOf: bundle.appendingPathComponent(member)))
            let virtual = "release-18.12.416/3CX Desktop App.app/Contents/" + member
            #expect(!FileManager.default.fileExists(atPath: virtual))
            let analysis = engine.analyze(ScannedFile(path: virtual, bytes: bytes, format: FileFormat.identify(bytes)))
            byFolder[(virtual as NSString).deletingLastPathComponent, default: []].append(analysis)
        }
        var findings: [Finding] = []
        for (folder, files) in byFolder.sorted(by: { $0.key < $1.key }) { findings += engine.analyzeFolder(folder, files: files) }
        let signer = findings.filter { $0.check == CheckID.librarySigner }
        #expect(signer.map(\.severity) == [.high], "\(TreeScan.describe(findings))")
        #expect(signer.first?.path == "release-18.12.416/3CX Desktop App.app/Contents/Frameworks/libffmpeg.dylib")
        // Both dependencies were found among the analysed members: nothing reported missing.
        #expect(!findings.contains { $0.check == CheckID.missingDylib || $0.check == CheckID.weakDylib })
    }
}
