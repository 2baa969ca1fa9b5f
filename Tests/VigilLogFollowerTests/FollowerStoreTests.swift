import Foundation
import Testing
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetStore
import VigilHunt
import VigilIndicators
import _VigilTestSupport
@testable import VigilLogFollower

#if canImport(Glibc)
import Glibc
#endif

/// Contact rows of the index below `example.test`, as (day, client, name) → count.
private func exampleCounts(_ store: any FleetStore) async throws -> [String: Int] {
    var out: [String: Int] = [:]
    for c in try await store.contactNames(matching: ["example.test"], limit: 1_000_000) {
        out["\(c.sensor) \(c.row.day) \(c.row.client) \(c.row.name ?? "-")", default: 0] += c.row.count
    }
    return out
}

/// Sets a file's modification time in the past, so the follower treats a rotation as settled.
private func age(_ url: URL) throws {
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: url.path)
}

@Suite("Log follower with the SQLite and PostgreSQL stores", .serialized)
struct FollowerStoreTests {
    @Test(arguments: StoreBackend.allCases)
    func rotatedAndLiveLogsAreReadOnceAndOnlyNewRecordsLater(_ backend: StoreBackend) async throws {
        let work = try TestSupport.makeTemporaryDirectory("vigil-follow-\(backend.rawValue)")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("zeek")
        try TestSupport.write(try Logs.gzip(Logs.dnsHeader + Logs.dns(0..<200)), to: "dns.2023-03-29-09-00-00.log.gz", in: dir)
        try Logs.write(Logs.dnsHeader + Logs.dns(200..<300), "dns.log", in: dir)
        // A rotation whose .gz was cut short: its complete lines before the cut are read, the damage
        // is reported with the file, and the other files are read.
        let whole = try Logs.gzip(Logs.dnsHeader + Logs.dns(0..<3000, tag: "-t"))
        try TestSupport.write(Array(whole.prefix(whole.count / 2)), to: "dns.2023-03-29-08-00-00.log.gz", in: dir)
        let log = DiagnosticLog()
        let opened = try await backend.open(in: work)
        let store = opened.store
        func follower(_ store: any FleetStore) -> LogFollower {
            var c = LogFollowerConfiguration(directory: dir.path, sensor: "zeek1")
            c.settleSeconds = 0
            c.maxLinesPerReport = 37
            return LogFollower(
                configuration: c, cursors: { try await store.logCursors(source: $0) },
                deliver: { _ = try await store.applyNetworkReport($0, receivedAt: Date()) }, indicators: { IndicatorSet() },
                onDiagnostic: { log.add($0) })
        }
        let f = follower(store)
        try await f.poll()
        let cut = try #require(try await store.logCursors(source: dir.path).first { $0.path == dir.appendingPathComponent("dns.2023-03-29-08-00-00.log.gz").path })
        #expect(cut.finished)
        let readFromCut = Int(cut.lines) - Logs.dnsHeaderLines
        #expect(readFromCut > 0 && readFromCut < 3000)
        #expect(log.all.contains { $0.kind == "unreadable" && $0.path == dir.appendingPathComponent("dns.2023-03-29-08-00-00.log.gz").path })
        var counts = try await exampleCounts(store)
        #expect(counts.values.reduce(0, +) == 300 + readFromCut)
        try await f.poll()
        #expect(try await exampleCounts(store) == counts, "a second look reads nothing again")

        try Logs.append(Logs.dns(300..<350), "dns.log", in: dir)
        try Logs.write(Logs.dnsHeader + Logs.dns(400..<480, tag: "-r"), "dns.2023-03-29-10-00-00.log", in: dir)
        try await f.poll()
        counts = try await exampleCounts(store)
        #expect(counts.values.reduce(0, +) == 430 + readFromCut)
        // Exactly the new records: the counts equal one reading of all the records.
        let expected = Dictionary(
            (0..<350).map { i in ("zeek1 2023-03-29 10.1.0.\(i % 5 + 1) host\(i % 7).example.test", 1) }
                + (400..<480).map { i in ("zeek1 2023-03-29 10.1.0.\(i % 5 + 1) host\(i % 7)-r.example.test", 1) }
                + (0..<readFromCut).map { i in ("zeek1 2023-03-29 10.1.0.\(i % 5 + 1) host\(i % 7)-t.example.test", 1) }, uniquingKeysWith: +)
        #expect(counts == expected)

        // A restarted server (a new process: a new connection to the store, a new follower) starts from
        // the store's cursors and reads nothing again; records appended meanwhile are read once.
        try await store.close()
        let restarted = try opened.connect()
        try Logs.append(Logs.dns(350..<360), "dns.log", in: dir)
        try await follower(restarted).poll()
        let after = Dictionary(
            (0..<360).map { i in ("zeek1 2023-03-29 10.1.0.\(i % 5 + 1) host\(i % 7).example.test", 1) }
                + (400..<480).map { i in ("zeek1 2023-03-29 10.1.0.\(i % 5 + 1) host\(i % 7)-r.example.test", 1) }
                + (0..<readFromCut).map { i in ("zeek1 2023-03-29 10.1.0.\(i % 5 + 1) host\(i % 7)-t.example.test", 1) }, uniquingKeysWith: +)
        #expect(try await exampleCounts(restarted) == after)
        let cursors = try await restarted.logCursors(source: dir.path)
        #expect(cursors.contains { $0.path.hasSuffix("dns.2023-03-29-10-00-00.log") && $0.finished })
        let live = try #require(cursors.first { $0.path == dir.appendingPathComponent("dns.log").path })
        #expect(live.offset == Int64(try Data(contentsOf: dir.appendingPathComponent("dns.log")).count) && !live.finished)
        // Cursors are listed in file-identity order (byte order) on both back ends.
        #expect(cursors.map(\.fileIdentity) == cursors.map(\.fileIdentity).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        try await restarted.close()
        await opened.drop()
    }

    @Test(
        "vigil serve --logs killed with SIGKILL half-way and restarted ends with the counts of an uninterrupted run",
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"),
        arguments: StoreBackend.allCases)
    func killNineHalfWay(_ backend: StoreBackend) async throws {
        let vigil = try #require(TestSupport.vigilExecutable)
        let work = try TestSupport.makeTemporaryDirectory("vigil-follow-kill")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("zeek")
        // A large folder: three hourly rotations (two compressed), a day folder and the live logs.
        var expectedRecords = 0
        for (k, name) in ["dns.2023-03-29-08-00-00.log.gz", "dns.2023-03-29-09-00-00.log.gz", "dns.2023-03-29-10-00-00.log"].enumerated() {
            let text = Logs.dnsHeader + Logs.dns(k * 40_000..<(k + 1) * 40_000, tag: "-\(k)")
            if name.hasSuffix(".gz") { try TestSupport.write(try Logs.gzip(text), to: name, in: dir) } else { try Logs.write(text, name, in: dir) }
            try age(dir.appendingPathComponent(name))
            expectedRecords += 40_000
        }
        try TestSupport.write(try Logs.gzip(Logs.dnsHeader + Logs.dns(200_000..<230_000, tag: "-d")), to: "2023-03-28/dns.00:00:00-01:00:00.log.gz", in: dir)
        try age(dir.appendingPathComponent("2023-03-28/dns.00:00:00-01:00:00.log.gz"))
        try Logs.write(Logs.dnsHeader + Logs.dns(300_000..<360_000, tag: "-live"), "dns.log", in: dir)
        expectedRecords += 30_000 + 60_000
        // A garbled rotation: reported with its path, the rest is read.
        var garbled = Array(try Logs.gzip(Logs.dnsHeader).prefix(10))
        garbled += [UInt8](repeating: 0x5A, count: 5000)
        try TestSupport.write(garbled, to: "dns.2023-03-29-07-00-00.log.gz", in: dir)
        try age(dir.appendingPathComponent("dns.2023-03-29-07-00-00.log.gz"))

        let args = ["--logs", dir.path + "=zeek1", "--logs-poll", "0.2", "--logs-max-lines", "3000"]
        func done(_ store: any FleetStore) async throws -> Bool {
            let cursors = try await store.logCursors(source: dir.path)
            let live = try Data(contentsOf: dir.appendingPathComponent("dns.log")).count
            let rotations = ["dns.2023-03-29-08-00-00.log.gz", "dns.2023-03-29-09-00-00.log.gz", "dns.2023-03-29-10-00-00.log", "2023-03-28/dns.00:00:00-01:00:00.log.gz"]
            return rotations.allSatisfy { name in cursors.contains { $0.path == dir.appendingPathComponent(name).path && $0.finished } }
                && cursors.contains { $0.path == dir.appendingPathComponent("dns.log").path && $0.offset == Int64(live) }
        }
        func wait(_ opened: OpenedStore, until: (any FleetStore) async throws -> Bool) async throws {
            let deadline = Date().addingTimeInterval(600)
            let store = try opened.connect()
            while Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                if (try? await until(store)) ?? false {
                    try await store.close()
                    return
                }
            }
            try await store.close()
            Issue.record("timed out")
        }
        /// A migrated store for one server run (a SQLite file in its data folder, or a PostgreSQL database).
        func prepare(_ dataDir: URL) async throws -> OpenedStore {
            try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
            let opened = try await backend.open(in: dataDir)
            try await opened.store.close()
            return opened
        }

        // The uninterrupted run.
        let cleanDir = work.appendingPathComponent("clean")
        let cleanStore = try await prepare(cleanDir)
        let clean = try FollowerServerProcess(vigil: vigil, dataDir: cleanDir, extra: args + cleanStore.serveArguments)
        try await wait(cleanStore, until: done)
        clean.stop()
        #expect(clean.stderr().contains("dns.2023-03-29-07-00-00.log.gz"), "the garbled rotation is reported with its path")

        // Killed once a third of the reports are in, then restarted.
        let killedDir = work.appendingPathComponent("killed")
        let killedStore = try await prepare(killedDir)
        let first = try FollowerServerProcess(vigil: vigil, dataDir: killedDir, extra: args + killedStore.serveArguments)
        try await wait(killedStore) { store in
            try await store.logCursors(source: dir.path).reduce(Int64(0)) { $0 + $1.lines } > Int64(expectedRecords / 3)
        }
        first.kill9()
        let partial = try killedStore.connect()
        let before = try await exampleCounts(partial).values.reduce(0, +)
        try await partial.close()
        #expect(before > 0 && before < expectedRecords, "killed half-way: \(before) of \(expectedRecords)")
        let second = try FollowerServerProcess(vigil: vigil, dataDir: killedDir, extra: args + killedStore.serveArguments)
        try await wait(killedStore, until: done)
        second.stop()

        let a = try cleanStore.connect()
        let b = try killedStore.connect()
        let cleanCounts = try await exampleCounts(a)
        let killedCounts = try await exampleCounts(b)
        #expect(cleanCounts.values.reduce(0, +) == expectedRecords)
        #expect(killedCounts == cleanCounts, "neither double-counted nor skipped")
        print("vigil serve --logs (\(backend.rawValue)) killed after \(before) of \(expectedRecords) records; after restart \(killedCounts.values.reduce(0, +))")
        try await a.close()
        try await b.close()
        await cleanStore.drop()
        await killedStore.drop()
    }
}

@Suite("vigil serve --logs options")
struct ServeLogsOptionTests {
    @Test(
        "a missing folder, a bad poll interval and surplus --sensor names are errors (exit 2)",
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"))
    func badOptions() throws {
        let work = try TestSupport.makeTemporaryDirectory("vigil-follow-options")
        defer { try? FileManager.default.removeItem(at: work) }
        let data = work.appendingPathComponent("data").path
        let cases: [([String], String)] = [
            (["--logs", work.appendingPathComponent("absent").path], "no such folder"),
            (["--logs", work.path, "--logs-poll", "0"], "--logs-poll"),
            (["--logs", work.path + "=a", "--sensor", "b"], "more --sensor names"),
            (["--logs", work.path, "--logs", work.path], "given twice"),
        ]
        for (args, message) in cases {
            let r = try TestSupport.runVigil(["serve", "--data-dir", data, "--listen", "127.0.0.1:0"] + args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }
}

/// A running `vigil serve --logs` child process.
final class FollowerServerProcess {
    let process = Process()
    let errFile: URL

    init(vigil: URL, dataDir: URL, extra: [String]) throws {
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        errFile = dataDir.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.executableURL = vigil
        process.arguments = ["serve", "--data-dir", dataDir.path, "--listen", "127.0.0.1:0", "--no-default-indicators"] + extra
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func stderr() -> String { (try? String(contentsOf: errFile, encoding: .utf8)) ?? "" }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
