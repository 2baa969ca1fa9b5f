import Foundation
import PostgresNIO
import Testing
import VigilFleetPostgres
import VigilFleetSQLite
import VigilFleetStore

// The console's searches must be ranges of indexes, never a scan of the host or inventory table
// nor a sort of all matches: checked on the query plans of the statements the stores run.

@Suite("Console search plans: SQLite")
struct SQLiteConsoleSearchPlans {
    @Test func everySearchUsesAnIndex() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteFleetStore(path: dir.appendingPathComponent("f.sqlite").path)
        try await store.migrate()
        func check(_ label: String, _ sql: String, _ args: [SQLiteFleetStore.PlanArgument], index: String) async throws {
            let plan = try await store.explain(sql, args)
            #expect(plan.contains { $0.contains("USING INDEX \(index)") || $0.contains("USING COVERING INDEX \(index)") }, "\(label): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(label) scans a table: \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(label) sorts its matches: \(plan)")
        }
        for (field, index) in [(HostSearchField.name, "host_hostname_lower"), (.identifier, "host_identifier_lower"), (.address, "host_address_lower")] {
            try await check("\(field) prefix", SQLiteFleetStore.prefixSQL(field, bounded: true, after: true),
                            [.text("web"), .text("wec"), .text("web-1"), .integer(5), .integer(50)], index: index)
            try await check("\(field) prefix, first page", SQLiteFleetStore.prefixSQL(field, bounded: true, after: false),
                            [.text("web"), .text("wec"), .integer(50)], index: index)
        }
        for (column, index) in [("sha256", "host_file_sha256"), ("md5", "host_file_md5"), ("sha1", "host_file_sha1")] {
            try await check("\(column) page", SQLiteFleetStore.inventoryDigestSQL(column),
                            [.blob(Data(count: column == "sha256" ? 32 : column == "md5" ? 16 : 20)), .integer(0), .integer(0), .integer(200)],
                            index: index)
        }
        try await check("path page", SQLiteFleetStore.inventoryPathSQL, [.integer(1), .integer(0), .integer(200)], index: "host_file_path")
        try await check("verdict page", SQLiteFleetStore.verdictHostsSQL, [.text("clean"), .integer(0), .integer(50)], index: "host_verdict_state")
        // The substring fallback reads a bounded range of the primary key, not the whole table.
        let scan = try await store.explain(SQLiteFleetStore.substringScanSQL, [.text("web"), .text("web"), .integer(0), .integer(20_000)])
        #expect(scan.contains { $0.contains("SEARCH host USING INTEGER PRIMARY KEY (rowid>?)") }, "\(scan)")
        try await store.close()
    }
}

@Suite(
    "Console search plans: PostgreSQL",
    .enabled(if: PostgresTestServer.url != nil,
             "VIGIL_TEST_POSTGRES_URL is not set: PostgreSQL storage tests skipped (scripts/test.sh starts a private server)")
)
struct PostgresConsoleSearchPlans {
    /// With 20,000 hosts and fresh statistics, every search is an index range (and substring
    /// searches use the trigram index, which migration 5 installs on this test server, where the
    /// user is the database's superuser).
    @Test func everySearchUsesAnIndex() async throws {
        let url = try #require(PostgresTestServer.url)
        let database = "vigil_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await PostgresTestServer.admin(url, "CREATE DATABASE \(database)")
        defer { Task { try? await PostgresTestServer.admin(url, "DROP DATABASE \(database) WITH (FORCE)") } }
        let dbURL = try PostgresTestServer.url(url, database: database)
        let store = try PostgresFleetStore(url: dbURL)
        try await store.migrate()
        try await PostgresTestServer.admin(dbURL, """
            INSERT INTO host (host_identifier, hostname, os, os_version, agent_version, enrolled_at)
            SELECT format('machine-%s', lpad(i::text, 7, '0')), format('ws-%s.corp.example', lpad(i::text, 6, '0')),
                   'linux', '6.1', '0.3.0', now()
            FROM generate_series(1, 20000) i
            """)
        try await PostgresTestServer.admin(dbURL, """
            INSERT INTO host_address (host_id, address, first_seen, last_seen)
            SELECT host_id, format('10.%s.%s.%s', (host_id >> 16) & 255, (host_id >> 8) & 255, host_id & 255), now(), now() FROM host
            """)
        try await PostgresTestServer.admin(dbURL, "INSERT INTO path (path, name) SELECT format('/opt/lib-%s.so', i), format('lib-%s.so', i) FROM generate_series(1, 5) i")
        try await PostgresTestServer.admin(dbURL, """
            INSERT INTO host_file (host_id, path_id, sha256, size, modified, first_seen, last_seen)
            SELECT h.host_id, p.path_id, sha256(p.path::bytea), 1, 1, now(), now() FROM host h CROSS JOIN path p
            """)
        try await PostgresTestServer.admin(dbURL, """
            INSERT INTO host_verdict (host_id, state, body, since, computed_at)
            SELECT host_id, CASE WHEN host_id % 100 = 0 THEN 'active' ELSE 'clean' END, '\\x'::bytea, now(), now() FROM host
            """)
        // One rare path, on the last host only: the page must not walk the primary key looking for it.
        try await PostgresTestServer.admin(dbURL, """
            WITH p AS (INSERT INTO path (path, name) VALUES ('/opt/rare.so', 'rare.so') RETURNING path_id)
            INSERT INTO host_file (host_id, path_id, sha256, size, modified, first_seen, last_seen)
            SELECT 20000, path_id, sha256('rare'::bytea), 1, 1, now(), now() FROM p
            """)
        // VACUUM too: it moves the GIN indexes' pending entries (inserted in bulk after the index was
        // built) into the index proper, as autovacuum does on a live server.
        try await PostgresTestServer.admin(dbURL, "VACUUM ANALYZE")
        #expect(try await store.hasTrigramIndex(), "pg_trgm is part of postgresql-15 and the test user is a superuser")

        func check(_ label: String, _ sql: String, _ bindings: PostgresBindings, index: String) async throws {
            let plan = try await store.explain(sql, bindings).joined(separator: "\n")
            #expect(plan.contains(index), "\(label):\n\(plan)")
            // (`path` may be read whole: the test's has 6 rows.)
            #expect(!plan.contains("Seq Scan on host"), "\(label) scans a table:\n\(plan)")
            #expect(!plan.contains("Sort"), "\(label) sorts its matches:\n\(plan)")
        }
        for (field, index) in [(HostSearchField.name, "host_hostname_lower"), (.identifier, "host_identifier_lower"), (.address, "host_address_lower")] {
            var b = PostgresBindings()
            b.append(field == .address ? "10.0." : field == .name ? "ws-01" : "machine-001")
            b.append(field == .address ? "10.0/" : field == .name ? "ws-02" : "machine-002")
            b.append(field == .address ? "10.0.1.1" : field == .name ? "ws-0123" : "machine-00123")
            b.append(Int64(5))
            b.append(Int64(51))
            try await check("\(field) prefix", PostgresFleetStore.prefixSQL(field), b, index: index)
        }
        var sha = PostgresBindings()
        try sha.append(Data(count: 32))
        sha.append(Int64(0))
        sha.append(Int64(0))
        sha.append(Int64(201))
        try await check("sha256 page", PostgresFleetStore.inventoryDigestSQL("sha256"), sha, index: "host_file_sha256_host")
        // A common path's page may walk either index in host order (its rows are dense); a rare
        // path's must use (path_id, host_id).
        var path = PostgresBindings()
        path.append(Int64(3))
        path.append(Int64(100))
        path.append(Int64(201))
        try await check("common path page", PostgresFleetStore.inventoryPathSQL, path, index: "Index")
        var rare = PostgresBindings()
        rare.append(Int64(6))  // after the 5 common paths
        rare.append(Int64(0))
        rare.append(Int64(201))
        try await check("rare path page", PostgresFleetStore.inventoryPathSQL, rare, index: "host_file_path_host")
        var verdict = PostgresBindings()
        verdict.append("active")
        verdict.append(Int64(0))
        verdict.append(Int64(51))
        try await check("verdict page", PostgresFleetStore.verdictHostsSQL, verdict, index: "host_verdict_state_host")
        // A selective substring: the trigram indexes, not the table.
        var contains = PostgresBindings()
        contains.append(PostgresFleetStore.containsPattern("0999"))
        contains.append(Int64(0))
        contains.append(Int64(PostgresFleetStore.substringIndexedCap + 1))
        let plan = try await store.explain(PostgresFleetStore.substringIndexedSQL, contains)
            .joined(separator: "\n")
        #expect(plan.contains("host_hostname_trgm") && !plan.contains("Seq Scan"), "\(plan)")
        try await store.close()
    }
}
