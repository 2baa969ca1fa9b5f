import Foundation
import PostgresNIO
import VigilFleetStore
import VigilVerdicts

extension PostgresFleetSchema {
    /// Analysts' marks on findings (one row per finding, the latest mark; the audit log keeps the history).
    static let consoleMarks = Migration(version: 4, name: "console-marks", statements: [
        """
        CREATE TABLE finding_mark (
            finding_id int8 PRIMARY KEY REFERENCES finding ON DELETE CASCADE,
            status text NOT NULL CHECK (status IN ('confirmed', 'false-positive', 'resolved')),
            note text NOT NULL,
            marked_by text NOT NULL,
            marked_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX finding_mark_marked_at ON finding_mark (marked_at)",
        // The overview's counts without reading the tables: agent versions, verdict changes per day.
        "CREATE INDEX host_agent_version ON host (agent_version)",
        "CREATE INDEX verdict_change_at_states ON verdict_change (at, from_state, to_state)",
    ])
}

/// Finding marks and user management for the web console on PostgreSQL.
extension PostgresFleetStore {
    public func markFinding(id: Int64, status: FindingMarkStatus, note: String, by user: String, at: Date) async throws -> FindingMark? {
        try FindingMark.validate(note: note, markedBy: user)
        var out: FindingMark?
        for try await (hostID, hostname) in try await client.query("""
            WITH target AS (SELECT f.finding_id, f.host_id, h.hostname FROM finding f JOIN host h ON h.host_id = f.host_id
                            WHERE f.finding_id = \(id)),
                 upsert AS (INSERT INTO finding_mark (finding_id, status, note, marked_by, marked_at)
                            SELECT finding_id, \(status.rawValue), \(note), \(user), \(at) FROM target
                            ON CONFLICT (finding_id) DO UPDATE SET status = excluded.status, note = excluded.note,
                                marked_by = excluded.marked_by, marked_at = excluded.marked_at
                            RETURNING finding_id)
            SELECT target.host_id, target.hostname FROM target JOIN upsert USING (finding_id)
            """, logger: logger).decode((Int64, String).self) {
            out = FindingMark(findingID: id, hostID: hostID, hostname: hostname, status: status, note: note, markedBy: user,
                              markedAt: Self.rounded(at))
        }
        return out
    }

    public func findingMarks(hostID: Int64?, limit: Int) async throws -> [FindingMark] {
        let limit = max(0, min(limit, ConsoleAdminLimits.maxMarks))
        var out: [FindingMark] = []
        for try await (findingID, host, hostname, status, note, by, at) in try await client.query("""
            SELECT m.finding_id, f.host_id, h.hostname, m.status, m.note, m.marked_by, m.marked_at
            FROM finding_mark m JOIN finding f ON f.finding_id = m.finding_id JOIN host h ON h.host_id = f.host_id
            WHERE \(hostID)::int8 IS NULL OR f.host_id = \(hostID)
            ORDER BY m.marked_at DESC, m.finding_id LIMIT \(limit)
            """, logger: logger).decode((Int64, Int64, String, String, String, String, Date).self) {
            guard let status = FindingMarkStatus(rawValue: status) else { continue }
            out.append(FindingMark(findingID: findingID, hostID: host, hostname: hostname, status: status, note: note, markedBy: by, markedAt: at))
        }
        return out
    }

    public func findingMarkCounts() async throws -> [FindingMarkStatus: Int] {
        var out: [FindingMarkStatus: Int] = [:]
        for try await (status, n) in try await client.query("SELECT status, count(*) FROM finding_mark GROUP BY status", logger: logger)
            .decode((String, Int64).self) {
            if let status = FindingMarkStatus(rawValue: status) { out[status] = Int(n) }
        }
        return out
    }

    public func users() async throws -> [UserRecord] {
        try await consoleUsers("""
            SELECT user_id, name, role, password_hash, created_at FROM fleet_user ORDER BY name LIMIT \(ConsoleAdminLimits.maxUsers)
            """)
    }

    public func user(id: Int64) async throws -> UserRecord? {
        try await consoleUsers("SELECT user_id, name, role, password_hash, created_at FROM fleet_user WHERE user_id = \(id)").first
    }

    func consoleUsers(_ query: PostgresQuery) async throws -> [UserRecord] {
        var out: [UserRecord] = []
        for try await (id, name, role, password, created) in try await client.query(query, logger: logger)
            .decode((Int64, String, String, String?, Date).self) {
            out.append(UserRecord(id: id, name: name, role: try Self.role(role), passwordHash: password, createdAt: created))
        }
        return out
    }

    public func setUserRole(id: Int64, role: UserRole) async throws -> Bool {
        try await one("UPDATE fleet_user SET role = \(role.rawValue) WHERE user_id = \(id) RETURNING user_id", as: Int64.self) != nil
    }

    public func disableUser(id: Int64, at: Date) async throws -> Bool {
        try await transaction { conn in
            var found = false
            for try await _ in try await conn.query(
                "UPDATE fleet_user SET password_hash = NULL WHERE user_id = \(id) RETURNING user_id", logger: self.logger).decode(Int64.self) {
                found = true
            }
            guard found else { return false }
            try await conn.query("UPDATE api_token SET revoked_at = \(at) WHERE user_id = \(id) AND revoked_at IS NULL", logger: self.logger)
            try await conn.query("DELETE FROM console_session WHERE user_id = \(id)", logger: self.logger)
            return true
        }
    }

    public func deleteUser(id: Int64) async throws -> Bool {
        // Tokens and sessions go with the user (ON DELETE CASCADE).
        try await one("DELETE FROM fleet_user WHERE user_id = \(id) RETURNING user_id", as: Int64.self) != nil
    }

    public func deleteSessions(userID: Int64) async throws -> Int {
        try await collect("DELETE FROM console_session WHERE user_id = \(userID) RETURNING user_id", as: Int64.self).count
    }

    public func apiTokens(userID: Int64) async throws -> [APITokenRecord] {
        var out: [APITokenRecord] = []
        for try await (id, user, name, created, revoked) in try await client.query("""
            SELECT token_id, user_id, name, created_at, revoked_at FROM api_token WHERE user_id = \(userID)
            ORDER BY token_id LIMIT \(ConsoleAdminLimits.maxTokensPerUser)
            """, logger: logger).decode((Int64, Int64, String, Date, Date?).self) {
            out.append(APITokenRecord(id: id, userID: user, name: name, createdAt: created, revokedAt: revoked))
        }
        return out
    }

    /// One counting query over `host_verdict` (its state index), instead of the protocol's paging default.
    public func verdictCounts() async throws -> [VerdictState: Int] {
        var out: [VerdictState: Int] = [:]
        for try await (state, n) in try await client.query("SELECT state, count(*) FROM host_verdict GROUP BY state", logger: logger)
            .decode((String, Int64).self) {
            if let state = VerdictState(rawValue: state) { out[state] = Int(n) }
        }
        return out
    }

    /// One grouping query over `verdict_change` (its `at` index).
    public func verdictChangeTallies(since: Date) async throws -> [VerdictChangeTally] {
        var out: [VerdictChangeTally] = []
        for try await (day, from, to, n) in try await client.query("""
            SELECT floor(extract(epoch FROM at) / 86400)::int8 AS day, from_state, to_state, count(*) FROM verdict_change
            WHERE at >= \(since) GROUP BY 1, 2, 3 ORDER BY 1
            """, logger: logger).decode((Int64, String?, String, Int64).self) {
            guard let to = VerdictState(rawValue: to) else { continue }
            out.append(VerdictChangeTally(day: day, from: from.flatMap(VerdictState.init(rawValue:)), to: to, count: Int(n)))
        }
        return out
    }

    /// One query for a page of hosts' verdict states (the host list's column).
    public func verdictStates(hostIDs: [Int64]) async throws -> [Int64: VerdictState] {
        guard !hostIDs.isEmpty else { return [:] }
        let ids = Array(hostIDs.prefix(ConsoleStoreLimits.maxPage))
        var out: [Int64: VerdictState] = [:]
        for try await (id, state) in try await client.query(
            "SELECT host_id, state FROM host_verdict WHERE host_id = ANY(\(ids))", logger: logger).decode((Int64, String).self) {
            if let state = VerdictState(rawValue: state) { out[id] = state }
        }
        return out
    }
}
