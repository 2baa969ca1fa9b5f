import Foundation
import Testing
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The real thing: `vigil serve` on a loopback port with its SQLite store, `vigil agent` enrolling and
/// sweeping, `vigil fleet` asking, and a feed added afterwards retro-hunting the stored inventory.
@Suite(.serialized) struct EndToEndTests {
    /// `vigil serve` started in the background; killed (by its pid) on release.
    final class Server {
        let process = Process()
        let url: String

        init(executable: URL, dataDir: String) throws {
            process.executableURL = executable
            process.arguments = ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--no-default-indicators"]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: "listening on "), let end = text[range.upperBound...].firstIndex(of: "\n") {
                    url = String(text[range.upperBound..<end]).trimmingCharacters(in: .whitespaces)
                    return
                }
            }
            kill(process.processIdentifier, SIGKILL)
            throw FakeServerError(message: "vigil serve did not start: \(text)")
        }

        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    func run(_ args: [String], _ env: [String: String] = [:]) throws -> TestSupport.RunResult {
        try TestSupport.runVigil(args, environment: env)
    }

    @Test func enrolSweepFindAndRetroHunt() throws {
        guard let exe = TestSupport.vigilExecutable else {
            Issue.record("vigil executable not built")
            return
        }
        let w = try AgentWorld()
        let dataDir = w.root.appendingPathComponent("server-data").path
        let badText = "stand-in for a trojanised d3dcompiler_47.dll\n"
        let bad = try w.write("app/d3dcompiler_47.dll", badText)
        try w.write("app/readme.txt", "a clean file\n")
        let badSHA = sha256Hex(badText)

        let secret = try run(["serve", "secret", "create", "--name", "test", "--data-dir", dataDir])
        try #require(secret.status == 0, "\(secret.stderr)")
        try Data(secret.stdout.utf8).write(to: URL(fileURLWithPath: w.secretFile))
        #expect(try run(["serve", "user", "add", "alice", "--role", "analyst", "--data-dir", dataDir]).status == 0)
        let token = try run(["serve", "token", "create", "--user", "alice", "--data-dir", dataDir])
        try #require(token.status == 0, "\(token.stderr)")
        let env = ["VIGIL_FLEET_TOKEN": token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]

        let server = try Server(executable: exe, dataDir: dataDir)
        let enrol = try run(["agent", "enroll", "--server", server.url, "--secret-file", w.secretFile, "--state-dir", w.stateDir])
        #expect(enrol.status == 0, "\(enrol.stderr)")
        let once = try run(["agent", "once", "--state-dir", w.stateDir, "--root", w.tree, "--no-default-indicators", "--format", "json"])
        #expect(once.status == 0, "\(once.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(once.stdout.utf8)) as? [String: Any]
        #expect(report?["batchesAcknowledged"] as? Int == 1)
        #expect(report?["filesInInventory"] as? Int == 2)

        // The inventory is at the server.
        let hosts = try run(["fleet", "hosts", "--server", server.url, "--format", "json"], env)
        #expect(hosts.status == 0, "\(hosts.stderr)")
        let found = try run(["fleet", "find", badSHA, "--server", server.url, "--format", "csv"], env)
        #expect(found.status == 1, "\(found.stderr)")
        #expect(found.stdout.contains(bad))
        let byName = try run(["fleet", "find", "d3dcompiler_47.dll", "--server", server.url], env)
        #expect(byName.status == 1 && byName.stdout.contains(badSHA))
        #expect(try run(["fleet", "findings", "--server", server.url], env).status == 0)

        // The agent stops for good; a feed added afterwards still flags the host from the stored inventory.
        let feed = w.root.appendingPathComponent("vendor-advisory.txt").path
        try Data((badSHA + "\n").utf8).write(to: URL(fileURLWithPath: feed))
        let added = try run(["fleet", "feed", "add", feed, "--server", server.url], env)
        #expect(added.status == 0, "\(added.stderr)")
        let findings = try run(["fleet", "findings", "--server", server.url, "--format", "jsonl"], env)
        #expect(findings.status == 1, "\(findings.stderr)")
        #expect(findings.stdout.contains("ioc.hash") && findings.stdout.contains(bad))

        // The next sweep is a delta: nothing changed, nothing read again.
        let again = try run(["agent", "once", "--state-dir", w.stateDir, "--root", w.tree, "--no-default-indicators", "--format", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(second?["added"] as? Int == 0 && second?["removed"] as? Int == 0)
        // The server's new indicator changed the configuration digest: both files were read again.
        #expect(second?["indicatorsUpdated"] as? Bool == true)
    }
}
