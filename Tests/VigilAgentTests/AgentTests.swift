import Foundation
import Synchronization
import Testing
import VigilAgent
import VigilCore
import VigilFleetClient
import VigilFleetProtocol
import VigilGzip
import VigilScan
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A temporary world for one agent: a tree to sweep, a state directory, a secret file, and the
/// fake server's work folder.
final class AgentWorld {
    let root: URL
    var tree: String { root.appendingPathComponent("tree").path }
    var stateDir: String { root.appendingPathComponent("state").path }
    var secretFile: String { root.appendingPathComponent("secret").path }
    var serverWork: URL { root.appendingPathComponent("server") }

    init() throws {
        root = try TestSupport.makeTemporaryDirectory("vigil-agent-test")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try Data("vigil_es_test\n".utf8).write(to: URL(fileURLWithPath: secretFile))
    }
    deinit { try? FileManager.default.removeItem(at: root) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = tree + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func configuration(server: String) -> AgentConfiguration {
        var c = AgentConfiguration()
        c.server = server
        c.secretFile = secretFile
        c.stateDirectory = stateDir
        c.roots = [tree]
        c.defaultIndicators = false
        c.readBytesPerSecond = 0
        c.maxFilesPerBatch = 4
        c.backoffBaseSeconds = 0.01
        c.backoffCapSeconds = 0.05
        return c
    }

    func agent(server: String) throws -> Agent {
        try Agent(configuration: configuration(server: server), vigilVersion: "test")
    }

    func spooled() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: stateDir + "/spool")) ?? []).filter { $0.hasSuffix(".batch.gz") }.sorted()
    }
}

func mode(of path: String) -> mode_t {
    var st = stat()
    stat(path, &st)
    return st.st_mode & 0o777
}

func sha256Hex(_ text: String) -> String {
    // Computed through the sweep itself would be circular; use the system tool.
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", text]
    let out = Pipe()
    p.standardOutput = out
    try? p.run()
    p.waitUntilExit()
    return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The calling thread's id (`gettid` is not exported to Swift by every glibc overlay).
func syscall_gettid() -> Int {
    let text = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
    return Int(text.split(separator: "/").last ?? "") ?? Int(getpid())
}

@Suite(.serialized) struct AgentTests {
    @Test func enrolmentStoresThePrivateKeyAndRefusesAWrongSecret() async throws {
        let w = try AgentWorld()
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        let response = try await agent.enroll()
        #expect(response.hostID == 7)
        let key = try String(contentsOfFile: w.stateDir + "/host.key", encoding: .utf8)
        #expect(key.hasPrefix("vigil_hk_"))
        #expect(mode(of: w.stateDir + "/host.key") == 0o600)
        #expect(mode(of: w.stateDir) == 0o700)

        try Data("vigil_es_wrong".utf8).write(to: URL(fileURLWithPath: w.secretFile))
        await #expect(throws: FleetClientError.self) { try await agent.enroll() }
    }

    @Test func onceSendsTheInventoryThroughTwo503s() async throws {
        let w = try AgentWorld()
        for i in 0..<10 { try w.write("dir\(i % 3)/file\(i).txt", "file number \(i)\n") }
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        try server.setPlan(["fail_next": 2])

        let report = try await agent.runOnce(retryDeadline: ContinuousClock.now + .seconds(30))
        #expect(report.filesInInventory == 10)
        #expect(report.added == 10)
        #expect(report.batchesSpooled == 3)  // 4 rows per batch
        #expect(report.batchesAcknowledged == 3)
        #expect(report.batchesPending == 0)
        #expect(w.spooled().isEmpty)
        #expect(try server.state()["served_503"] as? Int == 2)
        let inventory = try server.inventory()
        #expect(inventory.count == 10)
        #expect(inventory[w.tree + "/dir0/file0.txt"] == sha256Hex("file number 0\n"))
        // Every batch went gzip-compressed with the host key.
        let posts = try server.log().filter { $0["path"] as? String == FleetRoutes.batches && $0["status"] as? Int == 200 }
        #expect(posts.count == 3)
        #expect(posts.allSatisfy { $0["content_encoding"] as? String == "gzip" && ($0["authorization"] as? String)?.hasPrefix("Bearer vigil_hk_") == true })
        #expect(posts.map { $0["sequence"] as? Int } == [1, 2, 3])
    }

    @Test func aSweepOfManyFilesIsSentInManyBatchesOfOneSweep() async throws {
        let w = try AgentWorld()
        for i in 0..<230 { try w.write("d\(i % 7)/many\(i).txt", "many files, number \(i)\n") }
        let server = try FakeServer(work: w.serverWork)
        var configuration = w.configuration(server: server.url)
        configuration.maxFilesPerBatch = 20
        configuration.threads = 2
        let agent = try Agent(configuration: configuration, vigilVersion: "test")
        try await agent.enroll()
        let report = try await agent.runOnce()
        #expect(report.filesInInventory == 230 && report.added == 230)
        #expect(report.batchesSpooled == 12 && report.batchesAcknowledged == 12)  // 11 x 20 + 10
        let posts = try server.log().filter { $0["path"] as? String == FleetRoutes.batches && $0["status"] as? Int == 200 }
        #expect(posts.map { $0["sequence"] as? Int } == Array(1...12).map { Optional($0) })
        #expect(posts.map { $0["last"] as? Bool } == Array(repeating: false, count: 11) + [true])
        #expect(Set(posts.compactMap { $0["sweep"] as? String }).count == 1)
        #expect(posts.map { $0["files"] as? Int ?? -1 } == Array(repeating: 20, count: 11) + [10])
        let paths = posts.flatMap { $0["paths"] as? [String] ?? [] }
        #expect(paths.count == 230 && Set(paths).count == 230)
        #expect(try server.inventory().count == 230)

        // Delete 45: they are reported removed, in batches of 20, after an unchanged sweep found the rest.
        for i in 0..<45 { try FileManager.default.removeItem(atPath: w.tree + "/d\(i % 7)/many\(i).txt") }
        let second = try await agent.runOnce()
        #expect(second.filesFromCache == 185 && second.added == 0 && second.changed == 0 && second.removed == 45)
        #expect(second.batchesSpooled == 3)
        #expect(try server.inventory().count == 185)
    }

    @Test func aSecondSweepSendsOnlyTheDelta() async throws {
        let w = try AgentWorld()
        let keep = try w.write("keep.txt", "stays\n")
        let change = try w.write("change.txt", "before\n")
        let gone = try w.write("gone.txt", "to be deleted\n")
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        _ = try await agent.runOnce()
        #expect(try server.inventory().count == 3)

        try Data("after, longer\n".utf8).write(to: URL(fileURLWithPath: change))
        try FileManager.default.removeItem(atPath: gone)
        let added = try w.write("new.txt", "brand new\n")
        let second = try await agent.runOnce()
        #expect(second.filesFromCache == 1)  // keep.txt was not read again
        #expect(second.filesRead == 2)
        #expect(second.added == 1 && second.changed == 1 && second.removed == 1)
        let inventory = try server.inventory()
        #expect(Set(inventory.keys) == [keep, change, added])
        #expect(inventory[change] == sha256Hex("after, longer\n"))

        // Nothing changed: one small batch (a heartbeat) with no rows.
        let third = try await agent.runOnce()
        #expect(third.added + third.changed + third.removed == 0)
        let last = try #require(try server.log().last { $0["path"] as? String == FleetRoutes.batches })
        #expect(last["files"] as? Int == 0 && last["removed"] as? Int == 0)
    }

    @Test func anUnreachableServerKeepsTheSpoolAndARestartedAgentResumes() async throws {
        let w = try AgentWorld()
        for i in 0..<6 { try w.write("f\(i)", "content \(i)\n") }
        let port = freePort()
        do {
            let server = try FakeServer(work: w.serverWork, port: port)
            try await w.agent(server: server.url).enroll()
            server.stop()
        }
        // Connection refused: the sweep is spooled, nothing is lost.
        let offline = try w.agent(server: "http://127.0.0.1:\(port)")
        let report = try await offline.runOnce()
        #expect(report.batchesSpooled == 2)
        #expect(report.batchesPending == 2)
        #expect(report.deliveryProblem != nil)
        #expect(w.spooled().count == 2)
        #expect(w.spooled().allSatisfy { mode(of: w.stateDir + "/spool/" + $0) == 0o600 })

        // A second sweep while still offline adds no duplicate rows: its delta is computed against
        // what is already spooled.
        let again = try await offline.runOnce()
        #expect(again.added == 0)
        #expect(w.spooled().count == 3)  // two from before + one empty heartbeat

        // A new process (the old one was killed): spooled batches go first, in order.
        let server = try FakeServer(work: w.serverWork, port: port)
        let restarted = try w.agent(server: server.url)
        let resumed = try await restarted.runOnce()
        #expect(resumed.batchesPending == 0)
        #expect(w.spooled().isEmpty)
        #expect(try server.inventory().count == 6)
        #expect(resumed.added == 0)  // everything was already reported through the spool
    }

    @Test func aResentBatchIsHarmless() async throws {
        let w = try AgentWorld()
        try w.write("a", "a\n")
        try w.write("b", "b\n")
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        // Keep a copy of the spooled batch as if the agent died after the ack but before deleting it.
        let port = server.port
        server.stop()
        _ = try await agent.runOnce()
        let name = try #require(w.spooled().first)
        let copy = try Data(contentsOf: URL(fileURLWithPath: w.stateDir + "/spool/" + name))
        let back = try FakeServer(work: w.serverWork, port: port)
        _ = try await agent.runOnce()
        #expect(w.spooled().isEmpty)
        try copy.write(to: URL(fileURLWithPath: w.stateDir + "/spool/" + name))
        let replay = try await agent.runOnce()
        #expect(replay.batchesPending == 0)
        #expect(try back.state()["duplicates"] as? Int == 1)
        #expect(try back.inventory().count == 2)
    }

    @Test func resyncReportsEverythingAgain() async throws {
        let w = try AgentWorld()
        for i in 0..<5 { try w.write("r\(i)", "resync \(i)\n") }
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        _ = try await agent.runOnce()
        try w.write("r5", "one more\n")
        try server.setPlan(["resync_next": true])  // the server "lost" this host's inventory
        let report = try await agent.runOnce()
        #expect(report.resyncs == 1)
        #expect(try server.inventory().count == 6)
    }

    @Test func aRevokedKeyIsReplacedByEnrollingAgain() async throws {
        let w = try AgentWorld()
        try w.write("x", "x\n")
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        let oldKey = try String(contentsOfFile: w.stateDir + "/host.key", encoding: .utf8)
        try server.setPlan(["revoke_next": true])
        let report = try await agent.runOnce()
        #expect(report.batchesPending == 0)
        #expect(try server.state()["enrolments"] as? Int == 2)
        #expect(try String(contentsOfFile: w.stateDir + "/host.key", encoding: .utf8) != oldKey)
        #expect(try server.inventory().count == 1)
    }

    @Test func aRefusedBatchIsSetAsideNotRetriedForever() async throws {
        let w = try AgentWorld()
        try w.write("y", "y\n")
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        try server.setPlan(["refuse_next": true])
        let report = try await agent.runOnce()
        #expect(report.batchesPending == 0)
        #expect(report.batchesRejected == 1, "a refused batch must be counted, not only logged")
        let rejected = try FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/spool/rejected")
        #expect(rejected.count == 1)
    }

    @Test func serverIndicatorsAndRulesAreFetchedWithETagsAndUsed() async throws {
        let w = try AgentWorld()
        let badText = "pretend this is the trojanised ffmpeg.dll\n"
        try w.write("ffmpeg.dll", badText)
        try w.write("clean.txt", "nothing to see\n")
        let server = try FakeServer(work: w.serverWork)
        let agent = try w.agent(server: server.url)
        try await agent.enroll()
        let indicator: [String: Any] = [
            "kind": "sha256", "value": sha256Hex(badText), "score": 100,
            "provenance": [["feed": "server", "description": "3CX ffmpeg.dll"]],
        ]
        try server.setPlan([
            "indicators": [indicator], "indicators_etag": "\"v1\"",
            "rules": "rule clean_marker { strings: $a = \"nothing to see\" condition: $a }", "rules_etag": "\"r1\"",
        ])
        let first = try await agent.runOnce()
        #expect(first.indicatorsUpdated && first.rulesUpdated)
        let batch = try #require(try server.log().last { $0["path"] as? String == FleetRoutes.batches })
        let checks = try #require(batch["findings"] as? [String])
        #expect(checks.contains("ioc.hash"))
        #expect(checks.contains("yara"))

        let second = try await agent.runOnce()
        #expect(!second.indicatorsUpdated && !second.rulesUpdated)
        let conditional = try server.log().filter { $0["path"] as? String == FleetRoutes.agentIndicators }
        #expect(conditional.last?["if_none_match"] as? String == "\"v1\"")
        // The rules changed on the server: the cache must not hide the new match.
        try server.setPlan([
            "indicators": [indicator], "indicators_etag": "\"v1\"",
            "rules": "rule none { strings: $a = \"no such text anywhere\" condition: $a }", "rules_etag": "\"r2\"",
        ])
        let third = try await agent.runOnce()
        #expect(third.rulesUpdated)
        #expect(third.filesRead == 2)
        let lastBatch = try #require(try server.log().last { $0["path"] as? String == FleetRoutes.batches })
        #expect((lastBatch["findings"] as? [String])?.contains("yara") == false)
    }

    @Test func notEnrolledIsAClearError() async throws {
        let w = try AgentWorld()
        let agent = try w.agent(server: "http://127.0.0.1:9")
        await #expect(throws: AgentError.self) { _ = try await agent.runOnce() }
    }
}

@Suite struct AgentLogicTests {
    @Test func backoffIsFullJitterUnderAnExponentialCap() {
        var b = Backoff(base: 1, cap: 30)
        var rng = SeededRandom(seed: 42)
        var delays: [Double] = []
        for _ in 0..<10 { delays.append(b.nextDelay(using: &rng)) }
        let ceilings = [1.0, 2, 4, 8, 16, 30, 30, 30, 30, 30]
        for (d, c) in zip(delays, ceilings) { #expect(d >= 0 && d <= c) }
        // Full jitter: not all at the ceiling, spread out.
        #expect(Set(delays.map { Int($0 * 1000) }).count == 10)
        #expect(b.nextDelay(retryAfter: 120, using: &rng) >= 120)
        b.reset()
        #expect(b.ceiling == 1)
    }

    @Test func manyAgentsDoNotRetryInStep() {
        // 1,000 agents failing at the same moment: their third retries spread over [0, 4 s].
        var buckets = [Int](repeating: 0, count: 8)
        var rng = SeededRandom(seed: 7)
        for _ in 0..<1000 {
            var b = Backoff(base: 1, cap: 60)
            _ = b.nextDelay(using: &rng)
            _ = b.nextDelay(using: &rng)
            let d = b.nextDelay(using: &rng)
            buckets[min(7, Int(d / 0.5))] += 1
        }
        #expect(buckets.allSatisfy { $0 > 60 && $0 < 200 })
    }

    /// Parts handed on by a stream, with what the stream had received when each was handed on.
    final class PartLog: Sendable {
        struct Sent: Sendable { var part: InventoryDelta.Part; var sequence: Int; var isLast: Bool }
        private let sent = Mutex<[Sent]>([])
        func append(_ s: Sent) { sent.withLock { $0.append(s) } }
        var all: [Sent] { sent.withLock { $0 } }
        func emitter(maxRows: Int, maxFindings: Int = 1_000) -> BatchEmitter {
            BatchEmitter(maxRows: maxRows, maxFindings: maxFindings) { part, sequence, isLast in
                self.append(Sent(part: part, sequence: sequence, isLast: isLast))
            }
        }
    }

    func record(_ path: String, _ sha: String, size: Int64 = 1, mtime: Int64 = 1) -> InventoryRecord {
        InventoryRecord(path: path, hashes: FileHashes(md5: nil, sha1: nil, sha256: sha), size: size, modified: mtime, facts: InventoryFacts())
    }

    @Test func deltaAgainstTheServersView() throws {
        var view = ServerView()
        for (p, sha) in [("/a", "1"), ("/b", "2"), ("/c", "3"), ("/locked", "4"), ("/e", "6")] { view.set(path: p, sha256: sha, size: 1, modified: 1) }
        view.remove(path: "/e")  // a spooled batch already removed it
        let log = PartLog()
        let stream = InventoryStream(view: view, emitter: log.emitter(maxRows: 100))
        for r in [record("/a", "1"), record("/b", "2x"), record("/d", "5"), record("/a2", "1", mtime: 2)] { stream.receive(r) }
        let unreadable: Set<String> = ["/locked"]
        for p in ["/a", "/b", "/c", "/locked", "/e", "/c"] { try stream.removeIfMissing(p, unreadable: unreadable) }
        try stream.finish(findings: [])
        let counts = stream.counts
        #expect(counts.files == 4 && counts.added == 2 && counts.changed == 1 && counts.removed == 1)
        #expect(log.all.count == 1 && log.all[0].isLast && log.all[0].sequence == 1)
        #expect(log.all[0].part.files.map(\.path) == ["/b", "/d", "/a2"])
        #expect(log.all[0].part.removed == ["/c"])  // once, though offered twice; not the unreadable one

        // A change of size or mtime alone is a change.
        var sized = ServerView()
        sized.set(path: "/s", sha256: "1", size: 1, modified: 1)
        sized.set(path: "/m", sha256: "1", size: 1, modified: 1)
        #expect(sized.found(path: "/s", sha256: "1", size: 2, modified: 1) == .different)
        #expect(sized.found(path: "/m", sha256: "1", size: 1, modified: 9) == .different)
        #expect(sized.found(path: "/x", sha256: "1", size: 1, modified: 1) == .absent)
    }

    @Test func splitAndTheEmitterCutTheSameParts() {
        let files = (0..<10).map { InventoryFile(path: "/f\($0)", sha256: String($0), size: 1, modified: 1) }
        let parts = InventoryDelta.split(files: files, removed: ["/r1", "/r2"], findings: [], maxRows: 5, maxFindings: 10)
        #expect(parts.map { $0.files.count + $0.removed.count } == [5, 5, 2])
        #expect(InventoryDelta.split(files: [], removed: [], findings: [], maxRows: 5, maxFindings: 5).count == 1)
        let findings = (0..<5).map { Finding(check: "c\($0)", title: "t", severity: .low, path: "/f\($0)", explanation: "e") }
        let withFindings = InventoryDelta.split(files: Array(files.prefix(3)), removed: [], findings: findings, maxRows: 5, maxFindings: 2)
        #expect(withFindings.map(\.findings.count) == [2, 2, 1])
        #expect(withFindings.map(\.files.count) == [3, 0, 0])
    }

    @Test func aLargeDeltaIsHandedOnWhileTheSweepRunsNeverHeldWhole() throws {
        // 1,000 new files and 230 removed ones with 50 rows a batch: the stream never holds more than
        // one part, hands each on as soon as the next row does not fit, and only the last is marked so.
        var view = ServerView()
        for i in 0..<230 { view.set(path: "/gone/\(i)", sha256: "g", size: 1, modified: 1) }
        let log = PartLog()
        let stream = InventoryStream(view: view, emitter: log.emitter(maxRows: 50))
        for i in 0..<1_000 {
            stream.receive(record("/new/\(i)", String(i)))
            let sentFiles = log.all.reduce(0) { $0 + $1.part.files.count }
            #expect(i + 1 - sentFiles <= 50, "file \(i): \(i + 1 - sentFiles) rows held")
            #expect(i + 1 - sentFiles >= 1)
        }
        #expect(log.all.count == 19)  // the 20th part is still open: more rows may come
        for i in 0..<230 { try stream.removeIfMissing("/gone/\(i)", unreadable: []) }
        let finding = Finding(check: "ioc.hash", title: "bad", severity: .critical, path: "/new/7", explanation: "e")
        try stream.finish(findings: [finding])
        let sent = log.all
        #expect(sent.count == 25)  // 1,230 rows in parts of 50
        #expect(sent.map(\.sequence) == Array(1...25))
        #expect(sent.map(\.isLast) == Array(repeating: false, count: 24) + [true])
        #expect(sent.allSatisfy { $0.part.files.count + $0.part.removed.count <= 50 })
        #expect(Set(sent.flatMap { $0.part.files.map(\.path) }).count == 1_000)
        #expect(sent.flatMap(\.part.removed).count == 230)
        #expect(sent.last?.part.findings.map(\.check) == ["ioc.hash"])
        #expect(stream.counts.added == 1_000 && stream.counts.removed == 230 && stream.counts.partsSent == 25)
    }

    @Test func aFailureToSpoolIsThrownAtTheEnd() throws {
        struct DiskFull: Error {}
        let stream = InventoryStream(view: ServerView(), emitter: BatchEmitter(maxRows: 2, maxFindings: 10) { _, _, _ in throw DiskFull() })
        for i in 0..<5 { stream.receive(record("/f\(i)", "x")) }
        #expect(stream.counts.files == 5)
        #expect(throws: AgentError.self) { try stream.finish(findings: []) }
    }

    @Test func batchesStayInsideTheServersFieldLimits() throws {
        let long = "/" + String(repeating: "d/", count: 2_100) + "f"
        let log = PartLog()
        let stream = InventoryStream(view: ServerView(), emitter: log.emitter(maxRows: 10))
        for p in [long, "/ok"] { stream.receive(InventoryRecord(path: p, hashes: FileHashes(sha256: String(repeating: "a", count: 64)), size: 1, modified: 1, facts: InventoryFacts())) }
        try stream.finish(findings: [])
        #expect(log.all.flatMap { $0.part.files.map(\.path) } == ["/ok"])
        #expect(stream.counts.pathsTooLong == 1 && stream.counts.firstPathTooLong == long)
        let finding = Finding(check: "yara", title: String(repeating: "é", count: 2_000), severity: .high, path: long, explanation: "x")
        let fitted = BatchLimits.fitted(finding)
        #expect(fitted.title.utf8.count <= BatchLimits.maxTextBytes && fitted.title.hasSuffix("…"))
        #expect(fitted.path.utf8.count <= BatchLimits.maxPathBytes)
        #expect(BatchLimits.fitted(Finding(check: "c", title: "t", severity: .low, path: "/p", explanation: "e")).title == "t")
    }

    @Test func spoolKeepsOrderAndWritesAtomically() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("spool").path
        // A temporary file left by a crash during a write is cleaned up on open.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: path + "/.tmp-crashed"))
        let spool = try Spool(directory: path)
        #expect(!FileManager.default.fileExists(atPath: path + "/.tmp-crashed"))
        #expect(mode(of: path) == 0o700)
        let ids = (0..<12).map { _ in UUID().uuidString.lowercased() }
        for (i, id) in ids.enumerated() { try spool.append(batchID: id, body: [UInt8(i)]) }
        #expect(spool.entries().map(\.batchID) == ids)
        #expect(try spool.read(spool.entries()[11]) == [11])
        spool.remove(spool.entries()[0])
        #expect(spool.entries().first?.batchID == ids[1])
        #expect(throws: AgentError.self) { try spool.append(batchID: "../escape", body: []) }
        spool.removeAll()
        #expect(spool.entries().isEmpty)
    }

    @Test func clientClassifiesFailures() {
        #expect(FleetClientError.classify(status: 503, apiError: nil, retryAfter: 5, fallback: "").disposition == .retryable(retryAfter: 5))
        #expect(FleetClientError.classify(status: 429, apiError: APIError(code: "rate-limited", message: "slow down"), retryAfter: 30, fallback: "").isRetryable)
        #expect(FleetClientError.classify(status: 401, apiError: APIError(code: "host-key-revoked", message: "x"), retryAfter: nil, fallback: "").disposition == .revoked)
        #expect(FleetClientError.classify(status: 401, apiError: APIError(code: "unauthenticated", message: "x"), retryAfter: nil, fallback: "").disposition == .fatal)
        #expect(FleetClientError.classify(status: 400, apiError: nil, retryAfter: nil, fallback: "").disposition == .fatal)
        #expect(FleetClientError.parseRetryAfter("120") == 120)
        #expect(FleetClientError.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(FleetClientError.parseRetryAfter("99999999") == 86_400)
    }

    @Test func plainHTTPOnlyOnLoopbackUnlessAllowed() {
        #expect(throws: Never.self) { try FleetServerEndpoint(baseURL: "http://127.0.0.1:8080").validate() }
        #expect(throws: Never.self) { try FleetServerEndpoint(baseURL: "https://fleet.example").validate() }
        #expect(throws: FleetClientError.self) { try FleetServerEndpoint(baseURL: "http://fleet.example").validate() }
        #expect(throws: Never.self) { try FleetServerEndpoint(baseURL: "http://fleet.example", allowInsecureHTTP: true).validate() }
        #expect(throws: FleetClientError.self) { try FleetServerEndpoint(baseURL: "ftp://fleet.example").validate() }
    }

    @Test func lowImpactSetsNiceAndTheIdleIOClass() async throws {
        // Both are per thread on Linux and inherited by threads created afterwards, so the agent
        // applies them on the thread that starts the sweep's threads. Checked on a thread of its own.
        let (problems, nice, ionice): ([String], Int, String) = await withCheckedContinuation { continuation in
            let thread = Thread {
                let problems = LowImpact.apply(nice: 10, idleIO: true)
                let nice = LowImpact.currentNice
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = ["ionice", "-p", String(syscall_gettid())]
                let out = Pipe()
                p.standardOutput = out
                try? p.run()
                p.waitUntilExit()
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                continuation.resume(returning: (problems, nice, text))
            }
            thread.start()
        }
        #expect(problems.isEmpty)
        #expect(nice == 10)
        #expect(ionice.contains("idle"), "ionice says: \(ionice)")
    }
}

/// A CA and a server certificate for 127.0.0.1 made with the openssl tool, plus an unrelated CA.
struct TestPKI {
    let dir: String
    var caCert: String { dir + "/ca.pem" }
    var otherCA: String { dir + "/other-ca.pem" }
    var serverCert: String { dir + "/server.pem" }
    var serverKey: String { dir + "/server.key" }

    init(in dir: String) throws {
        self.dir = dir
        let script = """
            set -e
            cd '\(dir)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Vigil Test CA' 2>/dev/null
            openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj '/CN=Other CA' 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1' 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw FakeServerError(message: "openssl could not make the test certificates") }
    }
}

@Suite(.serialized) struct PinnedTLSTests {
    @Test func onlyThePinnedCAIsTrusted() async throws {
        let w = try AgentWorld()
        let pki = try TestPKI(in: w.root.path)
        let server = try FakeServer(work: w.serverWork, tls: (pki.serverCert, pki.serverKey))
        let url = "https://127.0.0.1:\(server.port)"

        var good = w.configuration(server: url)
        good.caFile = pki.caCert
        let agent = try Agent(configuration: good, vigilVersion: "test")
        let response = try await agent.enroll()
        #expect(response.hostKey.hasPrefix("vigil_hk_"))

        // The server's certificate is valid, but not signed by the CA this agent pins.
        var wrong = good
        wrong.caFile = pki.otherCA
        wrong.stateDirectory = w.root.appendingPathComponent("state2").path
        let other = try Agent(configuration: wrong, vigilVersion: "test")
        do {
            try await other.enroll()
            Issue.record("enrolment succeeded against a certificate from another CA")
        } catch let error as FleetClientError {
            #expect(error.disposition == .fatal)
            #expect(error.message.contains("TLS"))
        }
    }
}
