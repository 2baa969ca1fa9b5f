import Foundation
import PostgresNIO
import Testing
import VigilFleetPostgres
import VigilFleetSQLite
import VigilFleetStore

// The two storage back ends, for tests that run once on each (`@Test(arguments: StoreBackend.allCases)`).
// PostgreSQL runs on a real server: `VIGIL_TEST_POSTGRES_URL` (scripts/test.sh starts a private one
// through scripts/postgres.sh); each test gets a database of its own, dropped afterwards. Without the
// variable the PostgreSQL case is cancelled (skipped) with the reason; the SQLite case still runs.
// (The same helper is in Tests/VigilFleetServerTests/StoreBackends.swift.)

enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// The PostgreSQL test server's URL, when set.
    static var postgresURL: String? {
        guard let v = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"], !v.isEmpty else { return nil }
        return v
    }

    /// A migrated store: a new SQLite file in `directory`, or a new database on the PostgreSQL test
    /// server.
    func open(in directory: URL) async throws -> OpenedStore {
        switch self {
        case .sqlite:
            let path = directory.appendingPathComponent("fleet.sqlite").path
            let store = try SQLiteFleetStore(path: path)
            try await store.migrate()
            return OpenedStore(store: store, connect: { try SQLiteFleetStore(path: path) }, serveArguments: [], drop: {})
        case .postgres:
            guard let base = Self.postgresURL else {
                print("skipped the PostgreSQL case of \(Test.current?.displayName ?? Test.current?.name ?? "a test"): VIGIL_TEST_POSTGRES_URL is not set")
                try Test.cancel("VIGIL_TEST_POSTGRES_URL is not set: the PostgreSQL case is skipped (scripts/test.sh starts a private server)")
            }
            let database = "vigil_v_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            try await Self.admin(base, "CREATE DATABASE \(database)")
            // Sessions in a zone far from UTC, at an odd offset (+12:45/+13:45): nothing may depend on
            // the server's time zone (days are UTC days, times epoch seconds).
            try await Self.admin(base, "ALTER DATABASE \(database) SET timezone TO 'Pacific/Chatham'")
            var parts = try #require(URLComponents(string: base))
            parts.path = "/" + database
            let url = try #require(parts.string)
            let store = try PostgresFleetStore(url: url)
            do {
                try await store.migrate()
            } catch {
                try? await store.close()
                try? await Self.admin(base, "DROP DATABASE \(database) WITH (FORCE)")
                throw error
            }
            return OpenedStore(store: store, connect: { try PostgresFleetStore(url: url) }, serveArguments: ["--database", url], drop: {
                try? await Self.admin(base, "DROP DATABASE \(database) WITH (FORCE)")
            })
        }
    }

    /// Runs one administrative statement on the test server (names are generated here, never input).
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

/// A store opened for a test.
struct OpenedStore: Sendable {
    let store: any FleetStore
    /// Another connection to the same data (what a restarted or second server process opens).
    let connect: @Sendable () throws -> any FleetStore
    /// What `vigil serve --data-dir DIR` needs besides to use this store (`--database URL` for PostgreSQL).
    let serveArguments: [String]
    /// Removes the PostgreSQL database (after the stores are closed); nothing for SQLite.
    let drop: @Sendable () async -> Void
}
