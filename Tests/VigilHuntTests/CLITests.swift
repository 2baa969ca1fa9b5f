import Foundation
import Testing
import _VigilTestSupport

@Suite(.enabled(if: TestSupport.vigilExecutable != nil, "vigil executable not built"))
struct HuntCLITests {
    @Test func exitStatusesAndOutputFormats() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try HuntFixtures.write(HuntFixtures.dnsHeader + "1680000000\tC1\t10.0.0.5\t1\t10.0.0.1\t53\tudp\tC2.MSSTORAGEBOXES.COM.\tA\tNOERROR\t-\t-\n", "dns.log", in: dir)
        let clean = try HuntFixtures.write(HuntFixtures.dnsHeader + "1680000000\tC1\t10.0.0.5\t1\t10.0.0.1\t53\tudp\twww.example.com\tA\tNOERROR\t-\t-\n", "clean/dns.log", in: dir)
        let env = ["VIGIL_STORE": dir.appendingPathComponent("store").path]
        func runVigil(_ args: [String]) throws -> TestSupport.RunResult { try TestSupport.runVigil(args, environment: env) }

        let text = try runVigil(["hunt", bad.path])
        #expect(text.status == 1)
        #expect(text.stdout.contains("10.0.0.5 looked up c2.msstorageboxes.com"))
        #expect(text.stdout.contains("subdomain of msstorageboxes.com"))

        let json = try runVigil(["hunt", bad.path, "--format", "json"])
        #expect(json.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["command"] as? String == "hunt")
        let findings = object?["findings"] as? [[String: Any]]
        #expect(findings?.first?["check"] as? String == "net.ioc.domain")
        #expect(findings?.first?["severity"] as? String == "high")
        #expect(findings?.first?["path"] as? String == bad.path)
        #expect(findings?.first?["line"] as? Int == 8)
        let evidence = findings?.first?["evidence"] as? [String: Any]
        #expect(evidence?["client"] as? String == "10.0.0.5")
        #expect(evidence?["feeds"] as? [String] == ["default"])

        let jsonl = try runVigil(["hunt", bad.path, "--format", "jsonl"])
        #expect(jsonl.status == 1)
        let checks = jsonl.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["check"] as? String
        }
        #expect(checks == ["net.ioc.domain"])

        let sarif = try runVigil(["hunt", bad.path, "--format", "sarif"])
        #expect(sarif.status == 1)
        let log = try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any]
        let result = ((log?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])?.first
        #expect(result?["ruleId"] as? String == "net.ioc.domain")
        let region = ((result?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any]
        #expect(region?["startLine"] as? Int == 8)

        let none = try runVigil(["hunt", clean.deletingLastPathComponent().path])
        #expect(none.status == 0)
        let noDefaults = try runVigil(["hunt", bad.path, "--no-default-indicators"])
        #expect(noDefaults.status == 0)

        let extra = try HuntFixtures.write("# my list\nwww.example.com\n", "extra.txt", in: dir)
        let withIOCs = try runVigil(["hunt", clean.path, "--iocs", extra.path])
        #expect(withIOCs.status == 1)
        #expect(withIOCs.stdout.contains("exact domain"))

        let missing = try runVigil(["hunt", dir.appendingPathComponent("nope.log").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))
        let badMap = try runVigil(["hunt", clean.path, "--map", "src=client"])
        #expect(badMap.status == 2)

        // A feed stored with 'vigil feed add' is used by the hunt.
        let stored = try HuntFixtures.write("example.com\n", "stored.txt", in: dir)
        let add = try runVigil(["feed", "add", stored.path, "--name", "mine"])
        #expect(add.status == 0, "\(add.stderr)")
        let fromStore = try runVigil(["hunt", clean.path, "--format", "json"])
        #expect(fromStore.status == 1)
        #expect(fromStore.stdout.contains("\"mine\""))
    }
}
