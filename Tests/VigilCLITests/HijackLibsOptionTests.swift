import Foundation
import Testing
import _VigilTestSupport

/// `vigil scan --hijacklibs` end to end: the user-supplied HijackLibs data (GPL, read at run time from
/// the reference data set, never bundled) turns a known vulnerable program + DLL pair in a user folder into a
/// finding, and a path that is not HijackLibs data is a usage error.
@Suite struct HijackLibsOptionTests {
    static let peFixtures = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/pe")

    @Test(.enabled(if: TestSupport.sharedData != nil, "the third-party reference data is absent (set VIGIL_SHARED_DATA to its folder to run this test)"))
    func plantedKnownPairIsReported() throws {
        let data = try #require(TestSupport.sharedData).appendingPathComponent("binaries/hijacklibs.json").path
        let signedApp = Self.peFixtures.appendingPathComponent("signed/app.exe")
        try #require(
            FileManager.default.fileExists(atPath: signedApp.path),
            "PE fixtures are missing in Fixtures/build/pe: run scripts/build-fixtures.sh")
        let dir = try TestSupport.makeTemporaryDirectory("vigil-hijacklibs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("Users/Public/Downloads")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // HijackLibs lists d3dcompiler_47.dll as side-loadable by dwm.exe, expected in %SYSTEM32%.
        try FileManager.default.copyItem(at: signedApp, to: folder.appendingPathComponent("dwm.exe"))
        try FileManager.default.copyItem(
            at: Self.peFixtures.appendingPathComponent("ffmpeg.dll"), to: folder.appendingPathComponent("d3dcompiler_47.dll"))

        let with = try TestSupport.runVigil(["scan", "--no-default-indicators", "--hijacklibs", data, "--format", "json", dir.path])
        #expect(with.status == 1, "\(with.stderr)")
        let checks = try Self.checks(with.stdout)
        #expect(checks.contains("pe.hijacklibs-pair"))

        let without = try TestSupport.runVigil(["scan", "--no-default-indicators", "--format", "json", dir.path])
        #expect(!(try Self.checks(without.stdout)).contains("pe.hijacklibs-pair"))
    }

    @Test func dataThatIsNotHijackLibsIsAUsageError() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-hijacklibs-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bogus = try TestSupport.write(Array("{\"not\": \"a list\"}".utf8), to: "bogus.json", in: dir)
        let r = try TestSupport.runVigil(["scan", "--hijacklibs", bogus.path, dir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--hijacklibs"))
    }

    static func checks(_ json: String) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let findings = object?["findings"] as? [[String: Any]] ?? []
        return Set(findings.compactMap { $0["check"] as? String })
    }
}
