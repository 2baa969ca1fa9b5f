import Foundation
import PostgresNIO
import VigilCore
import VigilFleetProtocol
import VigilFleetStore

/// ``FleetStore`` on PostgreSQL through postgres-nio: the store several `vigil serve` processes
/// share. Nothing lives only in this process: batch idempotency, the feed generation and every
/// credential are rows, so any server can answer any request.
///
/// Writes are transactions on logged tables with the server's default `synchronous_commit`, so a
/// returned call is durable. Inventory rows travel as parallel arrays expanded by `unnest()`: one
/// statement per batch instead of one per file. Every value is a bound parameter.
public final class PostgresFleetStore: FleetStore {
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    let logger: Logger
    /// Path-dictionary ids already resolved by this process (at most 200,000, about 25 MB).
    let pathIDs = PathIDCache(capacity: 200_000)

    /// Connects lazily to the database at `url`
    /// (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
    /// - Parameter logger: postgres-nio's background logger (connection events); by default only errors.
    public init(url: String, maximumConnections: Int = 8, logger: Logger? = nil) throws {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = max(1, maximumConnections)
        // Index lookups and batch upserts gain nothing from JIT compilation, which adds
        // milliseconds to every query the planner thinks is large.
        configuration.options.additionalStartupParameters.append(("jit", "off"))
        self.logger = logger ?? {
            var l = Logger(label: "vigil.fleet.postgres")
            l.logLevel = .error
            return l
        }()
        let client = PostgresClient(configuration: configuration, backgroundLogger: self.logger)
        self.client = client
        runTask = Task { await client.run() }
    }

    /// Parses a `postgres://` or `postgresql://` URL. TLS follows `sslmode` (default `prefer`).
    public static func configuration(url text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw FleetStoreError.invalidInput("database URL must start with postgres:// or postgresql://")
        }
        guard let user = url.user, !user.isEmpty else { throw FleetStoreError.invalidInput("database URL has no user name") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw FleetStoreError.invalidInput("unknown sslmode \(mode)")
        }
        return PostgresClient.Configuration(
            host: url.host ?? "127.0.0.1", port: url.port ?? 5432, username: user, password: url.password,
            database: database.isEmpty ? user : database, tls: tls)
    }

    /// Refreshes the planner's statistics of the inventory and contact tables (`ANALYZE`), which autovacuum
    /// otherwise does within minutes; worth calling after a large ingest. With `vacuum`, runs
    /// `VACUUM (ANALYZE)` instead, which also marks the new pages all-visible so digest lookups are
    /// answered from the index alone (what autovacuum does a little later on its own).
    public func refreshStatistics(vacuum: Bool = false) async throws {
        for table in ["host_file", "path", "host", "contact_name", "contact_server", "contact_coverage"] {
            try await client.query(PostgresQuery(unsafeSQL: vacuum ? "VACUUM (ANALYZE) \(table)" : "ANALYZE \(table)"), logger: logger)
        }
    }

    public func close() async throws {
        runTask.cancel()
        await runTask.value
    }

    // MARK: Migrations

    public func migrate() async throws {
        try await transaction { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresFleetSchema.advisoryLockKey))", logger: self.logger)
            try await conn.query("""
                CREATE TABLE IF NOT EXISTS fleet_schema_version (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: self.logger)
            var current = 0
            for try await v in try await conn.query("SELECT coalesce(max(version), 0) FROM fleet_schema_version", logger: self.logger)
                .decode(Int.self) { current = v }
            let known = PostgresFleetSchema.migrations.last?.version ?? 0
            if current > known { throw FleetStoreError.schemaTooNew(found: current, known: known) }
            for migration in PostgresFleetSchema.migrations where migration.version > current {
                for statement in migration.statements {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await conn.query(
                    "INSERT INTO fleet_schema_version (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: self.logger)
            }
        }
    }

    /// The schema versions recorded in the database, oldest first.
    public func appliedMigrations() async throws -> [Int] {
        try await collect("SELECT version FROM fleet_schema_version ORDER BY version", as: Int.self)
    }

    // MARK: Enrolment secrets

    public func addEnrollmentSecret(name: String, secretHash: Data, at: Date) async throws -> EnrollmentSecretRecord {
        try FleetInputCheck.hash(secretHash, what: "secret hash")
        try FleetInputCheck.text(name, what: "secret name")
        let id = try await unique("enrolment secret") {
            try await self.one("""
                INSERT INTO enrollment_secret (name, secret_hash, created_at) VALUES (\(name), \(secretHash), \(at))
                RETURNING secret_id
                """, as: Int64.self)
        }
        return EnrollmentSecretRecord(id: id!, name: name, createdAt: Self.rounded(at))
    }

    public func enrollmentSecret(hash: Data) async throws -> EnrollmentSecretRecord? {
        try await secrets("""
            SELECT secret_id, name, created_at, revoked_at FROM enrollment_secret
            WHERE secret_hash = \(hash) AND revoked_at IS NULL
            """).first
    }

    public func enrollmentSecrets() async throws -> [EnrollmentSecretRecord] {
        try await secrets("SELECT secret_id, name, created_at, revoked_at FROM enrollment_secret ORDER BY secret_id")
    }

    private func secrets(_ query: PostgresQuery) async throws -> [EnrollmentSecretRecord] {
        var out: [EnrollmentSecretRecord] = []
        for try await (id, name, created, revoked) in try await client.query(query, logger: logger)
            .decode((Int64, String, Date, Date?).self) {
            out.append(EnrollmentSecretRecord(id: id, name: name, createdAt: created, revokedAt: revoked))
        }
        return out
    }

    public func revokeEnrollmentSecret(id: Int64, at: Date) async throws -> Bool {
        try await one("""
            UPDATE enrollment_secret SET revoked_at = \(at) WHERE secret_id = \(id) AND revoked_at IS NULL
            RETURNING secret_id
            """, as: Int64.self) != nil
    }

    // MARK: Hosts

    public func enrollHost(agent: AgentFacts, keyHash: Data, at: Date) async throws -> HostRecord {
        try FleetFactsCheck.validate(agent)
        try FleetInputCheck.hash(keyHash, what: "host key hash")
        let id: Int64 = try await unique("host key") {
            try await self.transaction { conn in
                var id: Int64 = 0
                for try await v in try await conn.query("""
                    INSERT INTO host (host_identifier, hostname, os, os_version, agent_version, enrolled_at, last_contact, key_hash)
                    VALUES (\(agent.hostIdentifier), \(agent.hostname), \(agent.os), \(agent.osVersion),
                            \(agent.agentVersion), \(at), \(at), \(keyHash))
                    ON CONFLICT (host_identifier) DO UPDATE SET
                        hostname = excluded.hostname, os = excluded.os, os_version = excluded.os_version,
                        agent_version = excluded.agent_version, key_hash = excluded.key_hash, key_revoked_at = NULL,
                        last_contact = greatest(host.last_contact, excluded.last_contact)
                    RETURNING host_id
                    """, logger: self.logger).decode(Int64.self) { id = v }
                try await Self.recordAddresses(conn, hostID: id, agent: agent, at: at, logger: self.logger)
                return id
            }
        }
        guard let host = try await host(id: id) else { throw FleetStoreError.notFound("host \(id)") }
        return host
    }

    public func host(keyHash: Data) async throws -> HostRecord? {
        try await hostRecords("SELECT \(unescaped: Self.hostColumns) FROM host WHERE key_hash = \(keyHash) AND key_revoked_at IS NULL").first
    }

    public func host(id: Int64) async throws -> HostRecord? {
        try await hostRecords("SELECT \(unescaped: Self.hostColumns) FROM host WHERE host_id = \(id)").first
    }

    public func hosts(matching query: HostQuery) async throws -> [HostRecord] {
        let limit = max(0, min(query.limit, 100_000)), offset = max(0, query.offset)
        if let needle = query.nameContains, !needle.isEmpty {
            return try await hostRecords("""
                SELECT \(unescaped: Self.hostColumns) FROM host WHERE strpos(lower(hostname), \(needle.lowercased())) > 0
                ORDER BY host_id LIMIT \(limit) OFFSET \(offset)
                """)
        }
        return try await hostRecords("SELECT \(unescaped: Self.hostColumns) FROM host ORDER BY host_id LIMIT \(limit) OFFSET \(offset)")
    }

    static let hostColumns =
        "host_id, hostname, host_identifier, os, os_version, agent_version, enrolled_at, last_contact, key_revoked_at IS NOT NULL"

    func hostRecords(_ query: PostgresQuery) async throws -> [HostRecord] {
        var hosts: [HostRecord] = []
        for try await (id, name, identifier, os, osVersion, agentVersion, enrolled, contact, revoked) in try await client.query(query, logger: logger)
            .decode((Int64, String, String, String, String, String, Date, Date?, Bool).self) {
            hosts.append(HostRecord(
                id: id, hostname: name, hostIdentifier: identifier, os: os, osVersion: osVersion, agentVersion: agentVersion,
                enrolledAt: enrolled, lastContact: contact, keyRevoked: revoked, addresses: []))
        }
        guard !hosts.isEmpty else { return [] }
        var addresses: [Int64: [HostAddress]] = [:]
        for try await (id, address, first, last) in try await client.query("""
            SELECT host_id, address, first_seen, last_seen FROM host_address WHERE host_id = ANY(\(hosts.map(\.id)))
            ORDER BY host_id, address
            """, logger: logger).decode((Int64, String, Date, Date).self) {
            addresses[id, default: []].append(HostAddress(address: address, firstSeen: first, lastSeen: last))
        }
        for i in hosts.indices { hosts[i].addresses = addresses[hosts[i].id] ?? [] }
        return hosts
    }

    public func revokeHostKey(hostID: Int64, at: Date) async throws -> Bool {
        try await one("""
            UPDATE host SET key_revoked_at = coalesce(key_revoked_at, \(at)) WHERE host_id = \(hostID) RETURNING host_id
            """, as: Int64.self) != nil
    }

    public func recordContact(hostID: Int64, agent: AgentFacts, at: Date) async throws {
        try FleetFactsCheck.validate(agent)
        try await transaction { conn in
            var found = false
            for try await _ in try await conn.query("""
                UPDATE host SET hostname = \(agent.hostname), os = \(agent.os), os_version = \(agent.osVersion),
                    agent_version = \(agent.agentVersion), last_contact = greatest(last_contact, \(at))
                WHERE host_id = \(hostID) RETURNING host_id
                """, logger: self.logger).decode(Int64.self) { found = true }
            guard found else { throw FleetStoreError.notFound("host \(hostID)") }
            try await Self.recordAddresses(conn, hostID: hostID, agent: agent, at: at, logger: self.logger)
        }
    }

    private static func recordAddresses(_ conn: PostgresConnection, hostID: Int64, agent: AgentFacts, at: Date, logger: Logger) async throws {
        let addresses = FleetFactsCheck.addresses(agent)
        guard !addresses.isEmpty else { return }
        try await conn.query("""
            INSERT INTO host_address (host_id, address, first_seen, last_seen)
            SELECT \(hostID), a, \(at), \(at) FROM unnest(\(addresses)::text[]) AS a
            ON CONFLICT (host_id, address) DO UPDATE SET
                first_seen = least(host_address.first_seen, excluded.first_seen),
                last_seen = greatest(host_address.last_seen, excluded.last_seen)
            """, logger: logger)
    }

    // MARK: Inventory

    public func applyBatch(hostID: Int64, batch: InventoryBatch, serverFindings: [Finding], receivedAt: Date) async throws -> BatchOutcome {
        let prepared = try PreparedBatch(batch)
        guard !batch.batchID.isEmpty, batch.batchID.utf8.count <= 128 else {
            throw FleetStoreError.invalidInput("batch id is empty or longer than 128 bytes")
        }
        let findings = StoredFindingRow.deduplicated(try (batch.findings + serverFindings).map { try StoredFindingRow(hostID: hostID, finding: $0) })
        // A cheap look first, so an unknown host or a resent batch adds nothing to the dictionary;
        // the transaction below checks both again and is what decides.
        var known = (host: false, applied: false)
        for try await (host, applied) in try await client.query("""
            SELECT EXISTS (SELECT 1 FROM host WHERE host_id = \(hostID)),
                   EXISTS (SELECT 1 FROM applied_batch WHERE host_id = \(hostID) AND batch_id = \(batch.batchID))
            """, logger: logger).decode((Bool, Bool).self) { known = (host, applied) }
        guard known.host else { throw FleetStoreError.notFound("host \(hostID)") }
        if known.applied { return BatchOutcome(duplicate: true, filesApplied: 0, filesRemoved: 0, findingsRecorded: 0) }
        // Dictionary entries are committed first, in their own statement: they are shared by every
        // host, so holding their locks for a whole batch would make hosts wait for each other.
        let pathIDs = try await ensurePaths(prepared.files)
        return try await transaction { conn in
            var hostFound = false
            for try await _ in try await conn.query("SELECT 1 FROM host WHERE host_id = \(hostID) FOR KEY SHARE", logger: self.logger)
                .decode(Int.self) { hostFound = true }
            guard hostFound else { throw FleetStoreError.notFound("host \(hostID)") }
            var fresh = false
            for try await _ in try await conn.query("""
                INSERT INTO applied_batch (host_id, batch_id, applied_at) VALUES (\(hostID), \(batch.batchID), \(receivedAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: self.logger).decode(Int.self) { fresh = true }
            guard fresh else { return BatchOutcome(duplicate: true, filesApplied: 0, filesRemoved: 0, findingsRecorded: 0) }

            var removed = 0
            if !prepared.removed.isEmpty {
                for try await _ in try await conn.query("""
                    DELETE FROM host_file f USING path p
                    WHERE f.host_id = \(hostID) AND f.path_id = p.path_id AND p.path = ANY(\(prepared.removed)::text[])
                    RETURNING 1
                    """, logger: self.logger).decode(Int.self) { removed += 1 }
            }
            if !prepared.files.isEmpty {
                try await Self.upsertFiles(conn, hostID: hostID, files: prepared.files, pathIDs: pathIDs, at: receivedAt, logger: self.logger)
            }
            let recorded = try await Self.upsertFindings(conn, findings, at: receivedAt, logger: self.logger)
            return BatchOutcome(duplicate: false, filesApplied: prepared.files.count, filesRemoved: removed, findingsRecorded: recorded)
        }
    }

    /// Path ids for the files' paths, inserting missing ones (sorted, so concurrent inserts of the
    /// same new paths wait on each other rather than deadlock). Ids this process has seen before come
    /// from `pathIDs` without a query.
    private func ensurePaths(_ files: [StoredFileRow]) async throws -> [String: Int64] {
        guard !files.isEmpty else { return [:] }
        var nameOf: [String: String] = [:]
        for file in files { nameOf[file.path] = file.name }
        var (ids, missing) = pathIDs.split(files.map(\.path))
        guard !missing.isEmpty else { return ids }
        let names = missing.map { nameOf[$0] ?? "" }
        try await client.query("""
            INSERT INTO path (path, name)
            SELECT t.path, t.name FROM unnest(\(missing)::text[], \(names)::text[]) AS t(path, name)
            WHERE NOT EXISTS (SELECT 1 FROM path p WHERE p.path = t.path)
            ORDER BY t.path
            ON CONFLICT (path) DO NOTHING
            """, logger: logger)
        var found: [String: Int64] = [:]
        found.reserveCapacity(missing.count)
        for try await (path, id) in try await client.query("SELECT path, path_id FROM path WHERE path = ANY(\(missing)::text[])", logger: logger)
            .decode((String, Int64).self) { found[path] = id }
        guard found.count == missing.count else {
            throw FleetStoreError.invalidInput("\(missing.count - found.count) paths could not be entered in the path dictionary")
        }
        pathIDs.remember(found)
        ids.merge(found) { old, _ in old }
        return ids
    }

    private static func upsertFiles(
        _ conn: PostgresConnection, hostID: Int64, files: [StoredFileRow], pathIDs: [String: Int64], at: Date, logger: Logger
    ) async throws {
        // postgres-nio arrays carry no NULL elements: absent values travel as empty and NULLIF restores them.
        let empty = ByteBuffer()
        let ids = files.map { pathIDs[$0.path]! }
        let sha256 = files.map { ByteBuffer(bytes: $0.sha256) }
        let md5 = files.map { $0.md5.map { ByteBuffer(bytes: $0) } ?? empty }
        let sha1 = files.map { $0.sha1.map { ByteBuffer(bytes: $0) } ?? empty }
        let sizes = files.map(\.size), modified = files.map(\.modified)
        let signer = files.map { $0.signer ?? "" }, product = files.map { $0.product ?? "" }, version = files.map { $0.version ?? "" }
        try await conn.query("""
            INSERT INTO host_file (host_id, path_id, sha256, md5, sha1, size, modified, signer, product, version, first_seen, last_seen)
            SELECT \(hostID), t.path_id, t.sha256, NULLIF(t.md5, ''::bytea), NULLIF(t.sha1, ''::bytea), t.size, t.modified,
                   NULLIF(t.signer, ''), NULLIF(t.product, ''), NULLIF(t.version, ''), \(at), \(at)
            FROM unnest(\(ids)::int8[], \(sha256)::bytea[], \(md5)::bytea[], \(sha1)::bytea[],
                        \(sizes)::int8[], \(modified)::int8[], \(signer)::text[], \(product)::text[],
                        \(version)::text[])
                 AS t(path_id, sha256, md5, sha1, size, modified, signer, product, version)
            ON CONFLICT (host_id, path_id) DO UPDATE SET
                first_seen = CASE WHEN host_file.sha256 = excluded.sha256 THEN host_file.first_seen ELSE excluded.first_seen END,
                sha256 = excluded.sha256, md5 = excluded.md5, sha1 = excluded.sha1, size = excluded.size,
                modified = excluded.modified, signer = excluded.signer, product = excluded.product,
                version = excluded.version, last_seen = excluded.last_seen
            """, logger: logger)
    }

    /// Inserts new findings and moves `last_seen` of known ones; returns how many were new.
    private static func upsertFindings(_ conn: PostgresConnection, _ rows: [StoredFindingRow], at: Date, logger: Logger) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        var new = 0
        for try await inserted in try await conn.query("""
            INSERT INTO finding (host_id, check_id, path, indicator, severity, body, first_seen, last_seen)
            SELECT t.host_id, t.check_id, t.path, t.indicator, t.severity, t.body, \(at), \(at)
            FROM unnest(\(rows.map(\.hostID))::int8[], \(rows.map(\.check))::text[], \(rows.map(\.path))::text[],
                        \(rows.map(\.indicator))::text[], \(rows.map { Int16($0.severityRank) })::int2[],
                        \(rows.map { ByteBuffer(bytes: $0.json) })::bytea[])
                 AS t(host_id, check_id, path, indicator, severity, body)
            ON CONFLICT (host_id, check_id, path, indicator) DO UPDATE SET
                severity = excluded.severity, body = excluded.body, last_seen = greatest(finding.last_seen, excluded.last_seen)
            RETURNING (xmax = 0)
            """, logger: logger).decode(Bool.self) where inserted { new += 1 }
        return new
    }

    /// The columns of a hit and the lookups of its path and host name. The lateral subqueries
    /// (kept apart by `OFFSET 0`) make each hit one primary-key probe of `path` and of `host`;
    /// left to itself the planner tends to hash-join the whole path dictionary once a thousand
    /// digests are asked for, which costs a scan of it per retro-hunt.
    private static let hitSelect = """
        SELECT f.host_id, h.hostname, p.path, p.name, f.sha256, f.md5, f.sha1, f.size, f.modified, f.signer, f.product,
               f.version, f.first_seen, f.last_seen
        FROM host_file f
        CROSS JOIN LATERAL (SELECT path, name FROM path WHERE path.path_id = f.path_id OFFSET 0) p
        CROSS JOIN LATERAL (SELECT hostname FROM host WHERE host.host_id = f.host_id OFFSET 0) h
        """

    public func inventory(sha256 digests: [Data]) async throws -> [InventoryHit] {
        try await digestLookup(column: "sha256", Array(Set(digests.filter { $0.count == 32 })))
    }

    public func inventory(md5 digests: [Data]) async throws -> [InventoryHit] {
        try await digestLookup(column: "md5", Array(Set(digests.filter { $0.count == 16 })))
    }

    public func inventory(sha1 digests: [Data]) async throws -> [InventoryHit] {
        try await digestLookup(column: "sha1", Array(Set(digests.filter { $0.count == 20 })))
    }

    /// The retro-hunt query: the wanted digests drive a nested loop, each one a range of the digest's
    /// B-tree (`host_file_sha256_host` and its MD5 and SHA-1 siblings). Written as `sha256 = ANY($1)`
    /// the planner estimated the thousand digests' rows from the column's statistics and, at 10 M rows,
    /// chose a parallel scan of the whole table (430 ms instead of 20 ms).
    private func digestLookup(column: String, _ digests: [Data]) async throws -> [InventoryHit] {
        guard !digests.isEmpty else { return [] }
        precondition(["sha256", "md5", "sha1"].contains(column))
        return try await hits("""
            SELECT f.host_id, h.hostname, p.path, p.name, f.sha256, f.md5, f.sha1, f.size, f.modified, f.signer, f.product,
                   f.version, f.first_seen, f.last_seen
            FROM unnest(\(digests.map { ByteBuffer(bytes: $0) })::bytea[]) AS w(digest)
            CROSS JOIN LATERAL (SELECT * FROM host_file WHERE host_file.\(unescaped: column) = w.digest OFFSET 0) f
            CROSS JOIN LATERAL (SELECT path, name FROM path WHERE path.path_id = f.path_id OFFSET 0) p
            CROSS JOIN LATERAL (SELECT hostname FROM host WHERE host.host_id = f.host_id OFFSET 0) h
            """)
    }

    public func inventory(names: [String]) async throws -> [InventoryHit] {
        let wanted = Array(Set(names.map { FleetPathName.name(of: $0) }.filter { !$0.isEmpty }))
        guard !wanted.isEmpty else { return [] }
        // Two steps, each answered by an index: the names' path ids, then those paths' rows.
        let pathIDs = try await collect("SELECT path_id FROM path WHERE name = ANY(\(wanted)::text[])", as: Int64.self)
        guard !pathIDs.isEmpty else { return [] }
        return try await hits("\(unescaped: Self.hitSelect) WHERE f.path_id = ANY(\(pathIDs)::int8[])")
    }

    private func hits(_ query: PostgresQuery) async throws -> [InventoryHit] {
        var out: [InventoryHit] = []
        for try await (host, hostname, path, name, sha256, md5, sha1, size, modified, signer, product, version, first, last)
            in try await client.query(query, logger: logger)
            .decode((Int64, String, String, String, Data, Data?, Data?, Int64, Int64, String?, String?, String?, Date, Date).self) {
            let file = StoredFileRow(path: path, name: name, sha256: sha256, md5: md5, sha1: sha1, size: size, modified: modified,
                                     signer: signer, product: product, version: version)
            out.append(InventoryHit(hostID: host, hostname: hostname, file: file.inventoryFile, firstSeen: first, lastSeen: last))
        }
        return out.sorted { ($0.hostID, $0.file.path) < ($1.hostID, $1.file.path) }
    }

    public func hasInventory(hostID: Int64) async throws -> Bool {
        try await one("SELECT EXISTS (SELECT 1 FROM host_file WHERE host_id = \(hostID))", as: Bool.self) ?? false
    }

    public func inventoryCount() async throws -> Int {
        try await one("SELECT count(*) FROM host_file", as: Int.self) ?? 0
    }

    // MARK: Findings

    public func recordFindings(_ findings: [HostFinding], at: Date) async throws -> Int {
        let rows = StoredFindingRow.deduplicated(try findings.map { try StoredFindingRow(hostID: $0.hostID, finding: $0.finding) })
        guard !rows.isEmpty else { return 0 }
        return try await transaction { conn in
            try await Self.upsertFindings(conn, rows, at: at, logger: self.logger)
        }
    }

    public func findings(matching query: FindingQuery) async throws -> [StoredFinding] {
        let sql: PostgresQuery = """
            SELECT f.finding_id, f.host_id, h.hostname, f.body, f.first_seen, f.last_seen
            FROM finding f JOIN host h ON h.host_id = f.host_id
            WHERE (\(query.hostID)::int8 IS NULL OR f.host_id = \(query.hostID)::int8)
              AND (\(query.since)::timestamptz IS NULL OR f.last_seen >= \(query.since)::timestamptz)
              AND f.severity >= \(Int16(query.minimumSeverity.map(FleetSeverityRank.rank) ?? 0))
            ORDER BY f.last_seen DESC, f.finding_id
            LIMIT \(max(0, min(query.limit, 100_000))) OFFSET \(max(0, query.offset))
            """
        var out: [StoredFinding] = []
        for try await (id, host, hostname, body, first, last) in try await client.query(sql, logger: logger)
            .decode((Int64, Int64, String, Data, Date, Date).self) {
            out.append(StoredFinding(id: id, hostID: host, hostname: hostname, finding: try StoredFindingRow.finding(from: body),
                                     firstSeen: first, lastSeen: last))
        }
        return out
    }

    // MARK: Feeds

    public func saveFeed(_ feed: FeedRecord, indicatorsJSON: Data) async throws {
        try FleetInputCheck.text(feed.name, what: "feed name")
        try await transaction { conn in
            try await conn.query("""
                INSERT INTO feed (name, format, added_at, indicator_count, digest, indicators)
                VALUES (\(feed.name), \(feed.format), \(feed.addedAt), \(Int64(feed.indicatorCount)),
                        \(feed.digest), \(indicatorsJSON))
                ON CONFLICT (name) DO UPDATE SET format = excluded.format, added_at = excluded.added_at,
                    indicator_count = excluded.indicator_count, digest = excluded.digest, indicators = excluded.indicators
                """, logger: self.logger)
            try await conn.query("UPDATE fleet_state SET feed_generation = feed_generation + 1", logger: self.logger)
        }
    }

    public func feeds() async throws -> [FeedRecord] {
        var out: [FeedRecord] = []
        for try await (name, format, added, count, digest) in try await client.query(
            "SELECT name, format, added_at, indicator_count, digest FROM feed ORDER BY name", logger: logger)
            .decode((String, String, Date, Int64, String).self) {
            out.append(FeedRecord(name: name, format: format, addedAt: added, indicatorCount: Int(count), digest: digest))
        }
        return out
    }

    public func feedIndicatorsJSON(name: String) async throws -> Data? {
        try await one("SELECT indicators FROM feed WHERE name = \(name)", as: Data.self)
    }

    public func removeFeed(name: String) async throws -> Bool {
        try await transaction { conn in
            var removed = false
            for try await _ in try await conn.query("DELETE FROM feed WHERE name = \(name) RETURNING 1", logger: self.logger)
                .decode(Int.self) { removed = true }
            if removed { try await conn.query("UPDATE fleet_state SET feed_generation = feed_generation + 1", logger: self.logger) }
            return removed
        }
    }

    public func feedGeneration() async throws -> Int64 {
        try await one("SELECT feed_generation FROM fleet_state", as: Int64.self) ?? 0
    }

    // MARK: Users and API tokens

    public func addUser(name: String, role: UserRole, passwordHash: String?, at: Date) async throws -> UserRecord {
        try FleetInputCheck.text(name, what: "user name")
        let id = try await unique("user \(name)") {
            try await self.one("""
                INSERT INTO fleet_user (name, role, password_hash, created_at)
                VALUES (\(name), \(role.rawValue), \(passwordHash), \(at)) RETURNING user_id
                """, as: Int64.self)
        }
        return UserRecord(id: id!, name: name, role: role, passwordHash: passwordHash, createdAt: Self.rounded(at))
    }

    public func user(name: String) async throws -> UserRecord? {
        var out: UserRecord?
        for try await (id, name, role, password, created) in try await client.query(
            "SELECT user_id, name, role, password_hash, created_at FROM fleet_user WHERE name = \(name)", logger: logger)
            .decode((Int64, String, String, String?, Date).self) {
            out = UserRecord(id: id, name: name, role: try Self.role(role), passwordHash: password, createdAt: created)
        }
        return out
    }

    public func addAPIToken(userID: Int64, name: String, tokenHash: Data, at: Date) async throws -> APITokenRecord {
        try FleetInputCheck.hash(tokenHash, what: "token hash")
        try FleetInputCheck.text(name, what: "token name")
        let id: Int64? = try await unique("API token") {
            try await self.one("""
                INSERT INTO api_token (user_id, name, token_hash, created_at)
                SELECT user_id, \(name), \(tokenHash), \(at) FROM fleet_user WHERE user_id = \(userID)
                RETURNING token_id
                """, as: Int64.self)
        }
        guard let id else { throw FleetStoreError.notFound("user \(userID)") }
        return APITokenRecord(id: id, userID: userID, name: name, createdAt: Self.rounded(at))
    }

    public func apiToken(hash: Data) async throws -> (APITokenRecord, UserRecord)? {
        var out: (APITokenRecord, UserRecord)?
        for try await (tokenID, tokenName, tokenCreated, userID, userName, role, password, userCreated) in try await client.query("""
            SELECT t.token_id, t.name, t.created_at, u.user_id, u.name, u.role, u.password_hash, u.created_at
            FROM api_token t JOIN fleet_user u ON u.user_id = t.user_id
            WHERE t.token_hash = \(hash) AND t.revoked_at IS NULL
            """, logger: logger).decode((Int64, String, Date, Int64, String, String, String?, Date).self) {
            out = (APITokenRecord(id: tokenID, userID: userID, name: tokenName, createdAt: tokenCreated),
                   UserRecord(id: userID, name: userName, role: try Self.role(role), passwordHash: password, createdAt: userCreated))
        }
        return out
    }

    public func revokeAPIToken(id: Int64, at: Date) async throws -> Bool {
        try await one("""
            UPDATE api_token SET revoked_at = \(at) WHERE token_id = \(id) AND revoked_at IS NULL RETURNING token_id
            """, as: Int64.self) != nil
    }

    // MARK: Helpers

    /// A transaction whose failure surfaces as the error that caused it (postgres-nio wraps it).
    func transaction<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        do {
            return try await client.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    func one<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type) async throws -> T? {
        var value: T?
        for try await v in try await client.query(query, logger: logger).decode(T.self) where value == nil { value = v }
        return value
    }

    func collect<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type) async throws -> [T] {
        var out: [T] = []
        for try await v in try await client.query(query, logger: logger).decode(T.self) { out.append(v) }
        return out
    }

    /// Runs `body`, turning a unique violation (SQLSTATE 23505) into ``FleetStoreError/conflict(_:)``.
    func unique<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw FleetStoreError.conflict("\(what) already exists")
        }
    }

    static func role(_ text: String) throws -> UserRole {
        guard let role = UserRole(rawValue: text) else { throw FleetStoreError.invalidInput("stored role \(text)") }
        return role
    }

    /// A date as PostgreSQL stores it (whole microseconds), so returned records equal re-read ones.
    static func rounded(_ date: Date) -> Date { FleetTime.date(FleetTime.micros(date)) }
}
