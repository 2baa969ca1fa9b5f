import Crypto
import Foundation
import Testing
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetStore
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A Python HTTP agent stand-in (urllib only): `enroll`, then `stream` numbered batches, appending each
/// acknowledged batch id to a file (flushed and fsynced) only after the server's 200; or `resend` the
/// acknowledged ones and count how many the server calls duplicates.
private let agentScript = #"""
import gzip, hashlib, json, os, sys, time, urllib.request, urllib.error
base, workdir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
FILES = 50
facts = {"hostname": "crash", "hostIdentifier": "crash-1", "os": "linux", "osVersion": "6", "agentVersion": "0.1", "addresses": []}
def post(path, body, headers):
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())
def batch(i):
    files = [{"path": "/data/%d/%d" % (i, j), "sha256": hashlib.sha256(b"%d-%d" % (i, j)).hexdigest(), "size": j, "modified": 1700000000} for j in range(FILES)]
    return {"batchID": "b%06d" % i, "agent": facts, "sweepID": "s", "sequence": i + 1, "isLastOfSweep": False,
            "sweepStarted": 1700000000, "roots": ["/data"], "files": files, "removed": [], "findings": []}
def send(key, i):
    body = gzip.compress(json.dumps(batch(i)).encode())
    while True:
        try:
            return post("/api/v1/agent/batches", body, {"Authorization": "Bearer " + key, "Content-Encoding": "gzip", "Content-Type": "application/json"})
        except urllib.error.HTTPError as e:
            if e.code != 429: raise
            time.sleep(int(e.headers.get("Retry-After", "1")))  # the per-host rate limit: wait as an agent does
if mode == "enroll":
    secret = open(os.path.join(workdir, "secret")).read().strip()
    r = post("/api/v1/agent/enroll", json.dumps({"secret": secret, "agent": facts}).encode(), {"Content-Type": "application/json"})
    open(os.path.join(workdir, "key"), "w").write(r["hostKey"])
elif mode == "stream":
    key = open(os.path.join(workdir, "key")).read().strip()
    acked = open(os.path.join(workdir, "acked"), "a")
    for i in range(100000):
        try:
            ack = send(key, i)
        except Exception as e:
            print("stopped at batch %d: %s" % (i, e)); break
        assert ack["batchID"] == "b%06d" % i and not ack["duplicate"], ack
        acked.write("%d\n" % i); acked.flush(); os.fsync(acked.fileno())
elif mode == "resend":
    key = open(os.path.join(workdir, "key")).read().strip()
    done = [int(x) for x in open(os.path.join(workdir, "acked")).read().split()]
    dup = sum(1 for i in done if send(key, i)["duplicate"])
    print("duplicates %d of %d" % (dup, len(done)))
"""#

/// Two servers, one database: a batch through A, the same batch through B, a feed through B, a later
/// batch through A; prints one JSON line with what each answered.
private let twoServerScript = #"""
import gzip, hashlib, json, sys, time, urllib.request
a, b, secret, token = sys.argv[1:5]
def post(base, path, body, headers):
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r: return json.loads(r.read())
def get(base, path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=60) as r: return json.loads(r.read())
facts = {"hostname": "pg1", "hostIdentifier": "pg-1", "os": "linux", "osVersion": "6", "agentVersion": "0.1", "addresses": []}
key = post(a, "/api/v1/agent/enroll", json.dumps({"secret": secret, "agent": facts}).encode(), {"Content-Type": "application/json"})["hostKey"]
bad1, bad2 = hashlib.sha256(b"bad1").hexdigest(), hashlib.sha256(b"bad2").hexdigest()
def batch(i, sha, path):
    return gzip.compress(json.dumps({"batchID": i, "agent": facts, "sweepID": "s", "sequence": 1, "isLastOfSweep": True, "sweepStarted": 1,
        "roots": ["/"], "files": [{"path": path, "sha256": sha, "size": 1, "modified": 1}], "removed": [], "findings": []}).encode())
hk = {"Authorization": "Bearer " + key, "Content-Encoding": "gzip"}
out = {"a1": post(a, "/api/v1/agent/batches", batch("one", bad1, "/opt/bad1.bin"), hk),
       "b1": post(b, "/api/v1/agent/batches", batch("one", bad1, "/opt/bad1.bin"), hk),
       "feed": post(b, "/api/v1/feeds?name=pgfeed&format=plain", ("%s\n%s\n" % (bad1, bad2)).encode(), {"Authorization": "Bearer " + token})["retroHunt"]}
time.sleep(1.5)  # past the one-second feed-generation check interval
out["a2"] = post(a, "/api/v1/agent/batches", batch("two", bad2, "/opt/bad2.bin"), hk)
out["paths"] = sorted(f["finding"]["path"] for f in get(a, "/api/v1/findings"))
print(json.dumps(out))
"""#

/// A running `vigil serve` child process.
private final class ServerProcess {
    let process = Process()
    let url: String

    init(vigil: URL, dataDir: URL, extra: [String] = []) throws {
        process.executableURL = vigil
        process.arguments = ["serve", "--data-dir", dataDir.path, "--listen", "127.0.0.1:0", "--no-default-indicators"] + extra
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read stderr until the listening line (the port is chosen by the kernel).
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        var found: String?
        while found == nil, Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            let text = String(decoding: seen, as: UTF8.self)
            if let range = text.range(of: "listening on ") {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") { found = String(rest[..<end]) }
            }
        }
        guard let found else {
            process.terminate()
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "vigil serve did not start: \(String(decoding: seen, as: UTF8.self))"])
        }
        url = found
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

@Suite("Fleet server: the vigil serve process", .serialized)
struct ServeProcessTests {
    @Test(
        "SIGKILL in the middle of a stream of batches loses no acknowledged batch",
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "python3 is absent"))
    func killNine() async throws {
        let vigil = try #require(TestSupport.vigilExecutable)
        let work = try TestSupport.makeTemporaryDirectory("vigil-serve-kill")
        defer { try? FileManager.default.removeItem(at: work) }
        let dataDir = work.appendingPathComponent("data")
        try agentScript.write(to: work.appendingPathComponent("agent.py"), atomically: true, encoding: .utf8)
        func python(_ url: String, _ mode: String) throws -> TestSupport.RunResult {
            try TestSupport.run(URL(fileURLWithPath: "/usr/bin/python3"), [work.appendingPathComponent("agent.py").path, url, work.path, mode])
        }

        let created = try TestSupport.runVigil(["serve", "secret", "create", "--name", "crash", "--data-dir", dataDir.path])
        #expect(created.status == 0, "\(created.stderr)")
        try created.stdout.write(to: work.appendingPathComponent("secret"), atomically: true, encoding: .utf8)

        let first = try ServerProcess(vigil: vigil, dataDir: dataDir)
        let enrolled = try python(first.url, "enroll")
        #expect(enrolled.status == 0, "\(enrolled.stderr)")

        // Stream batches in the background; kill the server once some have been acknowledged.
        let streamer = Process()
        streamer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        streamer.arguments = [work.appendingPathComponent("agent.py").path, first.url, work.path, "stream"]
        streamer.standardOutput = FileHandle.nullDevice
        streamer.standardError = FileHandle.nullDevice
        try streamer.run()
        let ackedFile = work.appendingPathComponent("acked")
        func acked() -> [Int] {
            ((try? String(contentsOf: ackedFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int($0) }
        }
        let deadline = Date().addingTimeInterval(120)
        while acked().count < 25, Date() < deadline, streamer.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        first.kill9()
        streamer.waitUntilExit()
        let acknowledged = acked()
        #expect(acknowledged.count >= 25)
        #expect(acknowledged == Array(0..<acknowledged.count))

        // Restart: the database opens, and every acknowledged batch is a duplicate (it was kept).
        let second = try ServerProcess(vigil: vigil, dataDir: dataDir)
        let resent = try python(second.url, "resend")
        second.stop()
        #expect(resent.status == 0, "\(resent.stderr)")
        #expect(resent.stdout.contains("duplicates \(acknowledged.count) of \(acknowledged.count)"), "\(resent.stdout)")

        // Directly in the store: every acknowledged file is there, and batches were applied whole
        // (at most one batch, the one in flight at the kill, may have committed without its answer).
        let store = try SQLiteFleetStore(path: dataDir.appendingPathComponent("fleet.sqlite").path)
        try await store.migrate()
        let count = try await store.inventoryCount()
        #expect(count % 50 == 0, "a partial batch is in the store: \(count) rows")
        #expect(count >= acknowledged.count * 50 && count <= (acknowledged.count + 1) * 50)
        let last = try #require(acknowledged.last)
        let probe = Data(SHA256.hash(data: Data("\(last)-49".utf8)))
        #expect(try await store.inventory(sha256: [probe]).count == 1)
        print("vigil serve killed after \(acknowledged.count) acknowledged batches; \(count / 50) batches (\(count) rows) in the store after restart")
        try await store.close()
    }

    @Test(
        "TLS with --tls-cert/--tls-key serves HTTPS; plain HTTP off loopback is refused without --allow-insecure-http",
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl is absent"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "curl is absent"))
    func tls() async throws {
        let vigil = try #require(TestSupport.vigilExecutable)
        let work = try TestSupport.makeTemporaryDirectory("vigil-serve-tls")
        defer { try? FileManager.default.removeItem(at: work) }
        let dataDir = work.appendingPathComponent("data")

        let refused = try TestSupport.runVigil(["serve", "--data-dir", dataDir.path, "--listen", "0.0.0.0:0"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--allow-insecure-http"), "\(refused.stderr)")

        let cert = work.appendingPathComponent("server.pem").path
        let key = work.appendingPathComponent("server.key").path
        let made = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try ServerProcess(vigil: vigil, dataDir: dataDir, extra: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        // The agent's view: the server's certificate pinned as the only CA.
        let answer = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/curl"), [
            "-sS", "--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}", server.url + FleetRoutes.hosts,
        ])
        #expect(answer.stdout == "401", "\(answer.stdout) \(answer.stderr)")
        // Without the CA the handshake fails: the connection is really TLS with this certificate.
        let untrusted = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-sS", "-o", "/dev/null", server.url + FleetRoutes.hosts])
        #expect(untrusted.status != 0)
    }


    @Test(
        "vigil hunt --report-to posts its network evidence to vigil serve; a C2 domain published later is found without resending",
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"))
    func huntReportTo() async throws {
        let vigil = try #require(TestSupport.vigilExecutable)
        let work = try TestSupport.makeTemporaryDirectory("vigil-hunt-report")
        defer { try? FileManager.default.removeItem(at: work) }
        let dataDir = work.appendingPathComponent("data")
        let logs = work.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        let day = 1_774_742_400.0  // 2026-03-29T00:00:00Z
        func ts(_ t: Double) -> String { String(format: "%.6f", t) }
        var dns = header + "#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n"
        dns += ts(day + 100) + "\tD1\t10.7.0.20\t5353\t10.7.0.1\t53\tudp\twiki.corp.test\tA\tNOERROR\t192.0.2.7\t60\n"
        dns += ts(day + 200) + "\tD2\t10.7.0.31\t5353\t10.7.0.1\t53\tudp\tcdn.later-c2.test\tA\tNOERROR\t192.0.2.8\t60\n"
        dns += ts(day + 300) + "\tD3\t10.7.0.31\t5353\t10.7.0.1\t53\tudp\tcdn.later-c2.test\tA\tNOERROR\t192.0.2.8\t60\n"
        dns += ts(day + 400) + "\tD4\t10.7.0.20\t5353\t10.7.0.1\t53\tudp\tazureonlinestorage.com\tA\tNOERROR\t192.0.2.9\t60\n"
        try dns.write(to: logs.appendingPathComponent("dns.log"), atomically: true, encoding: .utf8)
        var dhcp = header + "#path\tdhcp\n#fields\tts\tuids\tclient_addr\tserver_addr\tmac\thost_name\tclient_fqdn\tdomain\trequested_addr\tassigned_addr\tlease_time\tclient_message\tserver_message\tmsg_types\tduration\n"
        dhcp += ts(day + 5) + "\tCd1\t-\t10.7.0.1\t02:00:00:00:00:31\tpc-31\t-\tcorp\t10.7.0.31\t10.7.0.31\t86400.000000\t-\t-\tREQUEST,ACK\t0.01\n"
        // A MAC of 40 two-byte characters (80 bytes; the server takes 64) and a host name of 300
        // four-byte characters (1,200 bytes; the server takes 1,024): cut by bytes, the report is accepted.
        let wideMAC = String(repeating: "\u{C9}", count: 40), wideName = String(repeating: "\u{1D11E}", count: 300)
        dhcp += ts(day + 50) + "\tCd2\t-\t10.7.0.1\t\(wideMAC)\t\(wideName)\t-\tcorp\t10.7.0.32\t10.7.0.32\t86400.000000\t-\t-\tREQUEST,ACK\t0.01\n"
        try dhcp.write(to: logs.appendingPathComponent("dhcp.log"), atomically: true, encoding: .utf8)

        #expect(try TestSupport.runVigil(["serve", "user", "add", "ana", "--role", "analyst", "--data-dir", dataDir.path]).status == 0)
        #expect(try TestSupport.runVigil(["serve", "user", "add", "vic", "--role", "viewer", "--data-dir", dataDir.path]).status == 0)
        let analyst = try TestSupport.runVigil(["serve", "token", "create", "--user", "ana", "--data-dir", dataDir.path])
        let viewer = try TestSupport.runVigil(["serve", "token", "create", "--user", "vic", "--data-dir", dataDir.path])
        #expect(analyst.status == 0 && viewer.status == 0, "\(analyst.stderr) \(viewer.stderr)")
        let token = analyst.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try ServerProcess(vigil: vigil, dataDir: dataDir)
        defer { server.stop() }

        // The hunt alone, then with --report-to: the same findings and exit status (the built-in 3CX C2 hit).
        let plain = try TestSupport.runVigil(["hunt", logs.path, "--format", "jsonl"])
        let reported = try TestSupport.runVigil([
            "hunt", logs.path, "--format", "jsonl", "--report-to", server.url, "--token", token, "--sensor", "zeek-lab",
        ])
        #expect(plain.status == 1)
        #expect(reported.status == plain.status, "\(reported.stderr)")
        #expect(reported.stdout == plain.stdout)
        #expect(reported.stdout.contains("azureonlinestorage.com"))
        #expect(reported.stderr.contains("Reported to \(server.url)"), "\(reported.stderr)")
        #expect(reported.stderr.contains("3 contact row(s), 1 new hit/beacon evidence item(s), 2 new DHCP lease(s)"), "\(reported.stderr)")

        // A viewer token, or no server, is an error: exit status 2, the hunt's output still printed.
        let refused = try TestSupport.runVigil(["hunt", logs.path, "--report-to", server.url, "--token",
                                                viewer.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("403") || refused.stderr.contains("forbidden"), "\(refused.stderr)")

        // The C2 domain is published afterwards: the contact index answers without any log being sent again.
        let feed = work.appendingPathComponent("late.txt")
        try "later-c2.test\n".write(to: feed, atomically: true, encoding: .utf8)
        let tokenFile = work.appendingPathComponent("token")
        try token.write(to: tokenFile, atomically: true, encoding: .utf8)
        let added = try TestSupport.runVigil([
            "fleet", "feed", "add", feed.path, "--name", "late", "--feed-format", "plain", "--server", server.url, "--token-file", tokenFile.path,
        ])
        #expect(added.status == 0, "\(added.stderr)")
        server.stop()
        let store = try SQLiteFleetStore(path: dataDir.appendingPathComponent("fleet.sqlite").path)
        defer { Task { try? await store.close() } }
        let evidence = try await store.networkEvidence(limit: 10).map(\.evidence)
        #expect(evidence.count == 2)  // the hunt's own hit and the retro-hunt's
        #expect(evidence.contains { $0.destination == "azureonlinestorage.com" && $0.address == "10.7.0.20" && $0.channel == "dns-query" })
        let e = try #require(evidence.first { $0.indicator == "later-c2.test" })
        #expect(e.address == "10.7.0.31" && e.destination == "cdn.later-c2.test" && e.indicator == "later-c2.test")
        #expect(e.sensor == "zeek-lab" && e.count == 2)
        #expect(e.evidence.first?.file.hasSuffix("dns.log") == true && e.evidence.first?.line == 8)
        let leases = try await store.dhcpLeases()
        #expect(leases.map(\.hostName) == ["pc-31", String(repeating: "\u{1D11E}", count: 256)])
        #expect(leases.last?.mac == String(repeating: "\u{E9}", count: 32))
    }

    @Test(
        "two vigil serve processes on one PostgreSQL database share batches, feeds and findings",
        .enabled(if: ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"] != nil, "VIGIL_TEST_POSTGRES_URL is not set (scripts/postgres.sh start)"),
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "python3 is absent"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"), "psql is absent"))
    func twoServersOnePostgres() async throws {
        let vigil = try #require(TestSupport.vigilExecutable)
        let admin = try #require(ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"])
        let work = try TestSupport.makeTemporaryDirectory("vigil-serve-pg")
        defer { try? FileManager.default.removeItem(at: work) }
        let database = "vigil_srv_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let psql = URL(fileURLWithPath: "/usr/bin/psql")
        let created = try TestSupport.run(psql, [admin, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(database)"])
        #expect(created.status == 0, "\(created.stderr)")
        defer { _ = try? TestSupport.run(psql, [admin, "-c", "DROP DATABASE \(database) WITH (FORCE)"]) }
        var parts = try #require(URLComponents(string: admin))
        parts.path = "/" + database
        let url = try #require(parts.string)

        let secret = try TestSupport.runVigil(["serve", "secret", "create", "--name", "pg", "--database", url])
        #expect(secret.status == 0, "\(secret.stderr)")
        #expect(try TestSupport.runVigil(["serve", "user", "add", "ana", "--role", "analyst", "--database", url]).status == 0)
        let token = try TestSupport.runVigil(["serve", "token", "create", "--user", "ana", "--database", url])
        #expect(token.status == 0, "\(token.stderr)")

        let a = try ServerProcess(vigil: vigil, dataDir: work, extra: ["--database", url])
        defer { a.stop() }
        let b = try ServerProcess(vigil: vigil, dataDir: work, extra: ["--database", url])
        defer { b.stop() }
        try twoServerScript.write(to: work.appendingPathComponent("two.py"), atomically: true, encoding: .utf8)
        let run = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/python3"), [
            work.appendingPathComponent("two.py").path, a.url, b.url,
            secret.stdout.trimmingCharacters(in: .whitespacesAndNewlines), token.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
        ])
        #expect(run.status == 0, "\(run.stderr)")
        struct Outcome: Decodable {
            var a1: BatchAcknowledgement
            var b1: BatchAcknowledgement
            var a2: BatchAcknowledgement
            var feed: [String: Double]
            var paths: [String]
        }
        let outcome = try JSONDecoder().decode(Outcome.self, from: Data(run.stdout.utf8))
        #expect(outcome.a1.duplicate == false)
        #expect(outcome.b1.duplicate == true)  // idempotency lives in the database, not in server A
        #expect(outcome.feed["newFindings"] == 1)  // B's retro-hunt found A's batch
        #expect(outcome.a2.findingsRecorded == 1)  // A reloaded the feed B stored
        #expect(outcome.paths == ["/opt/bad1.bin", "/opt/bad2.bin"])
    }
}
