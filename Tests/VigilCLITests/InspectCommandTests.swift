import Foundation
import Testing
import _VigilTestSupport

/// `vigil inspect` end to end on the PE fixtures.
@Suite("vigil inspect")
struct InspectCommandTests {
    static let fixtures = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/pe")
    static var available: Bool { FileManager.default.fileExists(atPath: fixtures.appendingPathComponent(".stamp").path) }
    static let missing = "PE fixtures are missing in Fixtures/build/pe: run scripts/build-fixtures.sh"

    func path(_ name: String) throws -> String {
        try #require(Self.available, "\(Self.missing)")
        return Self.fixtures.appendingPathComponent(name).path
    }

    @Test("text output names the signer, the digest verdict and the anomalous slack")
    func text() throws {
        let r = try TestSupport.runVigil(["inspect", try path("variants/d3dcompiler_47-pad-both.dll")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("authenticode: signed by CN=Fixture Software Ltd Code Signing"))
        #expect(r.stdout.contains("digest matches"))
        #expect(r.stdout.contains("ANOMALOUS"))
        #expect(r.stdout.contains("FEEDFACE marker at"))
        #expect(r.stdout.contains("d3dcompiler_47.dll") && r.stdout.contains("ProductName: Fixture Desktop App"))
    }

    @Test("json output is an array of results that decode, one per file")
    func json() throws {
        let files = [try path("app.exe"), try path("signed/d3dcompiler_47-nested.dll")]
        let r = try TestSupport.runVigil(["inspect", "--format", "json"] + files)
        #expect(r.status == 0, "\(r.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(array.count == 2)
        #expect(array.map { $0["format"] as? String } == ["pe", "pe"])
        let pe = try #require(array[0]["pe"] as? [String: Any])
        let imports = try #require(pe["imports"] as? [[String: Any]])
        #expect(imports.contains { $0["dll"] as? String == "d3dcompiler_47.dll" && $0["delayLoad"] as? Bool == true })
        let auth = try #require(array[1]["authenticode"] as? [String: Any])
        #expect((auth["signatures"] as? [Any])?.count == 2)
    }

    @Test("jsonl prints one line per file; an unreadable file exits 2 and the rest are still printed")
    func jsonlAndErrors() throws {
        let r = try TestSupport.runVigil(["inspect", "--format", "jsonl", try path("ffmpeg.dll"), "/nonexistent/x.dll"])
        #expect(r.status == 2)
        #expect(r.stdout.split(separator: "\n").count == 1)
        #expect(r.stderr.contains("/nonexistent/x.dll: no such file"))
    }

    @Test("--trust-store validates the chain")
    func trustStore() throws {
        let r = try TestSupport.runVigil([
            "inspect", "--trust-store", try path("pki/ca.pem"), try path("signed/app.exe"),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("trust: chain valid at 20"))
        #expect(r.stdout.contains("<- CN=Vigil Fixture Root CA"))
    }

    @Test("a non-executable file is identified and reported without a parser result")
    func notExecutable() throws {
        let r = try TestSupport.runVigil(["inspect", "--format", "jsonl", try path("pki/ca.pem")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"format\":\"unknown\""))
    }
}
