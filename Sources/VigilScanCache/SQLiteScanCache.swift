import Foundation
import GRDB
import Synchronization
import VigilCore
import VigilDetections
import VigilScan

/// Why the scan cache could not be opened.
public struct ScanCacheError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The sweep's per-file result cache in one SQLite file (GRDB, WAL mode), shared by `vigil scan
/// --cache FILE` and `vigil agent`.
///
/// One row per absolute path holds the file's stamp (device, inode, size, mtime and ctime in
/// nanoseconds), the id of the configuration digest it was computed under, its digests, and the
/// rest of the result (findings, parse diagnostics, folder-check facts, inventory facts) as JSON,
/// only when there is any. A lookup is a hit only when path, stamp and configuration all match.
/// A cache written by another Vigil version is emptied when opened.
///
/// Writes are buffered and committed in transactions of ``writeBatchSize`` rows; ``flush()`` commits
/// the rest. A row that does not decode (a damaged file, a hostile edit) is a miss, never a crash.
public final class SQLiteScanCache: ScanCache, Sendable {
    /// Rows per write transaction.
    public static let writeBatchSize = 2_000
    /// The cache is emptied when it holds more rows than this (stale paths of deleted files pile up
    /// otherwise); the next sweep refills it.
    public static let maxRows = 5_000_000

    private let pool: DatabasePool
    public let path: String
    private let pending = Mutex<[Row]>([])
    private let configIDs = Mutex<[String: Int64]>([:])
    private let writeError = Mutex<String?>(nil)

    private struct Row: Sendable {
        var path: String
        var stamp: FileStamp
        var configurationDigest: String
        var result: CachedFileResult
    }

    private struct Extra: Codable {
        var findings: [Finding]?
        var diagnostics: [Diagnostic]?
        var facts: BinaryFacts?
        var inventory: InventoryFacts?
        /// `true` when the file is a container to look inside; absent otherwise. Whether a result knows
        /// at all depends on whether containers were opened, which is part of the configuration digest,
        /// so within one configuration "absent" means "not a container" (or "not asked").
        var container: Bool?
    }

    /// Opens (creating if needed) the cache at `path`.
    /// - Parameter vigilVersion: results from another version are discarded.
    public init(path: String, vigilVersion: String) throws(ScanCacheError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE configuration(id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE);
                    CREATE TABLE file_result(
                        path TEXT PRIMARY KEY NOT NULL,
                        device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                        configuration_id INTEGER NOT NULL,
                        sha256 TEXT NOT NULL, md5 TEXT, sha1 TEXT, bytes INTEGER NOT NULL,
                        extra BLOB
                    );
                    """)
            }
            try migrator.migrate(pool)
            try pool.write { db in
                let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'vigil-version'")
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM file_result") ?? 0
                if stored != vigilVersion || rows > Self.maxRows {
                    try db.execute(sql: "DELETE FROM file_result")
                    try db.execute(sql: "DELETE FROM configuration")
                    try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('vigil-version', ?)", arguments: [vigilVersion])
                }
            }
        } catch {
            throw ScanCacheError("cannot open scan cache \(path): \(error)")
        }
    }

    /// Number of cached files.
    public func count() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM file_result") ?? 0 }
    }

    /// Forgets these paths (files the caller knows are gone).
    public func remove(paths: [String]) throws {
        guard !paths.isEmpty else { return }
        snapshot.withLock { $0 = nil }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM file_result WHERE path = ?")
            for p in paths { try statement.execute(arguments: [p]) }
        }
    }

    /// Up to this many rows are read into memory at a sweep's first lookup, so each later lookup is
    /// a binary search instead of an SQLite query (about 100 bytes a row: see ``Preloaded``); above
    /// it, one query each.
    public static let preloadLimit = 1_000_000

    /// The rows of one configuration in memory, compactly: per row a 128-bit digest of the path
    /// (SipHash under the process's random key: never stored, and no one outside the process can aim
    /// for a collision), the stamp, the SHA-256 as 32 bytes and the size read, in one array sorted by
    /// the path digest; the few rows with MD5, SHA-1 or more results than digests keep those beside it.
    private struct Preloaded: Sendable {
        struct Key: Sendable, Comparable {
            var high: UInt64
            var low: UInt64

            init(path: String) {
                var a = Hasher()
                a.combine(UInt8(0x63))
                a.combine(path)
                var b = Hasher()
                b.combine(UInt8(0x43))
                b.combine(path)
                high = UInt64(bitPattern: Int64(a.finalize()))
                low = UInt64(bitPattern: Int64(b.finalize()))
            }

            static func < (x: Key, y: Key) -> Bool { x.high != y.high ? x.high < y.high : x.low < y.low }
        }

        struct Row: Sendable {
            var key: Key
            var stamp: FileStamp
            var sha256: SHA256Bytes
            var bytes: Int
            /// Index into ``rare``, or -1.
            var rare: Int32
        }

        struct Rare: Sendable {
            var md5: String?
            var sha1: String?
            var extra: Data?
        }

        var rows: [Row] = []
        var rare: [Rare] = []

        func find(_ path: String) -> Row? {
            let key = Key(path: path)
            var low = 0
            var high = rows.count
            while low < high {
                let mid = (low + high) / 2
                if rows[mid].key < key { low = mid + 1 } else { high = mid }
            }
            guard low < rows.count, rows[low].key == key else { return nil }
            return rows[low]
        }
    }

    private struct Snapshot: Sendable {
        var configID: Int64
        var rows: Preloaded?
    }

    private let snapshot = Mutex<Snapshot?>(nil)

    /// The rows of one configuration in memory (nil when there are too many).
    private func preloaded(_ configID: Int64) -> Preloaded? {
        snapshot.withLock { current -> Preloaded? in
            if let current, current.configID == configID { return current.rows }
            let rows = try? pool.read { db -> Preloaded? in
                let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM file_result WHERE configuration_id = ?", arguments: [configID]) ?? 0
                guard n <= Self.preloadLimit else { return nil }
                var loaded = Preloaded()
                loaded.rows.reserveCapacity(n)
                let cursor = try GRDB.Row.fetchCursor(db, sql: """
                    SELECT path, device, inode, size, mtime_ns, ctime_ns, sha256, md5, sha1, bytes, extra
                    FROM file_result WHERE configuration_id = ?
                    """, arguments: [configID])
                while let row = try cursor.next() {
                    // A digest that is not 64 lower-case hex digits makes the row a miss, as a damaged row must be.
                    guard let sha256 = SHA256Bytes(hex: row[6]) else { continue }
                    let stamp = FileStamp(
                        device: UInt64(bitPattern: row[1]), inode: UInt64(bitPattern: row[2]), size: row[3],
                        modifiedNanoseconds: row[4], changedNanoseconds: row[5])
                    let rare = Preloaded.Rare(md5: row[7], sha1: row[8], extra: row[10])
                    var index: Int32 = -1
                    if rare.md5 != nil || rare.sha1 != nil || rare.extra != nil {
                        index = Int32(loaded.rare.count)
                        loaded.rare.append(rare)
                    }
                    loaded.rows.append(Preloaded.Row(key: Preloaded.Key(path: row[0]), stamp: stamp, sha256: sha256, bytes: row[9], rare: index))
                }
                loaded.rows.sort { $0.key < $1.key }
                return loaded
            }
            current = Snapshot(configID: configID, rows: rows ?? nil)
            return rows ?? nil
        }
    }

    private func decode(_ row: Preloaded.Row, _ rows: Preloaded) -> CachedFileResult? {
        let rare = row.rare >= 0 ? rows.rare[Int(row.rare)] : Preloaded.Rare()
        var result = CachedFileResult(
            hashes: FileHashes(md5: rare.md5, sha1: rare.sha1, sha256: row.sha256.hex), findings: [], diagnostics: [], facts: nil,
            inventory: nil, bytes: row.bytes, isContainer: false)
        if let blob = rare.extra {
            guard let extra = try? JSONDecoder().decode(Extra.self, from: blob) else { return nil }
            result.findings = extra.findings ?? []
            result.diagnostics = extra.diagnostics ?? []
            result.facts = extra.facts
            result.inventory = extra.inventory
            result.isContainer = extra.container ?? false
        }
        return result
    }

    public func lookup(path: String, stamp: FileStamp, configurationDigest: String) -> CachedFileResult? {
        guard let configID = knownConfigurationID(configurationDigest) else { return nil }
        if let rows = preloaded(configID) {
            guard let row = rows.find(path), row.stamp == stamp else { return nil }
            return decode(row, rows)
        }
        return try? pool.read { db -> CachedFileResult? in
            let statement = try db.cachedStatement(sql: """
                SELECT device, inode, size, mtime_ns, ctime_ns, configuration_id, sha256, md5, sha1, bytes, extra
                FROM file_result WHERE path = ?
                """)
            guard let row = try GRDB.Row.fetchOne(statement, arguments: [path]) else { return nil }
            guard row[0] as Int64 == Int64(bitPattern: stamp.device), row[1] as Int64 == Int64(bitPattern: stamp.inode),
                row[2] as Int64 == stamp.size, row[3] as Int64 == stamp.modifiedNanoseconds,
                row[4] as Int64 == stamp.changedNanoseconds, row[5] as Int64 == configID
            else { return nil }
            let sha256: String = row[6]
            guard sha256.utf8.count == 64 else { return nil }
            var result = CachedFileResult(
                hashes: FileHashes(md5: row[7], sha1: row[8], sha256: sha256), findings: [], diagnostics: [], facts: nil,
                inventory: nil, bytes: row[9], isContainer: false)
            if let blob = row[10] as Data? {
                guard let extra = try? JSONDecoder().decode(Extra.self, from: blob) else { return nil }
                result.findings = extra.findings ?? []
                result.diagnostics = extra.diagnostics ?? []
                result.facts = extra.facts
                result.inventory = extra.inventory
                result.isContainer = extra.container ?? false
            }
            return result
        }
    }

    public func store(path: String, stamp: FileStamp, configurationDigest: String, result: CachedFileResult) {
        let full: [Row]? = pending.withLock { rows in
            rows.append(Row(path: path, stamp: stamp, configurationDigest: configurationDigest, result: result))
            guard rows.count >= Self.writeBatchSize else { return nil }
            defer { rows.removeAll(keepingCapacity: true) }
            return rows
        }
        if let full { write(full) }
    }

    public func flush() -> Diagnostic? {
        let rows = pending.withLock { rows in
            defer { rows.removeAll() }
            return rows
        }
        write(rows)
        // The next sweep reads what this one wrote.
        snapshot.withLock { $0 = nil }
        guard let message = writeError.withLock({ e in defer { e = nil }; return e }) else { return nil }
        return Diagnostic(kind: "cache-error", path: path, message: "scan cache not fully written: \(message)")
    }

    private func write(_ rows: [Row]) {
        guard !rows.isEmpty else { return }
        let encoder = JSONEncoder()
        do {
            try pool.write { db in
                let insert = try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO file_result
                    (path, device, inode, size, mtime_ns, ctime_ns, configuration_id, sha256, md5, sha1, bytes, extra)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for r in rows {
                    let configID = try configurationID(r.configurationDigest, db)
                    let res = r.result
                    var extra: Data?
                    if !res.findings.isEmpty || !res.diagnostics.isEmpty || res.facts != nil || (res.inventory.map { $0 != InventoryFacts() } ?? false)
                        || res.isContainer == true {
                        extra = try encoder.encode(Extra(
                            findings: res.findings.isEmpty ? nil : res.findings,
                            diagnostics: res.diagnostics.isEmpty ? nil : res.diagnostics,
                            facts: res.facts, inventory: res.inventory, container: res.isContainer == true ? true : nil))
                    }
                    try insert.execute(arguments: [
                        r.path, Int64(bitPattern: r.stamp.device), Int64(bitPattern: r.stamp.inode), r.stamp.size,
                        r.stamp.modifiedNanoseconds, r.stamp.changedNanoseconds, configID,
                        res.hashes.sha256, res.hashes.md5, res.hashes.sha1, res.bytes, extra,
                    ])
                }
            }
        } catch {
            writeError.withLock { $0 = $0 ?? "\(error)" }
        }
    }

    private func knownConfigurationID(_ digest: String) -> Int64? {
        if let id = configIDs.withLock({ $0[digest] }) { return id }
        let id = try? pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM configuration WHERE digest = ?", arguments: [digest]) }
        if let id { configIDs.withLock { $0[digest] = id } }
        return id
    }

    private func configurationID(_ digest: String, _ db: Database) throws -> Int64 {
        if let id = configIDs.withLock({ $0[digest] }) { return id }
        try db.execute(sql: "INSERT OR IGNORE INTO configuration(digest) VALUES (?)", arguments: [digest])
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM configuration WHERE digest = ?", arguments: [digest]) else {
            throw ScanCacheError("configuration row missing")
        }
        configIDs.withLock { $0[digest] = id }
        return id
    }
}

/// A SHA-256 digest as 32 bytes (four big-endian words), a quarter of its hex string's footprint.
struct SHA256Bytes: Sendable, Hashable {
    var a: UInt64
    var b: UInt64
    var c: UInt64
    var d: UInt64

    /// Parses 64 lower-case hex digits; nil for anything else.
    init?(hex: String) {
        var words: [UInt64] = []
        words.reserveCapacity(4)
        var word: UInt64 = 0
        var digits = 0
        for ch in hex.utf8 {
            let v: UInt8
            switch ch {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = ch - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = ch - UInt8(ascii: "a") + 10
            default: return nil
            }
            guard digits < 64 else { return nil }
            word = word << 4 | UInt64(v)
            digits += 1
            if digits % 16 == 0 {
                words.append(word)
                word = 0
            }
        }
        guard digits == 64 else { return nil }
        (a, b, c, d) = (words[0], words[1], words[2], words[3])
    }

    /// 64 lower-case hex digits.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 64) { buffer in
            var i = 0
            for word in [a, b, c, d] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[i] = digits[Int((word >> UInt64(shift)) & 0xF)]
                    i += 1
                }
            }
            return 64
        }
    }
}
