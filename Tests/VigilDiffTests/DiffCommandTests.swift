import Foundation
import Testing
import _VigilTestSupport

/// `vigil diff` end to end: exit codes, --fail-on, every output format, SARIF schema validation.
@Suite("vigil diff command", .serialized)
struct DiffCommandTests {
    @Test("3CX-like pair: exit 1, --fail-on high and medium reached; text names the three files")
    func threeCX() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let text = try TestSupport.runVigil(["diff", old, new])
        #expect(text.status == 1)
        #expect(text.stdout.contains("Risk: HIGH"))
        for file in ["ffmpeg.dll (high)", "d3dcompiler_47.dll (high)", "resources/app.ico (high)"] {
            #expect(text.stdout.contains(file), "\(file)")
        }
        #expect(try TestSupport.runVigil(["diff", old, new, "--fail-on", "high"]).status == 1)
        #expect(try TestSupport.runVigil(["diff", old, new, "--fail-on", "medium"]).status == 1)
        #expect(try TestSupport.runVigil(["diff", old, new, "--fail-on", "critical"]).status == 0)
    }

    @Test("identical and honest-update pairs pass a --fail-on medium gate")
    func gates() throws {
        guard let clean = DiffFixtures.path("clean"), let update = DiffFixtures.path("update"), let zip = DiffFixtures.path("clean.zip")
        else { return }
        let same = try TestSupport.runVigil(["diff", clean, zip])
        #expect(same.status == 0)
        #expect(same.stdout.contains("Findings (0)"))
        #expect(try TestSupport.runVigil(["diff", clean, update, "--fail-on", "medium"]).status == 0)
    }

    @Test("JSON carries the verdict, changes and evidence")
    func json() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let run = try TestSupport.runVigil(["diff", old, new, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let risk = object?["risk"] as? [String: Any]
        #expect(risk?["level"] as? String == "high")
        let findings = object?["findings"] as? [[String: Any]] ?? []
        let slack = findings.first { $0["check"] as? String == "diff.cert-slack-appeared" }
        #expect((slack?["evidence"] as? [String: Any])?["slack_bytes"] as? Int == 154)
        #expect((object?["changes"] as? [Any])?.count == 3)
    }

    @Test("Markdown comment: verdict heading, reasons, findings table with escaped cells")
    func markdown() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let md = try TestSupport.runVigil(["diff", old, new, "--format", "markdown"]).stdout
        #expect(md.hasPrefix("## Vigil release diff: risk **HIGH**"))
        #expect(md.contains("| **HIGH** | `diff.signature-only-change` | `d3dcompiler_47.dll` |"))
        #expect(md.contains("<details><summary>Changed files (3)</summary>"))
    }

    @Test("SARIF output validates against the OASIS 2.1.0 schema, and a broken log does not")
    func sarif() throws {
        guard let old = DiffFixtures.path("clean"), let new = DiffFixtures.path("3cx-like") else { return }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-sarif")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("diff.sarif").path
        #expect(try TestSupport.runVigil(["diff", old, new, "--format", "sarif", "--output", file]).status == 1)
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        let run = (log?["runs"] as? [[String: Any]])?.first
        let results = run?["results"] as? [[String: Any]] ?? []
        let json = try JSONSerialization.jsonObject(with: Data(TestSupport.runVigil(["diff", old, new, "--format", "json"]).stdout.utf8)) as? [String: Any]
        let newCount = (json?["findings"] as? [Any])?.count ?? -1
        let oldCount = (json?["preexisting"] as? [Any])?.count ?? -1
        #expect(results.count == newCount + oldCount)
        #expect(results.filter { $0["baselineState"] as? String == "new" }.count == newCount)
        #expect(results.filter { $0["baselineState"] as? String == "unchanged" }.count == oldCount)
        #expect(results.contains { $0["ruleId"] as? String == "diff.signature-only-change" && $0["level"] as? String == "error" })
        // A copy without the mandatory "version" must fail, so the validator is known to bite.
        var broken = log ?? [:]
        broken.removeValue(forKey: "version")
        let brokenFile = dir.appendingPathComponent("broken.sarif").path
        try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: brokenFile))

        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/validate-sarif.py")
        let good = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--fetch", file])
        if good.status == 77 {
            print("skipped schema validation: \(good.stderr)")
            return
        }
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        let bad = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, brokenFile])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("'version' is a required property"))
    }

    @Test("hostile inputs: exit 2 with the refusal on stderr, nothing on stdout", arguments: [
        "traversal.zip", "symlink-out.tar.gz", "bomb.zip",
    ])
    func refused(name: String) throws {
        guard let clean = DiffFixtures.path("clean"), let hostile = DiffFixtures.path("hostile/" + name) else { return }
        let run = try TestSupport.runVigil(["diff", clean, hostile])
        #expect(run.status == 2)
        #expect(run.stderr.contains("vigil diff: refused \(name)"))
        #expect(run.stdout.isEmpty)
    }

    @Test("missing input: exit 2")
    func missing() throws {
        let run = try TestSupport.runVigil(["diff", "/nonexistent/old", "/nonexistent/new"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cannot read /nonexistent/old: no such file or folder"))
    }
}
