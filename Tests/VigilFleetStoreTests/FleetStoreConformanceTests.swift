import Crypto
import Foundation
import PostgresNIO
import Testing
import VigilCore
import VigilFleetPostgres
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetStore

// One conformance suite, run against both back ends: every case in `StoreCase` runs once on a
// temporary SQLite file and once on a fresh database of a real PostgreSQL server
// (`VIGIL_TEST_POSTGRES_URL`, set by scripts/test.sh through scripts/postgres.sh).

@Suite("FleetStore conformance: SQLite")
struct SQLiteFleetStoreConformance {
    @Test(arguments: StoreCase.allCases)
    func conformance(_ storeCase: StoreCase) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("fleet.sqlite").path
        let harness = Harness(open: { try SQLiteFleetStore(path: file) })
        try await harness.run(storeCase)
    }

    /// The retro-hunt must probe indexes from the wanted values, never scan the inventory.
    @Test func retroHuntPlanUsesIndexes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteFleetStore(path: dir.appendingPathComponent("f.sqlite").path)
        try await store.migrate()
        for (column, index) in [("sha256", "host_file_sha256"), ("md5", "host_file_md5"), ("sha1", "host_file_sha1"), ("name", "path_name")] {
            let plan = try await store.lookupPlan(column: column)
            #expect(plan.contains { $0.contains("INDEX \(index)") }, "\(column): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN f") || $0.hasPrefix("SCAN p") || $0.hasPrefix("SCAN h") }, "\(column): \(plan)")
        }
        try await store.close()
    }

    /// The contact retro-hunt must search the primary keys by range, never scan the index.
    @Test func contactPlanUsesPrimaryKeys() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteFleetStore(path: dir.appendingPathComponent("f.sqlite").path)
        try await store.migrate()
        let (names, servers) = try await store.contactPlans()
        #expect(names.contains { $0.contains("SEARCH c USING PRIMARY KEY (rname>? AND rname<?)") }, "\(names)")
        #expect(servers.contains { $0.contains("SEARCH c USING PRIMARY KEY (addr>? AND addr<?)") }, "\(servers)")
        #expect(!(names + servers).contains { $0.hasPrefix("SCAN c") }, "\(names) \(servers)")
        try await store.close()
    }

    @Test func durabilityPragmas() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteFleetStore(path: dir.appendingPathComponent("f.sqlite").path)
        try await store.migrate()
        let (journal, synchronous) = try await store.pragmas()
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        try await store.close()
    }
}

@Suite(
    "FleetStore conformance: PostgreSQL",
    .enabled(if: PostgresTestServer.url != nil,
             "VIGIL_TEST_POSTGRES_URL is not set: PostgreSQL storage tests skipped (scripts/test.sh starts a private server)")
)
struct PostgresFleetStoreConformance {
    @Test(arguments: StoreCase.allCases)
    func conformance(_ storeCase: StoreCase) async throws {
        let url = try #require(PostgresTestServer.url)
        let database = "vigil_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await PostgresTestServer.admin(url, "CREATE DATABASE \(database)")
        let harness = Harness(open: { try PostgresFleetStore(url: PostgresTestServer.url(url, database: database)) })
        do {
            try await harness.run(storeCase)
        } catch {
            try? await PostgresTestServer.admin(url, "DROP DATABASE \(database) WITH (FORCE)")
            throw error
        }
        try await PostgresTestServer.admin(url, "DROP DATABASE \(database) WITH (FORCE)")
    }

    /// The contact retro-hunt reads the contact tables through their primary keys (range scans), even
    /// with statistics saying the tables are large: never a sequential scan.
    @Test func contactPlanUsesPrimaryKeys() async throws {
        let url = try #require(PostgresTestServer.url)
        let database = "vigil_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await PostgresTestServer.admin(url, "CREATE DATABASE \(database)")
        defer { Task { try? await PostgresTestServer.admin(url, "DROP DATABASE \(database) WITH (FORCE)") } }
        let store = try PostgresFleetStore(url: PostgresTestServer.url(url, database: database))
        try await store.migrate()
        // Some rows and fresh statistics, so the planner decides on data rather than on defaults.
        _ = try await store.applyNetworkReport(report("plan", names: (0..<3_000).map {
            nameRow(day0, "10.0.\($0 % 200 / 10).\($0 % 10)", "h\($0).example-\($0 % 50).com", first: ts(Double($0)))
        }, servers: (0..<3_000).map { serverRow(day0, "10.0.0.\($0 % 200)", "198.51.\($0 / 250).\($0 % 250)", first: ts(Double($0))) }),
                                               receivedAt: at(1))
        try await store.refreshStatistics()
        let (names, servers) = try await store.contactPlans()
        #expect(names.contains { $0.contains("contact_name_pkey") }, "\(names.joined(separator: "\n"))")
        #expect(servers.contains { $0.contains("contact_server_pkey") }, "\(servers.joined(separator: "\n"))")
        #expect(!(names + servers).contains { $0.contains("Seq Scan on contact_") }, "\((names + servers).joined(separator: "\n"))")
        try await store.close()
    }
}

@Suite("PostgreSQL store configuration")
struct PostgresConfigurationTests {
    @Test func urlParsing() throws {
        let c = try PostgresFleetStore.configuration(url: "postgres://u:p%40ss@db.example:6543/fleet?sslmode=disable")
        #expect(c.host == "db.example")
        #expect(c.port == 6543)
        #expect(c.username == "u")
        #expect(c.database == "fleet")
        #expect(throws: FleetStoreError.self) { try PostgresFleetStore.configuration(url: "mysql://u@h/db") }
        #expect(throws: FleetStoreError.self) { try PostgresFleetStore.configuration(url: "postgres://u@h/db?sslmode=bogus") }
    }
}

enum PostgresTestServer {
    static var url: String? {
        guard let v = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"], !v.isEmpty else { return nil }
        return v
    }

    /// The same server and credentials, another database.
    static func url(_ base: String, database: String) throws -> String {
        var c = try #require(URLComponents(string: base))
        c.path = "/" + database
        return try #require(c.string)
    }

    /// Runs one administrative statement (the name is generated by the test, never user input).
    static func admin(_ base: String, _ sql: String) async throws {
        let config = try PostgresFleetStore.configuration(url: base)
        var logger = Logger(label: "vigil.test")
        logger.logLevel = .error
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: sql))
            group.cancelAll()
        }
    }
}

/// Opens stores on one database; each case gets a migrated store and may open more (a second server).
struct Harness: Sendable {
    let open: @Sendable () throws -> any FleetStore

    func run(_ storeCase: StoreCase) async throws {
        let store = try open()
        try await store.migrate()
        do {
            try await storeCase.run(store, self)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}

enum StoreCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case enrollmentSecrets, hostEnrollmentAndKeys, hostContactAndAddresses, batchDelta, duplicateBatch, lookupsAcrossHosts,
         bulkLookup, hostileBatch, findingsFirstLastSeen, feedsAndGeneration, usersAndTokens, migrationsTwice, concurrentBatches,
         consoleSessionsAndAudit, consoleQueries, contactMerge, networkReportIdempotent, contactNameSuffix, contactServerRanges,
         contactPruning, logCursors, networkEvidenceMerge, hostileNetworkReport, verdictHistory, consoleFindingMarks, consoleUserManagement,
         consoleVerdictCounts, consoleSearch

    var testDescription: String { rawValue }

    func run(_ store: any FleetStore, _ harness: Harness) async throws {
        switch self {
        case .enrollmentSecrets: try await Cases.enrollmentSecrets(store)
        case .hostEnrollmentAndKeys: try await Cases.hostEnrollmentAndKeys(store)
        case .hostContactAndAddresses: try await Cases.hostContactAndAddresses(store)
        case .batchDelta: try await Cases.batchDelta(store)
        case .duplicateBatch: try await Cases.duplicateBatch(store)
        case .lookupsAcrossHosts: try await Cases.lookupsAcrossHosts(store)
        case .bulkLookup: try await Cases.bulkLookup(store)
        case .hostileBatch: try await Cases.hostileBatch(store)
        case .findingsFirstLastSeen: try await Cases.findingsFirstLastSeen(store)
        case .feedsAndGeneration: try await Cases.feedsAndGeneration(store)
        case .usersAndTokens: try await Cases.usersAndTokens(store)
        case .migrationsTwice: try await Cases.migrationsTwice(store, harness)
        case .concurrentBatches: try await Cases.concurrentBatches(store, harness)
        case .consoleSessionsAndAudit: try await Cases.consoleSessionsAndAudit(store, harness)
        case .consoleQueries: try await Cases.consoleQueries(store)
        case .contactMerge: try await Cases.contactMerge(store)
        case .networkReportIdempotent: try await Cases.networkReportIdempotent(store)
        case .contactNameSuffix: try await Cases.contactNameSuffix(store)
        case .contactServerRanges: try await Cases.contactServerRanges(store)
        case .contactPruning: try await Cases.contactPruning(store)
        case .logCursors: try await Cases.logCursors(store)
        case .networkEvidenceMerge: try await Cases.networkEvidenceMerge(store)
        case .hostileNetworkReport: try await Cases.hostileNetworkReport(store)
        case .verdictHistory: try await Cases.verdictHistory(store)
        case .consoleFindingMarks: try await Cases.consoleFindingMarks(store)
        case .consoleUserManagement: try await Cases.consoleUserManagement(store)
        case .consoleVerdictCounts: try await Cases.consoleVerdictCounts(store)
        case .consoleSearch: try await Cases.consoleSearch(store)
        }
    }
}

// MARK: Helpers

let t0 = Date(timeIntervalSince1970: 1_780_000_000)
func at(_ seconds: Int) -> Date { t0.addingTimeInterval(TimeInterval(seconds)) }

func sha256(_ text: String) -> Data { Data(SHA256.hash(data: Data(text.utf8))) }
func hex(_ d: Data) -> String { FleetHex.encode(d) }

func facts(_ name: String, id: String? = nil, addresses: [String] = ["10.0.0.1"]) -> AgentFacts {
    AgentFacts(hostname: name, hostIdentifier: id ?? "machine-\(name)", os: "linux", osVersion: "6.1", agentVersion: "0.1",
               addresses: addresses)
}

func file(_ path: String, content: String, md5: Bool = false, signer: String? = nil) -> InventoryFile {
    let data = Data(content.utf8)
    return InventoryFile(
        path: path, sha256: hex(Data(SHA256.hash(data: data))),
        md5: md5 ? hex(Data(Insecure.MD5.hash(data: data))) : nil, sha1: md5 ? hex(Data(Insecure.SHA1.hash(data: data))) : nil,
        size: Int64(data.count), modified: 1_700_000_000, signer: signer, productName: signer == nil ? nil : "3CX Desktop App",
        version: signer == nil ? nil : "18.12.416")
}

func batch(_ id: String, host: AgentFacts, files: [InventoryFile] = [], removed: [String] = [], findings: [Finding] = []) -> InventoryBatch {
    InventoryBatch(batchID: id, agent: host, sweepID: "sweep-1", sequence: 1, isLastOfSweep: true, sweepStarted: 1_700_000_000,
                   roots: ["/"], files: files, removed: removed, findings: findings)
}

func hashFinding(path: String, indicator: String, severity: Severity = .critical) -> Finding {
    Finding(check: "ioc.hash", title: "file matches a known-bad SHA-256", severity: severity, path: path,
            explanation: "The file's SHA-256 is listed by a feed.", attack: ["T1195.002"], source: "test-feed", indicator: indicator)
}

func enroll(_ store: any FleetStore, _ name: String) async throws -> HostRecord {
    try await store.enrollHost(agent: facts(name), keyHash: sha256("key-\(name)-\(UUID())"), at: t0)
}

// MARK: Cases

enum Cases {
    static func enrollmentSecrets(_ store: any FleetStore) async throws {
        let secret = "vigil_es_0123456789abcdef"
        let hash = sha256(secret)
        let record = try await store.addEnrollmentSecret(name: "default", secretHash: hash, at: t0)
        #expect(record.name == "default")
        #expect(record.createdAt == t0)
        #expect(try await store.enrollmentSecret(hash: hash)?.id == record.id)
        // Only the hash is a key: the secret itself or another hash finds nothing.
        #expect(try await store.enrollmentSecret(hash: Data(secret.utf8)) == nil)
        #expect(try await store.enrollmentSecret(hash: sha256("other")) == nil)
        await #expect(throws: FleetStoreError.self) { _ = try await store.addEnrollmentSecret(name: "again", secretHash: hash, at: t0) }
        let second = try await store.addEnrollmentSecret(name: "lab", secretHash: sha256("s2"), at: at(5))
        #expect(try await store.enrollmentSecrets().map(\.name) == ["default", "lab"])
        #expect(try await store.revokeEnrollmentSecret(id: record.id, at: at(10)))
        #expect(try await store.revokeEnrollmentSecret(id: record.id, at: at(11)) == false)
        #expect(try await store.enrollmentSecret(hash: hash) == nil)
        let listed = try await store.enrollmentSecrets()
        #expect(listed.first { $0.id == record.id }?.revokedAt == at(10))
        #expect(listed.first { $0.id == second.id }?.revokedAt == nil)
    }

    static func hostEnrollmentAndKeys(_ store: any FleetStore) async throws {
        let k1 = sha256("k1"), k2 = sha256("k2"), k3 = sha256("k3")
        let first = try await store.enrollHost(agent: facts("web-01"), keyHash: k1, at: t0)
        #expect(first.hostname == "web-01")
        #expect(first.keyRevoked == false)
        #expect(first.enrolledAt == t0)
        #expect(try await store.host(keyHash: k1)?.id == first.id)
        // The same machine enrolling again keeps its id; the old key stops working.
        let again = try await store.enrollHost(agent: facts("web-01-renamed", id: "machine-web-01"), keyHash: k2, at: at(60))
        #expect(again.id == first.id)
        #expect(again.hostname == "web-01-renamed")
        #expect(try await store.host(keyHash: k1) == nil)
        #expect(try await store.host(keyHash: k2)?.id == first.id)
        // Revocation: the key is refused until the agent enrols again.
        #expect(try await store.revokeHostKey(hostID: first.id, at: at(120)))
        #expect(try await store.host(keyHash: k2) == nil)
        #expect(try await store.host(id: first.id)?.keyRevoked == true)
        #expect(try await store.revokeHostKey(hostID: 987_654, at: at(120)) == false)
        let reenrolled = try await store.enrollHost(agent: facts("web-01", id: "machine-web-01"), keyHash: k3, at: at(180))
        #expect(reenrolled.id == first.id)
        #expect(reenrolled.keyRevoked == false)
        #expect(try await store.host(keyHash: k3)?.id == first.id)
        // Another machine is another host; a key hash cannot belong to two hosts.
        let other = try await store.enrollHost(agent: facts("DB-02"), keyHash: sha256("k4"), at: t0)
        #expect(other.id != first.id)
        await #expect(throws: FleetStoreError.self) { _ = try await store.enrollHost(agent: facts("x"), keyHash: k3, at: t0) }
        #expect(try await store.hosts(matching: HostQuery(nameContains: "db")).map(\.id) == [other.id])
        #expect(try await store.hosts(matching: HostQuery()).count == 2)
        #expect(try await store.hosts(matching: HostQuery(limit: 1, offset: 1)).map(\.id) == [other.id])
        await #expect(throws: FleetStoreError.self) {
            _ = try await store.enrollHost(agent: facts("bad", id: ""), keyHash: sha256("k5"), at: t0)
        }
    }

    static func hostContactAndAddresses(_ store: any FleetStore) async throws {
        let host = try await store.enrollHost(agent: facts("ws-7", addresses: ["10.1.1.7"]), keyHash: sha256("ws7"), at: t0)
        #expect(host.addresses == [HostAddress(address: "10.1.1.7", firstSeen: t0, lastSeen: t0)])
        try await store.recordContact(hostID: host.id, agent: facts("ws-7", addresses: ["10.1.1.7", "fe80::7"]), at: at(300))
        let later = try #require(try await store.host(id: host.id))
        #expect(later.lastContact == at(300))
        #expect(later.addresses == [
            HostAddress(address: "10.1.1.7", firstSeen: t0, lastSeen: at(300)),
            HostAddress(address: "fe80::7", firstSeen: at(300), lastSeen: at(300)),
        ])
        // A late, older report moves nothing backwards.
        try await store.recordContact(hostID: host.id, agent: facts("ws-7", addresses: ["10.1.1.7"]), at: at(100))
        let after = try #require(try await store.host(id: host.id))
        #expect(after.lastContact == at(300))
        #expect(after.addresses.first?.lastSeen == at(300))
        await #expect(throws: FleetStoreError.self) { try await store.recordContact(hostID: 424_242, agent: facts("ghost"), at: t0) }
        let tooMany = facts("ws-7", addresses: (0..<300).map { "10.2.\($0 / 256).\($0 % 256)" })
        await #expect(throws: FleetStoreError.self) { try await store.recordContact(hostID: host.id, agent: tooMany, at: t0) }
    }

    static func batchDelta(_ store: any FleetStore) async throws {
        let host = try await enroll(store, "h1")
        let other = try await enroll(store, "h2")
        let a = file("/usr/bin/a", content: "a"), b = file("/usr/bin/b", content: "b"), c = file("/usr/bin/c", content: "c")
        let first = try await store.applyBatch(hostID: host.id, batch: batch("b1", host: facts("h1"), files: [a, b, c]),
                                               serverFindings: [], receivedAt: at(10))
        #expect(first == BatchOutcome(duplicate: false, filesApplied: 3, filesRemoved: 0, findingsRecorded: 0))
        #expect(try await store.inventoryCount() == 3)
        #expect(try await store.hasInventory(hostID: host.id))
        #expect(try await store.hasInventory(hostID: other.id) == false)

        // b changes, c disappears, d appears; a is not mentioned and stays.
        let b2 = file("/usr/bin/b", content: "b version 2"), d = file("/usr/bin/d", content: "d")
        let second = try await store.applyBatch(
            hostID: host.id, batch: batch("b2", host: facts("h1"), files: [b2, d], removed: ["/usr/bin/c", "/never/there"]),
            serverFindings: [], receivedAt: at(20))
        #expect(second == BatchOutcome(duplicate: false, filesApplied: 2, filesRemoved: 1, findingsRecorded: 0))
        #expect(try await store.inventoryCount() == 3)
        let digests = [a, b, b2, c, d].map { FleetHex.decode($0.sha256, bytes: 32)! }
        let hits = try await store.inventory(sha256: digests)
        #expect(hits.map(\.file.path) == ["/usr/bin/a", "/usr/bin/b", "/usr/bin/d"])
        let hitB = try #require(hits.first { $0.file.path == "/usr/bin/b" })
        #expect(hitB.file == b2)
        #expect(hitB.firstSeen == at(20))  // new content: a new first sighting
        let hitA = try #require(hits.first { $0.file.path == "/usr/bin/a" })
        #expect(hitA.firstSeen == at(10))
        #expect(hitA.lastSeen == at(10))
        #expect(hitA.hostname == "h1")

        // Re-reporting an unchanged file moves last seen only.
        _ = try await store.applyBatch(hostID: host.id, batch: batch("b3", host: facts("h1"), files: [a]), serverFindings: [], receivedAt: at(30))
        let again = try #require(try await store.inventory(sha256: [digests[0]]).first)
        #expect(again.firstSeen == at(10))
        #expect(again.lastSeen == at(30))

        // The same path listed twice in one batch: the last one counts; a path both sent and removed stays.
        let e1 = file("/etc/e", content: "e1"), e2 = file("/etc/e", content: "e2")
        let dup = try await store.applyBatch(
            hostID: host.id, batch: batch("b4", host: facts("h1"), files: [e1, e2], removed: ["/etc/e"]), serverFindings: [], receivedAt: at(40))
        #expect(dup.filesApplied == 1)
        #expect(dup.filesRemoved == 0)
        #expect(try await store.inventory(names: ["e"]).map(\.file) == [e2])
        await #expect(throws: FleetStoreError.self) {
            _ = try await store.applyBatch(hostID: 999_999, batch: batch("b5", host: facts("ghost"), files: [a]), serverFindings: [], receivedAt: t0)
        }
    }

    static func duplicateBatch(_ store: any FleetStore) async throws {
        let host = try await enroll(store, "dup")
        let other = try await enroll(store, "dup2")
        let f = file("/opt/app/bin", content: "x")
        let finding = hashFinding(path: f.path, indicator: f.sha256)
        let one = try await store.applyBatch(hostID: host.id, batch: batch("same-id", host: facts("dup"), files: [f], findings: [finding]),
                                             serverFindings: [], receivedAt: at(1))
        #expect(one == BatchOutcome(duplicate: false, filesApplied: 1, filesRemoved: 0, findingsRecorded: 1))
        // A resend, even with other content under the same id, changes nothing.
        let resend = try await store.applyBatch(
            hostID: host.id, batch: batch("same-id", host: facts("dup"), files: [file("/opt/other", content: "y")], removed: [f.path]),
            serverFindings: [hashFinding(path: "/x", indicator: "y")], receivedAt: at(2))
        #expect(resend == BatchOutcome(duplicate: true, filesApplied: 0, filesRemoved: 0, findingsRecorded: 0))
        #expect(try await store.inventoryCount() == 1)
        #expect(try await store.inventory(names: ["other"]).isEmpty)
        let stored = try await store.findings(matching: FindingQuery(hostID: host.id))
        #expect(stored.count == 1)
        #expect(stored.first?.lastSeen == at(1))
        // Batch ids are per host.
        let theirs = try await store.applyBatch(hostID: other.id, batch: batch("same-id", host: facts("dup2"), files: [f]),
                                                serverFindings: [], receivedAt: at(3))
        #expect(theirs.duplicate == false)
        #expect(try await store.inventoryCount() == 2)
    }

    static func lookupsAcrossHosts(_ store: any FleetStore) async throws {
        let h1 = try await enroll(store, "alpha"), h2 = try await enroll(store, "beta"), h3 = try await enroll(store, "gamma")
        let bad = file("/opt/3cx/ffmpeg.dll", content: "trojanised ffmpeg", md5: true, signer: "3CX Ltd")
        let badWin = InventoryFile(path: "C:\\Program Files\\3CXDesktopApp\\FFmpeg.DLL", sha256: bad.sha256, md5: bad.md5, sha1: bad.sha1,
                                   size: bad.size, modified: bad.modified)
        let clean = file("/usr/lib/libc.so.6", content: "libc", md5: true)
        _ = try await store.applyBatch(hostID: h1.id, batch: batch("1", host: facts("alpha"), files: [bad, clean]), serverFindings: [], receivedAt: at(1))
        _ = try await store.applyBatch(hostID: h2.id, batch: batch("1", host: facts("beta"), files: [badWin]), serverFindings: [], receivedAt: at(2))
        _ = try await store.applyBatch(hostID: h3.id, batch: batch("1", host: facts("gamma"), files: [clean]), serverFindings: [], receivedAt: at(3))

        let bySHA = try await store.inventory(sha256: [FleetHex.decode(bad.sha256, bytes: 32)!])
        #expect(bySHA.map(\.hostID) == [h1.id, h2.id])
        #expect(bySHA.map(\.hostname) == ["alpha", "beta"])
        #expect(bySHA.first?.file == bad)  // signer, product and version come back
        let byMD5 = try await store.inventory(md5: [FleetHex.decode(bad.md5!, bytes: 16)!])
        #expect(byMD5.map(\.hostID) == [h1.id, h2.id])
        let bySHA1 = try await store.inventory(sha1: [FleetHex.decode(clean.sha1!, bytes: 20)!])
        #expect(bySHA1.map(\.hostID) == [h1.id, h3.id])
        // Names match the lower-cased base name, whatever the separator and case.
        let byName = try await store.inventory(names: ["FFMPEG.dll"])
        #expect(Set(byName.map(\.file.path)) == [bad.path, badWin.path])
        #expect(try await store.inventory(names: ["3cx"]).isEmpty)
        #expect(try await store.inventory(sha256: [sha256("absent")]).isEmpty)
        #expect(try await store.inventory(sha256: []).isEmpty)
        #expect(try await store.inventory(sha256: [Data([1, 2, 3])]).isEmpty)  // wrong length: no match, no error
    }

    static func bulkLookup(_ store: any FleetStore) async throws {
        // 1,200 files on two hosts; a retro-hunt of 1,000 digests, half of them present.
        let host = try await enroll(store, "bulk1"), host2 = try await enroll(store, "bulk2")
        let files = (0..<1_200).map { file("/data/f\($0)", content: "content \($0)") }
        _ = try await store.applyBatch(hostID: host.id, batch: batch("a", host: facts("bulk1"), files: files), serverFindings: [], receivedAt: t0)
        _ = try await store.applyBatch(hostID: host2.id, batch: batch("a", host: facts("bulk2"), files: Array(files[0..<100])),
                                       serverFindings: [], receivedAt: t0)
        #expect(try await store.inventoryCount() == 1_300)
        let present = files[0..<500].map { FleetHex.decode($0.sha256, bytes: 32)! }
        let absent = (0..<500).map { sha256("absent \($0)") }
        let hits = try await store.inventory(sha256: present + absent)
        #expect(hits.count == 600)
        #expect(Set(hits.map(\.file.sha256)).count == 500)
        #expect(hits.filter { $0.hostID == host2.id }.count == 100)
    }

    static func hostileBatch(_ store: any FleetStore) async throws {
        let host = try await enroll(store, "hostile")
        let good = file("/bin/ok", content: "ok")
        var bad = file("/bin/bad", content: "bad")
        bad.sha256 = String(repeating: "z", count: 64)
        await #expect(throws: FleetStoreError.self) {
            _ = try await store.applyBatch(hostID: host.id, batch: batch("h1", host: facts("hostile"), files: [good, bad]),
                                           serverFindings: [], receivedAt: t0)
        }
        var short = good
        short.sha256 = "abcd"
        var nul = good
        nul.path = "/bin/a\u{0}b"
        var longMD5 = good
        longMD5.md5 = String(repeating: "a", count: 40)
        for file in [short, nul, longMD5] {
            await #expect(throws: FleetStoreError.self) {
                _ = try await store.applyBatch(hostID: host.id, batch: batch("h1", host: facts("hostile"), files: [file]),
                                               serverFindings: [], receivedAt: t0)
            }
        }
        await #expect(throws: FleetStoreError.self) {
            _ = try await store.applyBatch(hostID: host.id, batch: batch("", host: facts("hostile"), files: [good]), serverFindings: [], receivedAt: t0)
        }
        // Nothing of the refused batches was stored, and their id is still free.
        #expect(try await store.inventoryCount() == 0)
        let ok = try await store.applyBatch(hostID: host.id, batch: batch("h1", host: facts("hostile"), files: [good]),
                                            serverFindings: [], receivedAt: t0)
        #expect(ok.duplicate == false)
        #expect(try await store.inventoryCount() == 1)
    }

    static func findingsFirstLastSeen(_ store: any FleetStore) async throws {
        let h1 = try await enroll(store, "f1"), h2 = try await enroll(store, "f2")
        let f = hashFinding(path: "/opt/3cx/ffmpeg.dll", indicator: String(repeating: "a", count: 64))
        #expect(try await store.recordFindings([HostFinding(hostID: h1.id, finding: f)], at: at(10)) == 1)
        var updated = f
        updated.title = "file matches a known-bad SHA-256 (feed updated)"
        #expect(try await store.recordFindings([HostFinding(hostID: h1.id, finding: updated)], at: at(20)) == 0)
        let stored = try await store.findings(matching: FindingQuery(hostID: h1.id))
        #expect(stored.count == 1)
        #expect(stored.first?.firstSeen == at(10))
        #expect(stored.first?.lastSeen == at(20))
        #expect(stored.first?.finding == updated)
        #expect(stored.first?.hostname == "f1")
        // Another indicator, another host, a finding without indicator: each its own identity.
        var other = f
        other.indicator = "ffmpeg.dll"
        var yara = f
        yara.check = "yara"
        yara.indicator = nil
        yara.severity = .low
        let n = try await store.recordFindings([
            HostFinding(hostID: h1.id, finding: other), HostFinding(hostID: h2.id, finding: f),
            HostFinding(hostID: h2.id, finding: yara), HostFinding(hostID: h2.id, finding: yara),
        ], at: at(30))
        #expect(n == 3)
        #expect(try await store.findings(matching: FindingQuery()).count == 4)
        #expect(try await store.findings(matching: FindingQuery(hostID: h2.id)).count == 2)
        #expect(try await store.findings(matching: FindingQuery(since: at(25))).count == 3)
        #expect(try await store.findings(matching: FindingQuery(minimumSeverity: .high)).count == 3)
        #expect(try await store.findings(matching: FindingQuery(limit: 2)).count == 2)
        // Batch and server findings are recorded with the batch, once per identity.
        let fromBatch = hashFinding(path: "/tmp/x", indicator: "b")
        let outcome = try await store.applyBatch(hostID: h2.id, batch: batch("fb", host: facts("f2"), findings: [fromBatch]),
                                                 serverFindings: [fromBatch, f], receivedAt: at(40))
        #expect(outcome.findingsRecorded == 1)  // f was already on record for h2
        let h2f = try await store.findings(matching: FindingQuery(hostID: h2.id))
        #expect(h2f.count == 3)
        #expect(h2f.first { $0.finding.indicator == f.indicator }?.lastSeen == at(40))
        #expect(h2f.first { $0.finding.indicator == f.indicator }?.firstSeen == at(30))
        await #expect(throws: FleetStoreError.self) {
            var empty = f
            empty.check = ""
            _ = try await store.recordFindings([HostFinding(hostID: h1.id, finding: empty)], at: t0)
        }
    }

    static func feedsAndGeneration(_ store: any FleetStore) async throws {
        let g0 = try await store.feedGeneration()
        let json = Data(#"[{"type":"sha256","value":"aa"}]"#.utf8)
        let record = FeedRecord(name: "3cx", format: "csv", addedAt: at(5), indicatorCount: 1, digest: hex(sha256("v1")))
        try await store.saveFeed(record, indicatorsJSON: json)
        let g1 = try await store.feedGeneration()
        #expect(g1 > g0)
        #expect(try await store.feeds() == [record])
        #expect(try await store.feedIndicatorsJSON(name: "3cx") == json)
        #expect(try await store.feedIndicatorsJSON(name: "none") == nil)
        let json2 = Data(#"[{"type":"sha256","value":"bb"},{"type":"domain","value":"x.example"}]"#.utf8)
        let record2 = FeedRecord(name: "3cx", format: "csv", addedAt: at(6), indicatorCount: 2, digest: hex(sha256("v2")))
        try await store.saveFeed(record2, indicatorsJSON: json2)
        let g2 = try await store.feedGeneration()
        #expect(g2 > g1)
        #expect(try await store.feeds() == [record2])
        #expect(try await store.feedIndicatorsJSON(name: "3cx") == json2)
        #expect(try await store.removeFeed(name: "3cx"))
        let g3 = try await store.feedGeneration()
        #expect(g3 > g2)
        #expect(try await store.removeFeed(name: "3cx") == false)
        #expect(try await store.feedGeneration() == g3)
        #expect(try await store.feeds().isEmpty)
    }

    static func usersAndTokens(_ store: any FleetStore) async throws {
        let alice = try await store.addUser(name: "alice", role: .admin, passwordHash: nil, at: t0)
        #expect(try await store.user(name: "alice") == alice)
        #expect(try await store.user(name: "bob") == nil)
        await #expect(throws: FleetStoreError.self) { _ = try await store.addUser(name: "alice", role: .viewer, passwordHash: nil, at: t0) }
        let bob = try await store.addUser(name: "bob", role: .viewer, passwordHash: "$argon2id$v=19$stub", at: at(1))
        #expect(try await store.user(name: "bob")?.passwordHash == "$argon2id$v=19$stub")
        let tokenHash = sha256("vigil_ut_secret")
        let token = try await store.addAPIToken(userID: bob.id, name: "laptop", tokenHash: tokenHash, at: at(2))
        let found = try #require(try await store.apiToken(hash: tokenHash))
        #expect(found.0 == token)
        #expect(found.1 == bob)
        #expect(try await store.apiToken(hash: Data("vigil_ut_secret".utf8)) == nil)
        await #expect(throws: FleetStoreError.self) { _ = try await store.addAPIToken(userID: alice.id, name: "dup", tokenHash: tokenHash, at: t0) }
        await #expect(throws: FleetStoreError.self) { _ = try await store.addAPIToken(userID: 31_337, name: "x", tokenHash: sha256("t2"), at: t0) }
        #expect(try await store.revokeAPIToken(id: token.id, at: at(3)))
        #expect(try await store.apiToken(hash: tokenHash) == nil)
        #expect(try await store.revokeAPIToken(id: token.id, at: at(4)) == false)
    }

    static func migrationsTwice(_ store: any FleetStore, _ harness: Harness) async throws {
        let host = try await enroll(store, "m")
        _ = try await store.applyBatch(hostID: host.id, batch: batch("m1", host: facts("m"), files: [file("/a", content: "a")]),
                                       serverFindings: [], receivedAt: t0)
        let before = try await appliedVersions(store)
        #expect(!before.isEmpty)
        try await store.migrate()
        // A second server process migrating the same database at the same time.
        let second = try harness.open()
        async let a: Void = store.migrate()
        async let b: Void = second.migrate()
        _ = try await (a, b)
        #expect(try await appliedVersions(store) == before)
        #expect(try await second.inventoryCount() == 1)
        #expect(try await second.host(id: host.id)?.hostname == "m")
        try await second.close()
    }

    static func appliedVersions(_ store: any FleetStore) async throws -> [String] {
        if let s = store as? SQLiteFleetStore { return try await s.appliedMigrations() }
        if let p = store as? PostgresFleetStore { return try await p.appliedMigrations().map(String.init) }
        Issue.record("unknown store type")
        return []
    }

    static func concurrentBatches(_ store: any FleetStore, _ harness: Harness) async throws {
        // Two hosts reporting at once through two store instances (two server processes), with
        // half their paths in common so the shared path dictionary is written concurrently.
        let second = try harness.open()
        let h1 = try await enroll(store, "c1"), h2 = try await enroll(store, "c2")
        func files(_ host: String) -> [InventoryFile] {
            (0..<2_000).map { i in
                i % 2 == 0 ? file("/usr/share/common/\(i)", content: "common \(i)") : file("/home/\(host)/\(i)", content: "\(host) \(i)")
            }
        }
        for round in 0..<3 {
            async let o1 = store.applyBatch(hostID: h1.id, batch: batch("r\(round)", host: facts("c1"), files: files("c1")),
                                            serverFindings: [], receivedAt: at(round))
            async let o2 = second.applyBatch(hostID: h2.id, batch: batch("r\(round)", host: facts("c2"), files: files("c2")),
                                             serverFindings: [], receivedAt: at(round))
            let (r1, r2) = try await (o1, o2)
            #expect(r1.duplicate == false && r1.filesApplied == 2_000)
            #expect(r2.duplicate == false && r2.filesApplied == 2_000)
        }
        #expect(try await store.inventoryCount() == 4_000)
        let common = try await second.inventory(names: ["10"])
        #expect(common.map(\.hostID) == [h1.id, h2.id])
        #expect(try await store.inventory(names: ["11"]).map(\.file.path) == ["/home/c1/11", "/home/c2/11"])
        try await second.close()
    }
}
