import Foundation
import GRDB
import VigilFleetProtocol

/// What the server has acknowledged, in the agent's own SQLite file: one row per reported path with
/// the SHA-256, size and mtime the server holds, plus a few settings (ETags, host id). Changed only
/// after an acknowledgement, so the next delta is always relative to the server's view.
public final class AgentState: Sendable {
    private let queue: DatabaseQueue

    public struct Reported: Sendable, Hashable {
        public var sha256: String
        public var size: Int64
        public var modified: Int64

        public init(sha256: String, size: Int64, modified: Int64) {
            self.sha256 = sha256
            self.size = size
            self.modified = modified
        }
    }

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL") }
        queue = try DatabaseQueue(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE reported(path TEXT PRIMARY KEY NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL);
                CREATE TABLE setting(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                """)
        }
        try migrator.migrate(queue)
    }

    /// Calls `body` with every acknowledged row, in path order, one row in memory at a time.
    public func forEachReported(_ body: (String, Reported) throws -> Void) throws {
        try queue.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT path, sha256, size, mtime FROM reported ORDER BY path")
            while let row = try rows.next() {
                try body(row[0], Reported(sha256: row[1], size: row[2], modified: row[3]))
            }
        }
    }

    public func reportedCount() throws -> Int {
        try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM reported") ?? 0 }
    }

    /// Applies an acknowledged batch: its files are now the server's, its removed paths are gone.
    /// Idempotent (a batch applied twice leaves the same state).
    public func apply(_ batch: InventoryBatch) throws {
        try queue.write { db in
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO reported(path, sha256, size, mtime) VALUES (?, ?, ?, ?)")
            for f in batch.files { try upsert.execute(arguments: [f.path, f.sha256, f.size, f.modified]) }
            let delete = try db.cachedStatement(sql: "DELETE FROM reported WHERE path = ?")
            for p in batch.removed { try delete.execute(arguments: [p]) }
        }
    }

    /// Forgets everything reported (the server asked for a resync).
    public func resetReported() throws {
        try queue.write { try $0.execute(sql: "DELETE FROM reported") }
    }

    public func setting(_ key: String) throws -> String? {
        try queue.read { try String.fetchOne($0, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String?) throws {
        try queue.write { db in
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO setting(key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
            }
        }
    }
}
