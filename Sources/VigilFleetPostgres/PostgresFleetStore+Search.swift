import Foundation
import PostgresNIO
import VigilCore
import VigilFleetStore
import VigilVerdicts

extension PostgresFleetSchema {
    /// Indexed host search (docs/console.md, "Search"). Keys are compared in the "C" collation
    /// (byte order, which for UTF-8 is code-point order), so a prefix is one range of a B-tree and
    /// the next page starts at a row comparison. The inventory's digest and path indexes gain the
    /// host id, so a page of one digest's or one path's rows is a range in host order; they replace
    /// the one-column indexes, which they also serve. When the `pg_trgm` extension can be installed
    /// (contrib, shipped with Debian's postgresql package; installing it needs a superuser or a
    /// trusted-extension grant), GIN trigram indexes make substring searches of host names and
    /// identifiers indexed too; without it the store falls back to bounded scans.
    static let consoleSearch = Migration(version: 5, name: "console-search", statements: [
        #"CREATE INDEX host_hostname_lower ON host ((lower(hostname) COLLATE "C"), host_id)"#,
        #"CREATE INDEX host_identifier_lower ON host ((lower(host_identifier) COLLATE "C"), host_id)"#,
        #"CREATE INDEX host_address_lower ON host_address ((lower(address) COLLATE "C"), host_id)"#,
        "CREATE INDEX host_verdict_state_host ON host_verdict (state, host_id)",
        "DROP INDEX host_verdict_state",
        "CREATE INDEX host_file_sha256_host ON host_file (sha256, host_id, path_id)",
        "DROP INDEX host_file_sha256",
        "CREATE INDEX host_file_md5_host ON host_file (md5, host_id, path_id) WHERE md5 IS NOT NULL",
        "DROP INDEX host_file_md5",
        "CREATE INDEX host_file_sha1_host ON host_file (sha1, host_id, path_id) WHERE sha1 IS NOT NULL",
        "DROP INDEX host_file_sha1",
        "CREATE INDEX host_file_path_host ON host_file (path_id, host_id)",
        "DROP INDEX host_file_path",
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
               AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
                BEGIN
                    CREATE EXTENSION pg_trgm;
                EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
                    RAISE NOTICE 'pg_trgm not installed (%): host substring searches use bounded scans', SQLERRM;
                END;
            END IF;
            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                EXECUTE 'CREATE INDEX host_hostname_trgm ON host USING gin (lower(hostname) gin_trgm_ops)';
                EXECUTE 'CREATE INDEX host_identifier_trgm ON host USING gin (lower(host_identifier) gin_trgm_ops)';
            END IF;
        END
        $$
        """,
    ])
}

/// The console's searches on PostgreSQL: every page is a range of an index.
extension PostgresFleetStore {
    static func searchKey(_ field: HostSearchField) -> (table: String, key: String) {
        switch field {
        case .name: ("host", #"(lower(hostname) COLLATE "C")"#)
        case .identifier: ("host", #"(lower(host_identifier) COLLATE "C")"#)
        case .address: ("host_address", #"(lower(address) COLLATE "C")"#)
        }
    }

    /// The prefix search statement; parameters: $1 low, $2 high (or NULL: no upper bound), $3/$4 the
    /// cursor's key and host id (or NULL, 0), $5 limit.
    public static func prefixSQL(_ field: HostSearchField) -> String {
        let (table, key) = searchKey(field)
        return """
            SELECT host_id, \(key) FROM \(table)
            WHERE \(key) >= $1 AND ($2::text IS NULL OR \(key) < $2) AND (\(key), host_id) > (coalesce($3, ''), $4)
            ORDER BY \(key), host_id LIMIT $5
            """
    }

    public func hostsByPrefix(_ query: HostPrefixQuery) async throws -> [HostSearchHit] {
        let limit = max(1, min(query.limit, ConsoleStoreLimits.maxPage))
        guard ConsoleSearchLimits.searchable(query.prefix) else { return [] }
        // The database's own lower(), so the prefix folds exactly as the indexed values do.
        let prefix = try await one("SELECT lower(\(query.prefix))", as: String.self) ?? query.prefix
        let after = query.after.flatMap { $0.key >= prefix ? $0 : nil }
        var bindings = PostgresBindings()
        bindings.append(after?.key ?? prefix)
        bindings.append(ConsoleSearchLimits.prefixUpperBound(prefix))
        bindings.append(after?.key)
        bindings.append(after?.hostID ?? 0)
        bindings.append(Int64(limit))
        var keys: [(Int64, String)] = []
        for try await (id, key) in try await client.query(PostgresQuery(unsafeSQL: Self.prefixSQL(query.field), binds: bindings), logger: logger)
            .decode((Int64, String).self) {
            keys.append((id, key))
        }
        guard !keys.isEmpty else { return [] }
        let hosts = Dictionary(
            try await hostRecords("SELECT \(unescaped: Self.hostColumns) FROM host WHERE host_id = ANY(\(keys.map(\.0)))").map { ($0.id, $0) },
            uniquingKeysWith: { a, _ in a })
        return keys.compactMap { id, key in hosts[id].map { HostSearchHit(host: $0, key: key) } }
    }

    /// True when the trigram indexes exist (migration 5 could install pg_trgm).
    public func hasTrigramIndex() async throws -> Bool {
        try await one("SELECT to_regclass('host_hostname_trgm') IS NOT NULL AND to_regclass('host_identifier_trgm') IS NOT NULL", as: Bool.self) ?? false
    }

    /// The indexed substring statement; parameters: $1 the LIKE pattern (escaped text between
    /// `%`), $2 host id, $3 how many matches at most. Deliberately without ORDER BY: ordered by host
    /// id, the planner may walk the primary key hoping to meet matches early, which reads every
    /// host when they sit at the end; unordered, a selective pattern is a trigram bitmap scan, and
    /// a broad one stops after $3 rows (the caller then knows it is broad).
    public static let substringIndexedSQL = """
        SELECT host_id FROM host WHERE (lower(hostname) LIKE lower($1) OR lower(host_identifier) LIKE lower($1)) AND host_id > $2
        LIMIT $3
        """

    /// Matches an indexed substring search collects at most; a text matching more hosts is
    /// searched by bounded scans, where matches are dense enough to fill pages early.
    public static let substringIndexedCap = 5_000

    /// The bounded scan: matches among at most $4 host rows after $3; $1 the text, $5 limit.
    public static let substringScanSQL = """
        SELECT host_id FROM (SELECT host_id, hostname, host_identifier FROM host WHERE host_id > $3 ORDER BY host_id LIMIT $4) w
        WHERE strpos(lower(hostname), lower($1)) > 0 OR strpos(lower(host_identifier), lower($2)) > 0
        ORDER BY host_id LIMIT $5
        """

    /// A LIKE pattern matching `text` anywhere: `\`, `%` and `_` escaped (backslash is LIKE's
    /// default escape character).
    public static func containsPattern(_ text: String) -> String {
        var out = "%"
        for c in text.unicodeScalars {
            if c == "\\" || c == "%" || c == "_" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out + "%"
    }

    /// Whether a trigram index can narrow a search for `text`: pg_trgm extracts trigrams from runs
    /// of letters and digits, so a text needs a run of three.
    static func trigramUsable(_ text: String) -> Bool {
        var run = 0
        for c in text {
            run = (c.isLetter || c.isNumber) ? run + 1 : 0
            if run >= 3 { return true }
        }
        return false
    }

    public func hostsContaining(_ query: HostSubstringQuery) async throws -> HostSubstringPage {
        let limit = max(1, min(query.limit, ConsoleStoreLimits.maxPage))
        let scanLimit = max(1, min(query.scanLimit, 1_000_000))
        guard ConsoleSearchLimits.searchable(query.text) else {
            return HostSubstringPage(hosts: [], resumeAfter: nil, indexed: false, scanned: 0)
        }
        if Self.trigramUsable(query.text), try await hasTrigramIndex() {
            var bindings = PostgresBindings()
            bindings.append(Self.containsPattern(query.text))
            bindings.append(query.afterID)
            bindings.append(Int64(Self.substringIndexedCap + 1))
            let ids = try await collect(PostgresQuery(unsafeSQL: Self.substringIndexedSQL, binds: bindings), as: Int64.self)
            if ids.count <= Self.substringIndexedCap {
                // Every match after afterID is here: the page is complete.
                let sorted = ids.sorted()
                let shown = Array(sorted.prefix(limit))
                return HostSubstringPage(hosts: try await orderedHosts(shown), resumeAfter: sorted.count > limit ? shown.last : nil,
                                         indexed: true, scanned: 0)
            }
        }
        var bindings = PostgresBindings()
        bindings.append(query.text)
        bindings.append(query.text)
        bindings.append(query.afterID)
        bindings.append(Int64(scanLimit))
        bindings.append(Int64(limit))
        let ids = try await collect(PostgresQuery(unsafeSQL: Self.substringScanSQL, binds: bindings), as: Int64.self)
        // Where the scan window ended, and how many rows it read (the primary key alone answers this).
        var end: Int64?
        var scanned = 0
        for try await (maxID, n) in try await client.query("""
            SELECT max(host_id), count(*) FROM (SELECT host_id FROM host WHERE host_id > \(query.afterID) ORDER BY host_id LIMIT \(Int64(scanLimit))) w
            """, logger: logger).decode((Int64?, Int64).self) {
            end = maxID
            scanned = Int(n)
        }
        var resume: Int64?
        if ids.count == limit, let last = ids.last, last != end {
            resume = last
        } else if scanned == scanLimit, let end {
            let more = try await one("SELECT EXISTS (SELECT 1 FROM host WHERE host_id > \(end))", as: Bool.self) ?? false
            resume = more ? end : nil
        }
        if ids.count == limit, let last = ids.last, resume == last {
            // The page filled before the window's end: only the rows up to the last match were needed.
            scanned = try await one(
                "SELECT count(*) FROM host WHERE host_id > \(query.afterID) AND host_id <= \(last)", as: Int.self) ?? scanned
        }
        return HostSubstringPage(hosts: try await orderedHosts(ids), resumeAfter: resume, indexed: false, scanned: scanned)
    }

    /// Host records for these ids, in this order.
    private func orderedHosts(_ ids: [Int64]) async throws -> [HostRecord] {
        guard !ids.isEmpty else { return [] }
        let hosts = Dictionary(
            try await hostRecords("SELECT \(unescaped: Self.hostColumns) FROM host WHERE host_id = ANY(\(ids))").map { ($0.id, $0) },
            uniquingKeysWith: { a, _ in a })
        return ids.compactMap { hosts[$0] }
    }

    static let inventorySelect = """
        SELECT f.host_id, h.hostname, p.path, p.name, f.sha256, f.md5, f.sha1, f.size, f.modified, f.signer, f.product,
               f.version, f.first_seen, f.last_seen, f.path_id
        FROM host_file f
        CROSS JOIN LATERAL (SELECT path, name FROM path WHERE path.path_id = f.path_id OFFSET 0) p
        CROSS JOIN LATERAL (SELECT hostname FROM host WHERE host.host_id = f.host_id OFFSET 0) h
        """

    /// One page of a digest's rows (`column`: sha256, md5 or sha1); $1 digest, $2/$3 the cursor's
    /// host and path id, $4 limit. One range of the (digest, host_id, path_id) index.
    public static func inventoryDigestSQL(_ column: String) -> String {
        precondition(["sha256", "md5", "sha1"].contains(column))
        return "\(inventorySelect) WHERE f.\(column) = $1 AND (f.host_id, f.path_id) > ($2, $3) ORDER BY f.host_id, f.path_id LIMIT $4"
    }

    /// One page of one path's rows; $1 path id, $2 host id, $3 limit. One range of (path_id, host_id).
    public static let inventoryPathSQL = "\(inventorySelect) WHERE f.path_id = $1 AND f.host_id > $2 ORDER BY f.host_id LIMIT $3"

    public func inventoryPage(_ query: InventoryPageQuery) async throws -> [InventoryPageHit] {
        let limit = max(1, min(query.limit, ConsoleSearchLimits.maxInventoryPage))
        var out: [InventoryPageHit] = []
        func read(_ sql: String, _ bindings: PostgresBindings) async throws {
            for try await (host, hostname, path, name, sha256, md5, sha1, size, modified, signer, product, version, first, last, pathID)
                in try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                .decode((Int64, String, String, String, Data, Data?, Data?, Int64, Int64, String?, String?, String?, Date, Date, Int64).self) {
                let file = StoredFileRow(path: path, name: name, sha256: sha256, md5: md5, sha1: sha1, size: size, modified: modified,
                                         signer: signer, product: product, version: version)
                out.append(InventoryPageHit(
                    hit: InventoryHit(hostID: host, hostname: hostname, file: file.inventoryFile, firstSeen: first, lastSeen: last),
                    cursor: InventoryCursor(pathID: pathID, hostID: host)))
            }
        }
        switch query.match {
        case .sha256(let d), .md5(let d), .sha1(let d):
            let column: String
            switch query.match {
            case .md5: column = "md5"
            case .sha1: column = "sha1"
            default: column = "sha256"
            }
            guard d.count == (column == "md5" ? 16 : column == "sha1" ? 20 : 32) else { return [] }
            var bindings = PostgresBindings()
            try bindings.append(d)
            bindings.append(query.after?.hostID ?? 0)
            bindings.append(query.after?.pathID ?? 0)
            bindings.append(Int64(limit))
            try await read(Self.inventoryDigestSQL(column), bindings)
        case .path(let path), .name(let path):
            guard ConsoleSearchLimits.searchable(path), path.utf8.count <= FleetStoreLimits.maxPathBytes else { return [] }
            let pathIDs: [Int64]
            if case .path = query.match {
                pathIDs = try await collect("SELECT path_id FROM path WHERE path = \(path)", as: Int64.self)
            } else {
                pathIDs = try await collect("""
                    SELECT path_id FROM path WHERE name = \(path) AND path_id >= \(query.after?.pathID ?? 0)
                    ORDER BY path_id LIMIT \(ConsoleSearchLimits.maxPathsPerName)
                    """, as: Int64.self)
            }
            for pathID in pathIDs where out.count < limit {
                var bindings = PostgresBindings()
                bindings.append(pathID)
                bindings.append(query.after.map { $0.pathID == pathID ? $0.hostID : 0 } ?? 0)
                bindings.append(Int64(limit - out.count))
                try await read(Self.inventoryPathSQL, bindings)
            }
        }
        return out
    }

    public static let verdictHostsSQL = "SELECT host_id FROM host_verdict WHERE state = $1 AND host_id > $2 ORDER BY host_id LIMIT $3"

    public func hostIDs(verdict state: VerdictState, afterID: Int64?, limit: Int) async throws -> [Int64] {
        var bindings = PostgresBindings()
        bindings.append(state.rawValue)
        bindings.append(afterID ?? 0)
        bindings.append(Int64(max(1, min(limit, ConsoleStoreLimits.maxPage))))
        return try await collect(PostgresQuery(unsafeSQL: Self.verdictHostsSQL, binds: bindings), as: Int64.self)
    }

    /// PostgreSQL's plan for a statement (EXPLAIN's text lines), for the plan tests. `settings`
    /// are `SET LOCAL` lines run first in the same transaction (e.g. `enable_seqscan = off` on a
    /// table too small for the planner to prefer an index).
    public func explain(_ sql: String, _ bindings: PostgresBindings, settings: [String] = []) async throws -> [String] {
        try await transaction { conn in
            for setting in settings { try await conn.query(PostgresQuery(unsafeSQL: "SET LOCAL " + setting), logger: self.logger) }
            var lines: [String] = []
            for try await line in try await conn.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql, binds: bindings), logger: self.logger)
                .decode(String.self) { lines.append(line) }
            return lines
        }
    }
}
