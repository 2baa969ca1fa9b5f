import Foundation
import GRDB
import VigilCore
import VigilFleetStore
import VigilVerdicts

/// The console's searches on SQLite (docs/console.md, "Search"): every page is a range of an index.
extension SQLiteFleetStore {
    /// Migration `v5-console-search`: expression indexes on the lower-cased host name, identifier
    /// and address, so a case-insensitive prefix is one index range. (`host_address` is WITHOUT
    /// ROWID, so its index carries the host id; `host_verdict_state` carries the host id as rowid.)
    static func consoleSearch(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX host_hostname_lower ON host (lower(hostname));
            CREATE INDEX host_identifier_lower ON host (lower(host_identifier));
            CREATE INDEX host_address_lower ON host_address (lower(address));
            """)
    }

    /// The indexed expression and table a prefix search of `field` reads.
    static func searchKey(_ field: HostSearchField) -> (table: String, key: String) {
        switch field {
        case .name: ("host", "lower(hostname)")
        case .identifier: ("host", "lower(host_identifier)")
        case .address: ("host_address", "lower(address)")
        }
    }

    /// The prefix search statement; arguments: low, [high], [cursor key, cursor host id], limit.
    public static func prefixSQL(_ field: HostSearchField, bounded: Bool, after: Bool) -> String {
        let (table, key) = searchKey(field)
        var conditions = ["\(key) >= ?"]
        if bounded { conditions.append("\(key) < ?") }
        if after { conditions.append("(\(key) > ? OR host_id > ?)") }
        return "SELECT host_id, \(key) FROM \(table) WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(key), host_id LIMIT ?"
    }

    public func hostsByPrefix(_ query: HostPrefixQuery) async throws -> [HostSearchHit] {
        let limit = max(1, min(query.limit, ConsoleStoreLimits.maxPage))
        guard ConsoleSearchLimits.searchable(query.prefix) else { return [] }
        return try await pool.read { db in
            // The database's own lower(), so the prefix folds exactly as the indexed values do.
            let prefix = try String.fetchOne(db, sql: "SELECT lower(?)", arguments: [query.prefix]) ?? query.prefix
            // A cursor moves the range's start up to its key; the OR skips what the last page showed.
            let after = query.after.flatMap { $0.key >= prefix ? $0 : nil }
            var args: [any DatabaseValueConvertible] = [after?.key ?? prefix]
            let high = ConsoleSearchLimits.prefixUpperBound(prefix)
            if let high { args.append(high) }
            if let after { args += [after.key, after.hostID] }
            args.append(limit)
            let sql = Self.prefixSQL(query.field, bounded: high != nil, after: after != nil)
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args))
            return try rows.compactMap { row in
                try Self.fetchHost(db, id: row[0]).map { HostSearchHit(host: $0, key: row[1]) }
            }
        }
    }

    /// The bounded substring scan: at most `limit` host rows after an id, each marked as matching or not.
    public static let substringScanSQL = """
        SELECT host_id, instr(lower(hostname), ?) > 0 OR instr(lower(host_identifier), ?) > 0
        FROM host WHERE host_id > ? ORDER BY host_id LIMIT ?
        """

    static let inventorySelect = """
        SELECT f.host_id, h.hostname, p.path, p.name, f.sha256, f.md5, f.sha1, f.size, f.modified, f.signer, f.product, f.version,
               f.first_seen, f.last_seen, f.path_id
        """

    /// One page of a digest's rows (`column`: sha256, md5 or sha1); arguments: digest, host id, path id, limit.
    /// The digest index ends with the primary key (host_id, path_id): one range, already in order.
    public static func inventoryDigestSQL(_ column: String) -> String {
        precondition(["sha256", "md5", "sha1"].contains(column))
        return """
            \(inventorySelect) FROM host_file f CROSS JOIN path p ON p.path_id = f.path_id CROSS JOIN host h ON h.host_id = f.host_id
            WHERE f.\(column) = ? AND (f.host_id, f.path_id) > (?, ?)
            ORDER BY f.host_id, f.path_id LIMIT ?
            """
    }

    /// One page of one path's rows; arguments: path id, host id, limit. One range of `host_file_path`.
    public static let inventoryPathSQL = """
        \(inventorySelect) FROM host_file f CROSS JOIN path p ON p.path_id = f.path_id CROSS JOIN host h ON h.host_id = f.host_id
        WHERE f.path_id = ? AND f.host_id > ? ORDER BY f.host_id LIMIT ?
        """

    /// Host ids with a verdict state after an id; arguments: state, host id, limit.
    public static let verdictHostsSQL = "SELECT host_id FROM host_verdict WHERE state = ? AND host_id > ? ORDER BY host_id LIMIT ?"

    public func hostsContaining(_ query: HostSubstringQuery) async throws -> HostSubstringPage {
        let limit = max(1, min(query.limit, ConsoleStoreLimits.maxPage))
        let scanLimit = max(1, min(query.scanLimit, 1_000_000))
        guard ConsoleSearchLimits.searchable(query.text) else {
            return HostSubstringPage(hosts: [], resumeAfter: nil, indexed: false, scanned: 0)
        }
        return try await pool.read { db in
            let needle = try String.fetchOne(db, sql: "SELECT lower(?)", arguments: [query.text]) ?? query.text
            // SQLite has no index for a substring: read at most scanLimit host rows in id order
            // (the primary key range after afterID), stopping early once a page is full.
            let rows = try Row.fetchCursor(db, sql: Self.substringScanSQL, arguments: [needle, needle, query.afterID, scanLimit])
            var ids: [Int64] = []
            var scanned = 0
            var last: Int64 = query.afterID
            var full = false
            while let row = try rows.next() {
                scanned += 1
                last = row[0]
                if row[1] as Bool {
                    ids.append(last)
                    if ids.count == limit { full = true; break }
                }
            }
            // Stopped early (page full) or read scanLimit rows: the search goes on after `last`,
            // unless no host follows it.
            var resume: Int64?
            if full || scanned == scanLimit {
                resume = try Int64.fetchOne(db, sql: "SELECT 1 FROM host WHERE host_id > ? LIMIT 1", arguments: [last]) == nil ? nil : last
            }
            return HostSubstringPage(hosts: try ids.compactMap { try Self.fetchHost(db, id: $0) }, resumeAfter: resume, indexed: false, scanned: scanned)
        }
    }

    public func inventoryPage(_ query: InventoryPageQuery) async throws -> [InventoryPageHit] {
        let limit = max(1, min(query.limit, ConsoleSearchLimits.maxInventoryPage))
        return try await pool.read { db in
            var out: [InventoryPageHit] = []
            func read(_ sql: String, _ args: [any DatabaseValueConvertible]) throws {
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)) {
                    let file = StoredFileRow(
                        path: row[2], name: row[3], sha256: row[4], md5: row[5], sha1: row[6], size: row[7], modified: row[8],
                        signer: row[9], product: row[10], version: row[11])
                    out.append(InventoryPageHit(
                        hit: InventoryHit(hostID: row[0], hostname: row[1], file: file.inventoryFile,
                                          firstSeen: FleetTime.date(row[12]), lastSeen: FleetTime.date(row[13])),
                        cursor: InventoryCursor(pathID: row[14], hostID: row[0])))
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
                let after = query.after ?? InventoryCursor(pathID: 0, hostID: 0)
                try read(Self.inventoryDigestSQL(column), [d, after.hostID, after.pathID, limit])
            case .path(let path), .name(let path):
                guard ConsoleSearchLimits.searchable(path), path.utf8.count <= FleetStoreLimits.maxPathBytes else { return [] }
                let pathIDs: [Int64]
                if case .path = query.match {
                    pathIDs = try Int64.fetchAll(db, sql: "SELECT path_id FROM path WHERE path = ?", arguments: [path])
                } else {
                    pathIDs = try Int64.fetchAll(
                        db, sql: "SELECT path_id FROM path WHERE name = ? AND path_id >= ? ORDER BY path_id LIMIT ?",
                        arguments: [path, query.after?.pathID ?? 0, ConsoleSearchLimits.maxPathsPerName])
                }
                // Path by path: each is one range of host_file_path (path_id, then the key's host_id).
                for pathID in pathIDs where out.count < limit {
                    let afterHost = query.after.map { $0.pathID == pathID ? $0.hostID : ($0.pathID > pathID ? Int64.max : 0) } ?? 0
                    try read(Self.inventoryPathSQL, [pathID, afterHost, limit - out.count])
                }
            }
            return out
        }
    }

    public func hostIDs(verdict state: VerdictState, afterID: Int64?, limit: Int) async throws -> [Int64] {
        let limit = max(1, min(limit, ConsoleStoreLimits.maxPage))
        return try await pool.read { db in
            try Int64.fetchAll(db, sql: Self.verdictHostsSQL, arguments: [state.rawValue, afterID ?? 0, limit])
        }
    }

    /// An argument of a statement whose plan is asked for.
    public enum PlanArgument: Sendable {
        case text(String)
        case integer(Int64)
        case blob(Data)

        var databaseValue: DatabaseValue {
            switch self {
            case .text(let v): v.databaseValue
            case .integer(let v): v.databaseValue
            case .blob(let v): v.databaseValue
            }
        }
    }

    /// SQLite's query plan for a statement (EXPLAIN QUERY PLAN's detail column), for the plan tests.
    public func explain(_ sql: String, _ arguments: [PlanArgument]) async throws -> [String] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(arguments.map(\.databaseValue))).map { $0["detail"] }
        }
    }
}
