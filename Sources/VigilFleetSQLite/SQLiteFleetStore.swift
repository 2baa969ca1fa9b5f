import Foundation
import GRDB
import VigilCore
import VigilFleetProtocol
import VigilFleetStore

/// ``FleetStore`` in one SQLite file through GRDB: the embedded default of `vigil serve`.
///
/// WAL journal with `synchronous=FULL`, so a write that returned survives a power cut; one writer
/// at a time (GRDB's `DatabasePool` serialises writes, readers run beside it). Times are stored as
/// integer microseconds since 1970, digests as raw bytes. Schema versions are GRDB migrations
/// (table `grdb_migrations`); see ``SQLiteFleetSchema``.
public final class SQLiteFleetStore: FleetStore {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) the database file; call ``migrate()`` before use.
    /// - Parameter cacheMiB: SQLite page cache per connection.
    public init(path: String, cacheMiB: Int = 64) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.label = "vigil-fleet"
        let cachePages = -max(2, cacheMiB) * 1024
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = \(cachePages)")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        pool = try DatabasePool(path: path, configuration: config)
        // The pool turns WAL on and sets synchronous=NORMAL on its writer; FULL also syncs the WAL
        // at every commit, so an acknowledged batch survives a power cut, not only a crash.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    public func migrate() async throws {
        try SQLiteFleetSchema.migrator.migrate(pool)
    }

    /// The schema migrations applied to this database, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try SQLiteFleetSchema.migrator.appliedMigrations(db) }
    }

    /// The journal mode and `synchronous` level in force (`wal`, 2 = FULL), for checks and diagnostics.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int) {
        try await pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }

    /// Refreshes the query planner's statistics (`ANALYZE`); worth calling after a large ingest.
    public func refreshStatistics() async throws {
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "ANALYZE") }
    }

    public func close() async throws {
        try pool.close()
    }

    // MARK: Enrolment secrets

    public func addEnrollmentSecret(name: String, secretHash: Data, at: Date) async throws -> EnrollmentSecretRecord {
        try FleetInputCheck.hash(secretHash, what: "secret hash")
        try FleetInputCheck.text(name, what: "secret name")
        return try await uniqueWrite("enrolment secret") { db in
            try db.execute(
                sql: "INSERT INTO enrollment_secret (name, secret_hash, created_at) VALUES (?, ?, ?)",
                arguments: [name, secretHash, FleetTime.micros(at)])
            return EnrollmentSecretRecord(id: db.lastInsertedRowID, name: name, createdAt: FleetTime.date(FleetTime.micros(at)))
        }
    }

    public func enrollmentSecret(hash: Data) async throws -> EnrollmentSecretRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM enrollment_secret WHERE secret_hash = ? AND revoked_at IS NULL", arguments: [hash])
                .map(Self.secret)
        }
    }

    public func enrollmentSecrets() async throws -> [EnrollmentSecretRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM enrollment_secret ORDER BY secret_id").map(Self.secret)
        }
    }

    public func revokeEnrollmentSecret(id: Int64, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE enrollment_secret SET revoked_at = ? WHERE secret_id = ? AND revoked_at IS NULL",
                arguments: [FleetTime.micros(at), id])
            return db.changesCount > 0
        }
    }

    private static func secret(_ row: Row) -> EnrollmentSecretRecord {
        EnrollmentSecretRecord(
            id: row["secret_id"], name: row["name"], createdAt: FleetTime.date(row["created_at"]),
            revokedAt: (row["revoked_at"] as Int64?).map(FleetTime.date))
    }

    // MARK: Hosts

    public func enrollHost(agent: AgentFacts, keyHash: Data, at: Date) async throws -> HostRecord {
        try FleetFactsCheck.validate(agent)
        try FleetInputCheck.hash(keyHash, what: "host key hash")
        let t = FleetTime.micros(at)
        return try await uniqueWrite("host key") { db in
            let id = try Int64.fetchOne(
                db,
                sql: """
                    INSERT INTO host (host_identifier, hostname, os, os_version, agent_version, enrolled_at, last_contact, key_hash, key_revoked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                    ON CONFLICT (host_identifier) DO UPDATE SET
                        hostname = excluded.hostname, os = excluded.os, os_version = excluded.os_version,
                        agent_version = excluded.agent_version, key_hash = excluded.key_hash, key_revoked_at = NULL,
                        last_contact = max(coalesce(host.last_contact, excluded.last_contact), excluded.last_contact)
                    RETURNING host_id
                    """,
                arguments: [agent.hostIdentifier, agent.hostname, agent.os, agent.osVersion, agent.agentVersion, t, t, keyHash])!
            try Self.recordAddresses(db, hostID: id, agent: agent, at: t)
            return try Self.fetchHost(db, id: id)!
        }
    }

    public func host(keyHash: Data) async throws -> HostRecord? {
        try await pool.read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT host_id FROM host WHERE key_hash = ? AND key_revoked_at IS NULL", arguments: [keyHash])
            else { return nil }
            return try Self.fetchHost(db, id: id)
        }
    }

    public func host(id: Int64) async throws -> HostRecord? {
        try await pool.read { db in try Self.fetchHost(db, id: id) }
    }

    public func hosts(matching query: HostQuery) async throws -> [HostRecord] {
        let limit = max(0, min(query.limit, 100_000)), offset = max(0, query.offset)
        return try await pool.read { db in
            let rows: [Row]
            if let needle = query.nameContains, !needle.isEmpty {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM host WHERE instr(lower(hostname), ?) > 0 ORDER BY host_id LIMIT ? OFFSET ?",
                    arguments: [needle.lowercased(), limit, offset])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM host ORDER BY host_id LIMIT ? OFFSET ?", arguments: [limit, offset])
            }
            return try rows.map { try Self.host(db, row: $0) }
        }
    }

    public func revokeHostKey(hostID: Int64, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE host SET key_revoked_at = coalesce(key_revoked_at, ?) WHERE host_id = ?",
                arguments: [FleetTime.micros(at), hostID])
            return db.changesCount > 0
        }
    }

    public func recordContact(hostID: Int64, agent: AgentFacts, at: Date) async throws {
        try FleetFactsCheck.validate(agent)
        let t = FleetTime.micros(at)
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE host SET hostname = ?, os = ?, os_version = ?, agent_version = ?,
                        last_contact = max(coalesce(last_contact, ?), ?)
                    WHERE host_id = ?
                    """,
                arguments: [agent.hostname, agent.os, agent.osVersion, agent.agentVersion, t, t, hostID])
            guard db.changesCount > 0 else { throw FleetStoreError.notFound("host \(hostID)") }
            try Self.recordAddresses(db, hostID: hostID, agent: agent, at: t)
        }
    }

    private static func recordAddresses(_ db: Database, hostID: Int64, agent: AgentFacts, at t: Int64) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO host_address (host_id, address, first_seen, last_seen) VALUES (?, ?, ?, ?)
            ON CONFLICT (host_id, address) DO UPDATE SET
                first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
            """)
        for address in FleetFactsCheck.addresses(agent) {
            try statement.execute(arguments: [hostID, address, t, t])
        }
    }

    static func fetchHost(_ db: Database, id: Int64) throws -> HostRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM host WHERE host_id = ?", arguments: [id]).map { try host(db, row: $0) }
    }

    private static func host(_ db: Database, row: Row) throws -> HostRecord {
        let id: Int64 = row["host_id"]
        let addresses = try Row.fetchAll(
            db, sql: "SELECT address, first_seen, last_seen FROM host_address WHERE host_id = ? ORDER BY address", arguments: [id]
        ).map { HostAddress(address: $0[0], firstSeen: FleetTime.date($0[1]), lastSeen: FleetTime.date($0[2])) }
        return HostRecord(
            id: id, hostname: row["hostname"], hostIdentifier: row["host_identifier"], os: row["os"], osVersion: row["os_version"],
            agentVersion: row["agent_version"], enrolledAt: FleetTime.date(row["enrolled_at"]),
            lastContact: (row["last_contact"] as Int64?).map(FleetTime.date), keyRevoked: (row["key_revoked_at"] as Int64?) != nil,
            addresses: addresses)
    }

    // MARK: Inventory

    public func applyBatch(hostID: Int64, batch: InventoryBatch, serverFindings: [Finding], receivedAt: Date) async throws -> BatchOutcome {
        let prepared = try PreparedBatch(batch)
        guard !batch.batchID.isEmpty, batch.batchID.utf8.count <= 128 else {
            throw FleetStoreError.invalidInput("batch id is empty or longer than 128 bytes")
        }
        let findings = StoredFindingRow.deduplicated(try (batch.findings + serverFindings).map { try StoredFindingRow(hostID: hostID, finding: $0) })
        let t = FleetTime.micros(receivedAt)
        return try await pool.write { db in
            guard try Int64.fetchOne(db, sql: "SELECT 1 FROM host WHERE host_id = ?", arguments: [hostID]) != nil else {
                throw FleetStoreError.notFound("host \(hostID)")
            }
            try db.execute(
                sql: "INSERT INTO applied_batch (host_id, batch_id, applied_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [hostID, batch.batchID, t])
            if db.changesCount == 0 {
                return BatchOutcome(duplicate: true, filesApplied: 0, filesRemoved: 0, findingsRecorded: 0)
            }
            var removedCount = 0
            if !prepared.removed.isEmpty {
                let delete = try db.cachedStatement(sql: """
                    DELETE FROM host_file WHERE host_id = ? AND path_id = (SELECT path_id FROM path WHERE path = ?)
                    """)
                for path in prepared.removed {
                    try delete.execute(arguments: [hostID, path])
                    removedCount += db.changesCount
                }
            }
            let findPath = try db.cachedStatement(sql: "SELECT path_id FROM path WHERE path = ?")
            let addPath = try db.cachedStatement(sql: "INSERT INTO path (path, name) VALUES (?, ?)")
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO host_file (host_id, path_id, sha256, md5, sha1, size, modified, signer, product, version, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (host_id, path_id) DO UPDATE SET
                    first_seen = CASE WHEN host_file.sha256 = excluded.sha256 THEN host_file.first_seen ELSE excluded.first_seen END,
                    sha256 = excluded.sha256, md5 = excluded.md5, sha1 = excluded.sha1, size = excluded.size,
                    modified = excluded.modified, signer = excluded.signer, product = excluded.product,
                    version = excluded.version, last_seen = excluded.last_seen
                """)
            for file in prepared.files {
                let pathID: Int64
                if let id = try Int64.fetchOne(findPath, arguments: [file.path]) {
                    pathID = id
                } else {
                    try addPath.execute(arguments: [file.path, file.name])
                    pathID = db.lastInsertedRowID
                }
                try upsert.execute(arguments: [
                    hostID, pathID, file.sha256, file.md5, file.sha1, file.size, file.modified,
                    file.signer, file.product, file.version, t, t,
                ])
            }
            let recorded = try Self.recordFindings(db, findings, at: t)
            return BatchOutcome(duplicate: false, filesApplied: prepared.files.count, filesRemoved: removedCount, findingsRecorded: recorded)
        }
    }

    public func inventory(sha256 digests: [Data]) async throws -> [InventoryHit] {
        try await lookup(column: "sha256", values: Array(Set(digests.filter { $0.count == 32 })))
    }

    public func inventory(md5 digests: [Data]) async throws -> [InventoryHit] {
        try await lookup(column: "md5", values: Array(Set(digests.filter { $0.count == 16 })))
    }

    public func inventory(sha1 digests: [Data]) async throws -> [InventoryHit] {
        try await lookup(column: "sha1", values: Array(Set(digests.filter { $0.count == 20 })))
    }

    public func inventory(names: [String]) async throws -> [InventoryHit] {
        let wanted = Array(Set(names.map { FleetPathName.name(of: $0) }.filter { !$0.isEmpty }))
        return try await lookup(column: "name", values: wanted)
    }

    /// The retro-hunt query. The wanted values drive the join (CROSS JOIN fixes SQLite's join
    /// order): each value is one probe of an index, never a scan of the inventory.
    private func lookup(column: String, values wanted: [any DatabaseValueConvertible]) async throws -> [InventoryHit] {
        guard !wanted.isEmpty else { return [] }
        let values = wanted.map(\.databaseValue)
        let hits = try await pool.read { db in
            var out: [InventoryHit] = []
            var start = 0
            while start < values.count {
                let chunk = Array(values[start..<min(values.count, start + FleetStoreLimits.lookupChunk)])
                start += chunk.count
                let sql = Self.lookupSQL(column: column, count: chunk.count)
                let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let file = StoredFileRow(
                        path: row[2], name: row[3], sha256: row[4], md5: row[5], sha1: row[6], size: row[7], modified: row[8],
                        signer: row[9], product: row[10], version: row[11])
                    out.append(InventoryHit(
                        hostID: row[0], hostname: row[1], file: file.inventoryFile,
                        firstSeen: FleetTime.date(row[12]), lastSeen: FleetTime.date(row[13])))
                }
            }
            return out
        }
        return hits.sorted { ($0.hostID, $0.file.path) < ($1.hostID, $1.file.path) }
    }

    /// The lookup statement for `count` wanted values of `column` (sha256, md5, sha1 or name).
    static func lookupSQL(column: String, count: Int) -> String {
        let join: String
        switch column {
        case "sha256", "md5", "sha1":
            join = "q CROSS JOIN host_file f ON f.\(column) = q.v CROSS JOIN path p ON p.path_id = f.path_id"
        default:
            join = "q CROSS JOIN path p ON p.name = q.v CROSS JOIN host_file f ON f.path_id = p.path_id"
        }
        let placeholders = Array(repeating: "(?)", count: count).joined(separator: ",")
        return """
            WITH q(v) AS (VALUES \(placeholders))
            SELECT f.host_id, h.hostname, p.path, p.name, f.sha256, f.md5, f.sha1, f.size, f.modified, f.signer, f.product,
                   f.version, f.first_seen, f.last_seen
            FROM \(join) CROSS JOIN host h ON h.host_id = f.host_id
            """
    }

    /// SQLite's plan for a retro-hunt lookup by `column`, one line per step (diagnostics and tests:
    /// every step on the inventory must be an index search, never a scan).
    public func lookupPlan(column: String) async throws -> [String] {
        let sql = "EXPLAIN QUERY PLAN " + Self.lookupSQL(column: column, count: 2)
        let probe: DatabaseValue = column == "name" ? "x".databaseValue : Data(count: 32).databaseValue
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: [probe, probe]).map { $0["detail"] as String }
        }
    }

    public func hasInventory(hostID: Int64) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM host_file WHERE host_id = ?)", arguments: [hostID]) ?? false
        }
    }

    public func inventoryCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM host_file") ?? 0 }
    }

    // MARK: Findings

    public func recordFindings(_ findings: [HostFinding], at: Date) async throws -> Int {
        let rows = StoredFindingRow.deduplicated(try findings.map { try StoredFindingRow(hostID: $0.hostID, finding: $0.finding) })
        let t = FleetTime.micros(at)
        return try await pool.write { db in try Self.recordFindings(db, rows, at: t) }
    }

    /// Inserts new findings and moves `last_seen` of known ones; returns how many were new.
    private static func recordFindings(_ db: Database, _ rows: [StoredFindingRow], at t: Int64) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO finding (host_id, check_id, path, indicator, severity, body, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        let update = try db.cachedStatement(sql: """
            UPDATE finding SET severity = ?, body = ?, last_seen = max(last_seen, ?)
            WHERE host_id = ? AND check_id = ? AND path = ? AND indicator = ?
            """)
        var new = 0
        for row in rows {
            try insert.execute(arguments: [row.hostID, row.check, row.path, row.indicator, row.severityRank, row.json, t, t])
            if db.changesCount > 0 {
                new += 1
            } else {
                try update.execute(arguments: [row.severityRank, row.json, t, row.hostID, row.check, row.path, row.indicator])
            }
        }
        return new
    }

    public func findings(matching query: FindingQuery) async throws -> [StoredFinding] {
        var conditions: [String] = []
        var values: [DatabaseValue] = []
        if let host = query.hostID { conditions.append("f.host_id = ?"); values.append(host.databaseValue) }
        if let since = query.since { conditions.append("f.last_seen >= ?"); values.append(FleetTime.micros(since).databaseValue) }
        if let minimum = query.minimumSeverity {
            conditions.append("f.severity >= ?")
            values.append(FleetSeverityRank.rank(minimum).databaseValue)
        }
        values.append(max(0, min(query.limit, 100_000)).databaseValue)
        values.append(max(0, query.offset).databaseValue)
        let arguments = values
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT f.finding_id, f.host_id, h.hostname, f.body, f.first_seen, f.last_seen
            FROM finding f JOIN host h ON h.host_id = f.host_id \(whereClause)
            ORDER BY f.last_seen DESC, f.finding_id LIMIT ? OFFSET ?
            """
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                StoredFinding(
                    id: row[0], hostID: row[1], hostname: row[2], finding: try StoredFindingRow.finding(from: row[3]),
                    firstSeen: FleetTime.date(row[4]), lastSeen: FleetTime.date(row[5]))
            }
        }
    }

    // MARK: Feeds

    public func saveFeed(_ feed: FeedRecord, indicatorsJSON: Data) async throws {
        try FleetInputCheck.text(feed.name, what: "feed name")
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO feed (name, format, added_at, indicator_count, digest, indicators) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET format = excluded.format, added_at = excluded.added_at,
                        indicator_count = excluded.indicator_count, digest = excluded.digest, indicators = excluded.indicators
                    """,
                arguments: [feed.name, feed.format, FleetTime.micros(feed.addedAt), feed.indicatorCount, feed.digest, indicatorsJSON])
            try db.execute(sql: "UPDATE fleet_state SET feed_generation = feed_generation + 1")
        }
    }

    public func feeds() async throws -> [FeedRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, format, added_at, indicator_count, digest FROM feed ORDER BY name").map {
                FeedRecord(name: $0[0], format: $0[1], addedAt: FleetTime.date($0[2]), indicatorCount: $0[3], digest: $0[4])
            }
        }
    }

    public func feedIndicatorsJSON(name: String) async throws -> Data? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT indicators FROM feed WHERE name = ?", arguments: [name]) }
    }

    public func removeFeed(name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM feed WHERE name = ?", arguments: [name])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "UPDATE fleet_state SET feed_generation = feed_generation + 1")
            return true
        }
    }

    public func feedGeneration() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT feed_generation FROM fleet_state") ?? 0 }
    }

    // MARK: Users and API tokens

    public func addUser(name: String, role: UserRole, passwordHash: String?, at: Date) async throws -> UserRecord {
        try FleetInputCheck.text(name, what: "user name")
        let t = FleetTime.micros(at)
        return try await uniqueWrite("user \(name)") { db in
            try db.execute(
                sql: "INSERT INTO fleet_user (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, role.rawValue, passwordHash, t])
            return UserRecord(id: db.lastInsertedRowID, name: name, role: role, passwordHash: passwordHash, createdAt: FleetTime.date(t))
        }
    }

    public func user(name: String) async throws -> UserRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM fleet_user WHERE name = ?", arguments: [name]).map(Self.user)
        }
    }

    private static func user(_ row: Row) throws -> UserRecord {
        let roleText: String = row["role"]
        guard let role = UserRole(rawValue: roleText) else { throw FleetStoreError.invalidInput("stored role \(roleText)") }
        return UserRecord(id: row["user_id"], name: row["name"], role: role, passwordHash: row["password_hash"],
                          createdAt: FleetTime.date(row["created_at"]))
    }

    public func addAPIToken(userID: Int64, name: String, tokenHash: Data, at: Date) async throws -> APITokenRecord {
        try FleetInputCheck.hash(tokenHash, what: "token hash")
        try FleetInputCheck.text(name, what: "token name")
        let t = FleetTime.micros(at)
        return try await uniqueWrite("API token") { db in
            guard try Int64.fetchOne(db, sql: "SELECT 1 FROM fleet_user WHERE user_id = ?", arguments: [userID]) != nil else {
                throw FleetStoreError.notFound("user \(userID)")
            }
            try db.execute(
                sql: "INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [userID, name, tokenHash, t])
            return APITokenRecord(id: db.lastInsertedRowID, userID: userID, name: name, createdAt: FleetTime.date(t))
        }
    }

    public func apiToken(hash: Data) async throws -> (APITokenRecord, UserRecord)? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT t.token_id, t.name AS token_name, t.created_at AS token_created, u.*
                    FROM api_token t JOIN fleet_user u ON u.user_id = t.user_id
                    WHERE t.token_hash = ? AND t.revoked_at IS NULL
                    """,
                arguments: [hash])
            else { return nil }
            let user = try Self.user(row)
            let token = APITokenRecord(id: row["token_id"], userID: user.id, name: row["token_name"],
                                       createdAt: FleetTime.date(row["token_created"]))
            return (token, user)
        }
    }

    public func revokeAPIToken(id: Int64, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                           arguments: [FleetTime.micros(at), id])
            return db.changesCount > 0
        }
    }

    // MARK: Helpers

    /// A write whose unique-constraint failure becomes ``FleetStoreError/conflict(_:)``.
    func uniqueWrite<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw FleetStoreError.conflict("\(what) already exists")
        }
    }
}
