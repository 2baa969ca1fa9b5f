import Foundation
import GRDB
import VigilFleetStore
import VigilVerdicts

extension SQLiteFleetSchema {
    /// Migration `v4-console-marks`: analysts' marks on findings (one row per finding, the latest
    /// mark; the audit log keeps the history).
    static func consoleMarks(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE finding_mark (
                finding_id INTEGER PRIMARY KEY REFERENCES finding ON DELETE CASCADE,
                status TEXT NOT NULL CHECK (status IN ('confirmed', 'false-positive', 'resolved')),
                note TEXT NOT NULL,
                marked_by TEXT NOT NULL,
                marked_at INTEGER NOT NULL
            );
            CREATE INDEX finding_mark_marked_at ON finding_mark (marked_at);
            -- The overview's counts without reading the tables: agent versions, verdict changes per day.
            CREATE INDEX host_agent_version ON host (agent_version);
            CREATE INDEX verdict_change_at_states ON verdict_change (at, from_state, to_state);
            """)
    }
}

/// Finding marks and user management for the web console on SQLite.
extension SQLiteFleetStore {
    public func markFinding(id: Int64, status: FindingMarkStatus, note: String, by user: String, at: Date) async throws -> FindingMark? {
        try FindingMark.validate(note: note, markedBy: user)
        let t = FleetTime.micros(at)
        return try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT f.host_id, h.hostname FROM finding f JOIN host h ON h.host_id = f.host_id WHERE f.finding_id = ?
                """, arguments: [id])
            else { return nil }
            try db.execute(sql: """
                INSERT INTO finding_mark (finding_id, status, note, marked_by, marked_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (finding_id) DO UPDATE SET status = excluded.status, note = excluded.note,
                    marked_by = excluded.marked_by, marked_at = excluded.marked_at
                """, arguments: [id, status.rawValue, note, user, t])
            return FindingMark(findingID: id, hostID: row[0], hostname: row[1], status: status, note: note, markedBy: user,
                               markedAt: FleetTime.date(t))
        }
    }

    public func findingMarks(hostID: Int64?, limit: Int) async throws -> [FindingMark] {
        let limit = max(0, min(limit, ConsoleAdminLimits.maxMarks))
        return try await pool.read { db in
            let select = """
                SELECT m.finding_id, f.host_id, h.hostname, m.status, m.note, m.marked_by, m.marked_at
                FROM finding_mark m JOIN finding f ON f.finding_id = m.finding_id JOIN host h ON h.host_id = f.host_id
                """
            let rows: [Row]
            if let hostID {
                rows = try Row.fetchAll(db, sql: select + " WHERE f.host_id = ? ORDER BY m.marked_at DESC, m.finding_id LIMIT ?",
                                        arguments: [hostID, limit])
            } else {
                rows = try Row.fetchAll(db, sql: select + " ORDER BY m.marked_at DESC, m.finding_id LIMIT ?", arguments: [limit])
            }
            return rows.compactMap { row in
                guard let status = FindingMarkStatus(rawValue: row[3]) else { return nil }
                return FindingMark(findingID: row[0], hostID: row[1], hostname: row[2], status: status, note: row[4], markedBy: row[5],
                                   markedAt: FleetTime.date(row[6]))
            }
        }
    }

    public func findingMarkCounts() async throws -> [FindingMarkStatus: Int] {
        try await pool.read { db in
            var out: [FindingMarkStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM finding_mark GROUP BY status") {
                if let status = FindingMarkStatus(rawValue: row[0]) { out[status] = row[1] }
            }
            return out
        }
    }

    public func users() async throws -> [UserRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fleet_user ORDER BY name LIMIT ?", arguments: [ConsoleAdminLimits.maxUsers])
                .map(Self.consoleUser)
        }
    }

    public func user(id: Int64) async throws -> UserRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM fleet_user WHERE user_id = ?", arguments: [id]).map(Self.consoleUser)
        }
    }

    static func consoleUser(_ row: Row) throws -> UserRecord {
        let roleText: String = row["role"]
        guard let role = UserRole(rawValue: roleText) else { throw FleetStoreError.invalidInput("stored role \(roleText)") }
        return UserRecord(id: row["user_id"], name: row["name"], role: role, passwordHash: row["password_hash"],
                          createdAt: FleetTime.date(row["created_at"]))
    }

    public func setUserRole(id: Int64, role: UserRole) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE fleet_user SET role = ? WHERE user_id = ?", arguments: [role.rawValue, id])
            return db.changesCount > 0
        }
    }

    public func disableUser(id: Int64, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE fleet_user SET password_hash = NULL WHERE user_id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                           arguments: [FleetTime.micros(at), id])
            try db.execute(sql: "DELETE FROM console_session WHERE user_id = ?", arguments: [id])
            return true
        }
    }

    public func deleteUser(id: Int64) async throws -> Bool {
        try await pool.write { db in
            // Tokens and sessions go with the user (ON DELETE CASCADE; foreign keys are on).
            try db.execute(sql: "DELETE FROM api_token WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM console_session WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM fleet_user WHERE user_id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func deleteSessions(userID: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE user_id = ?", arguments: [userID])
            return db.changesCount
        }
    }

    public func apiTokens(userID: Int64) async throws -> [APITokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT token_id, user_id, name, created_at, revoked_at FROM api_token WHERE user_id = ? ORDER BY token_id LIMIT ?
                """, arguments: [userID, ConsoleAdminLimits.maxTokensPerUser]).map {
                APITokenRecord(id: $0[0], userID: $0[1], name: $0[2], createdAt: FleetTime.date($0[3]),
                               revokedAt: ($0[4] as Int64?).map(FleetTime.date))
            }
        }
    }

    /// One counting query over `host_verdict` (its state index), instead of the protocol's paging default.
    public func verdictCounts() async throws -> [VerdictState: Int] {
        try await pool.read { db in
            var out: [VerdictState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM host_verdict GROUP BY state") {
                if let state = VerdictState(rawValue: row[0]) { out[state] = row[1] }
            }
            return out
        }
    }

    /// One grouping query over `verdict_change` (its `at` index).
    public func verdictChangeTallies(since: Date) async throws -> [VerdictChangeTally] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT at / 86400000000 AS day, from_state, to_state, count(*) FROM verdict_change WHERE at >= ?
                GROUP BY day, from_state, to_state ORDER BY day
                """, arguments: [FleetTime.micros(since)]).compactMap { row in
                guard let to = VerdictState(rawValue: row[2]) else { return nil }
                let from: String? = row[1]
                return VerdictChangeTally(day: row[0], from: from.flatMap(VerdictState.init(rawValue:)), to: to, count: row[3])
            }
        }
    }

    /// One query for a page of hosts' verdict states (the host list's column).
    public func verdictStates(hostIDs: [Int64]) async throws -> [Int64: VerdictState] {
        guard !hostIDs.isEmpty else { return [:] }
        let ids = Array(hostIDs.prefix(ConsoleStoreLimits.maxPage))
        return try await pool.read { db in
            var out: [Int64: VerdictState] = [:]
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            for row in try Row.fetchAll(db, sql: "SELECT host_id, state FROM host_verdict WHERE host_id IN (\(marks))",
                                        arguments: StatementArguments(ids)) {
                if let state = VerdictState(rawValue: row[1]) { out[row[0]] = state }
            }
            return out
        }
    }
}
