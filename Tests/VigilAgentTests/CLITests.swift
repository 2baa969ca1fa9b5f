import Foundation
import Testing
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// JSON of a value as the server encodes it (ISO 8601 dates), as a plan object for the fake server.
func planValue(_ value: some Encodable) throws -> Any {
    let e = JSONEncoder()
    e.dateEncodingStrategy = .iso8601
    return try JSONSerialization.jsonObject(with: try e.encode(value))
}

let badSHA = "92005051ae314d61074ed94a52e76b1c3e21e7f0e8c1d1fdd497a006ce45fa61"

func cannedPlan() throws -> [String: Any] {
    let seen = Date(timeIntervalSince1970: 1_780_000_000)
    let host = HostRecord(
        id: 7, hostname: "build-01", hostIdentifier: "m-1", os: "linux", osVersion: "6.1", agentVersion: "0.1.0",
        enrolledAt: seen, lastContact: seen, keyRevoked: false,
        addresses: [HostAddress(address: "10.0.0.7", firstSeen: seen, lastSeen: seen)])
    let hit = InventoryHit(
        hostID: 7, hostname: "build-01",
        file: InventoryFile(path: "/opt/3cx/ffmpeg.dll, copy", sha256: badSHA, size: 1234, modified: 1_700_000_000, signer: "3CX Ltd"),
        firstSeen: seen, lastSeen: seen)
    let finding = StoredFinding(
        id: 1, hostID: 7, hostname: "build-01",
        finding: Finding(check: "ioc.hash", title: "Known-bad file hash", severity: .critical, path: "/opt/3cx/ffmpeg.dll", explanation: "SHA-256 listed by a feed"),
        firstSeen: seen, lastSeen: seen)
    return [
        "user_token": "vigil_ut_test",
        "canned": [
            FleetRoutes.hosts: [try planValue(host)],
            FleetRoutes.files: [try planValue(hit)],
            FleetRoutes.findings: [try planValue(finding)],
            "feed-add": ["feed": try planValue(FeedRecord(name: "x", format: "plain", addedAt: seen, indicatorCount: 3, digest: "00")), "newIndicators": 2],
        ] as [String: Any],
    ]
}

@Suite(.serialized) struct FleetCLITests {
    func vigil(_ args: [String], token: String? = "vigil_ut_test") throws -> TestSupport.RunResult {
        var env: [String: String] = [:]
        if let token { env["VIGIL_FLEET_TOKEN"] = token }
        return try TestSupport.runVigil(args, environment: env)
    }

    @Test func findExitsOneWithHitsInEveryFormat() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil executable not built"); return }
        let w = try AgentWorld()
        let server = try FakeServer(work: w.serverWork, plan: try cannedPlan())
        let csv = try vigil(["fleet", "find", badSHA, "--server", server.url, "--format", "csv"])
        #expect(csv.status == 1, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "host,path,sha256,size,signer,version,last_seen")
        #expect(lines.count == 2)
        #expect(lines.last?.hasPrefix("build-01,\"/opt/3cx/ffmpeg.dll, copy\",\(badSHA),1234,3CX Ltd,") == true)

        let jsonl = try vigil(["fleet", "find", badSHA, "--server", server.url, "--format", "jsonl"])
        #expect(jsonl.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(jsonl.stdout.split(separator: "\n")[0].utf8)) as? [String: Any]
        #expect((object?["file"] as? [String: Any])?["sha256"] as? String == badSHA)

        let text = try vigil(["fleet", "find", badSHA, "--server", server.url])
        #expect(text.stdout.contains("build-01") && text.stdout.contains("3CX Ltd"))
        // The hash went as sha256=, a name as name=.
        _ = try vigil(["fleet", "find", "ffmpeg.dll", "--server", server.url])
        let queries = try server.log().compactMap { $0["path"] as? String }.filter { $0.hasPrefix(FleetRoutes.files) }
        #expect(queries.contains(FleetRoutes.files + "?sha256=" + badSHA))
        #expect(queries.contains(FleetRoutes.files + "?name=ffmpeg.dll"))
    }

    @Test func nothingFoundExitsZeroAndErrorsExitTwo() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil executable not built"); return }
        let w = try AgentWorld()
        var plan = try cannedPlan()
        plan["canned"] = [FleetRoutes.files: [], FleetRoutes.hosts: []]
        let server = try FakeServer(work: w.serverWork, plan: plan)
        #expect(try vigil(["fleet", "find", badSHA, "--server", server.url]).status == 0)
        let denied = try vigil(["fleet", "hosts", "--server", server.url], token: "vigil_ut_wrong")
        #expect(denied.status == 2)
        #expect(denied.stderr.contains("401") && denied.stderr.contains("bad API token"))
        let noToken = try vigil(["fleet", "hosts", "--server", server.url], token: nil)
        #expect(noToken.status == 2)
        // Plain HTTP to a remote host is refused before any connection.
        let remote = try vigil(["fleet", "hosts", "--server", "http://192.0.2.1:8080"])
        #expect(remote.status == 2 && remote.stderr.contains("plain HTTP"))
    }

    @Test func hostsFindingsAndFeedAdd() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil executable not built"); return }
        let w = try AgentWorld()
        let server = try FakeServer(work: w.serverWork, plan: try cannedPlan())
        let hosts = try vigil(["fleet", "hosts", "--server", server.url, "--format", "json"])
        #expect(hosts.status == 0)
        let list = try JSONSerialization.jsonObject(with: Data(hosts.stdout.utf8)) as? [[String: Any]]
        #expect(list?.first?["hostname"] as? String == "build-01")

        let findings = try vigil(["fleet", "findings", "--host", "build-01", "--server", server.url])
        #expect(findings.status == 1)
        #expect(findings.stdout.contains("ioc.hash"))
        // The name was resolved to the host id the API takes.
        #expect(try server.log().contains { $0["path"] as? String == FleetRoutes.findings + "?host=7" })

        let feed = w.root.appendingPathComponent("my feed.txt").path
        try Data((badSHA + "\n").utf8).write(to: URL(fileURLWithPath: feed))
        let added = try vigil(["fleet", "feed", "add", feed, "--server", server.url])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("3 indicators (2 new)"))
        let post = try #require(try server.log().last { ($0["path"] as? String)?.hasPrefix(FleetRoutes.feeds) == true })
        #expect(post["path"] as? String == FleetRoutes.feeds + "?name=my-feed&filename=my%20feed.txt")
        #expect(post["bytes"] as? Int == 65)
    }

    @Test func agentEnrolAndOnceFromTheCommandLine() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil executable not built"); return }
        let w = try AgentWorld()
        try w.write("bin/tool", "a tool\n")
        let server = try FakeServer(work: w.serverWork)
        let enrol = try vigil(["agent", "enroll", "--server", server.url, "--secret-file", w.secretFile, "--state-dir", w.stateDir])
        #expect(enrol.status == 0, "\(enrol.stderr)")
        #expect(mode(of: w.stateDir + "/host.key") == 0o600)
        let once = try vigil([
            "agent", "once", "--state-dir", w.stateDir, "--root", w.tree, "--no-default-indicators", "--format", "json",
        ])
        #expect(once.status == 0, "\(once.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(once.stdout.utf8)) as? [String: Any]
        #expect(report?["filesInInventory"] as? Int == 1)
        #expect(report?["batchesAcknowledged"] as? Int == 1)
        #expect(try server.inventory()[w.tree + "/bin/tool"] != nil)
        // Server gone: the batch stays spooled and 'once' says so with exit 2.
        server.stop()
        try w.write("bin/other", "another\n")
        let offline = try vigil(["agent", "once", "--state-dir", w.stateDir, "--root", w.tree, "--no-default-indicators"])
        #expect(offline.status == 2)
        #expect(offline.stdout.contains("1 pending"))
    }

    @Test func anAgentKilledMidSweepResumes() throws {
        guard let exe = TestSupport.vigilExecutable else { Issue.record("vigil executable not built"); return }
        let w = try AgentWorld()
        for i in 0..<40 { try w.write("k/\(i).bin", String(repeating: "\(i % 10)", count: 20_000)) }
        let server = try FakeServer(work: w.serverWork)
        #expect(try vigil(["agent", "enroll", "--server", server.url, "--secret-file", w.secretFile, "--state-dir", w.stateDir]).status == 0)
        // 800 kB at 100 kB/s: about eight seconds of sweep, killed after one.
        let p = Process()
        p.executableURL = exe
        p.arguments = ["agent", "once", "--state-dir", w.stateDir, "--root", w.tree, "--no-default-indicators", "--read-bytes-per-second", "100000"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 1.5)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(try server.inventory().isEmpty)

        let resumed = try vigil(["agent", "once", "--state-dir", w.stateDir, "--root", w.tree, "--no-default-indicators", "--format", "json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try server.inventory().count == 40)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/spool").filter { $0.hasPrefix(".tmp-") || $0.hasSuffix(".batch.gz") }
        #expect(leftovers.isEmpty)
    }

    @Test func scanWithACacheReadsUnchangedFilesOnce() throws {
        guard TestSupport.vigilExecutable != nil else { Issue.record("vigil executable not built"); return }
        let w = try AgentWorld()
        for i in 0..<5 { try w.write("s\(i).txt", "scan cache cli \(i)\n") }
        let cache = w.root.appendingPathComponent("c.sqlite").path
        let first = try vigil(["scan", "--cache", cache, w.tree])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Scanned 5 files"))
        let second = try vigil(["scan", "--cache", cache, w.tree])
        #expect(second.stdout.contains("Scanned 0 files"))
        #expect(second.stdout.contains("5 unchanged files taken from the cache"))
        let bad = try vigil(["scan", "--cache", w.tree, w.tree])
        #expect(bad.status == 2)
    }
}
