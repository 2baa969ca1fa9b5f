import Foundation
import GRDB
import VigilCore
import VigilFleetStore

/// The web console's sessions, audit log and overview queries on SQLite.
extension SQLiteFleetStore {
    public func setPasswordHash(userName: String, passwordHash: String?) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE fleet_user SET password_hash = ? WHERE name = ?", arguments: [passwordHash, userName])
            return db.changesCount > 0
        }
    }

    public func createSession(idHash: Data, session: ConsoleSession) async throws {
        guard idHash.count == 32 else { throw FleetStoreError.invalidInput("session id hash must be 32 bytes") }
        try FleetInputCheck.text(session.csrfToken, what: "CSRF token")
        try await uniqueWrite("session") { db in
            try db.execute(
                sql: "INSERT INTO console_session (session_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [idHash, session.userID, session.csrfToken, FleetTime.micros(session.createdAt), FleetTime.micros(session.expiresAt)])
        }
    }

    public func session(idHash: Data, at: Date) async throws -> (ConsoleSession, UserRecord)? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.user_id, s.csrf_token, s.created_at, s.expires_at, u.name, u.role, u.password_hash, u.created_at AS user_created
                FROM console_session s JOIN fleet_user u ON u.user_id = s.user_id
                WHERE s.session_hash = ? AND s.expires_at > ?
                """, arguments: [idHash, FleetTime.micros(at)])
            else { return nil }
            guard let role = UserRole(rawValue: row["role"]) else { return nil }
            let session = ConsoleSession(
                userID: row["user_id"], csrfToken: row["csrf_token"], createdAt: FleetTime.date(row["created_at"]),
                expiresAt: FleetTime.date(row["expires_at"]))
            let user = UserRecord(
                id: row["user_id"], name: row["name"], role: role, passwordHash: row["password_hash"],
                createdAt: FleetTime.date(row["user_created"]))
            return (session, user)
        }
    }

    public func deleteSession(idHash: Data) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE session_hash = ?", arguments: [idHash])
            return db.changesCount > 0
        }
    }

    public func deleteExpiredSessions(at: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE expires_at <= ?", arguments: [FleetTime.micros(at)])
            return db.changesCount
        }
    }

    public func appendAudit(_ entry: AuditEntry) async throws {
        try entry.validate()
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                arguments: [FleetTime.micros(entry.at), entry.actor, entry.action, entry.target, entry.detail])
        }
    }

    public func auditLog(limit: Int) async throws -> [AuditEntry] {
        let limit = max(0, min(limit, 10_000))
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT ?", arguments: [limit]).map {
                AuditEntry(id: $0["audit_id"], at: FleetTime.date($0["at"]), actor: $0["actor"], action: $0["action"],
                           target: $0["target"], detail: $0["detail"])
            }
        }
    }

    public func hostPage(_ query: HostPageQuery) async throws -> [HostRecord] {
        let limit = max(1, min(query.limit, ConsoleStoreLimits.maxPage))
        let after = query.afterID ?? 0
        return try await pool.read { db in
            let ids: [Int64]
            if let needle = query.search?.lowercased(), !needle.isEmpty {
                // Name or identifier substring, or address prefix (the address primary key serves the prefix).
                ids = try Int64.fetchAll(db, sql: """
                    SELECT host_id FROM host WHERE host_id > ? AND (
                        instr(lower(hostname), ?) > 0 OR instr(lower(host_identifier), ?) > 0
                        OR EXISTS (SELECT 1 FROM host_address a WHERE a.host_id = host.host_id AND substr(lower(a.address), 1, ?) = ?))
                    ORDER BY host_id LIMIT ?
                    """, arguments: [after, needle, needle, needle.count, needle, limit])
            } else {
                ids = try Int64.fetchAll(db, sql: "SELECT host_id FROM host WHERE host_id > ? ORDER BY host_id LIMIT ?", arguments: [after, limit])
            }
            return try ids.compactMap { try Self.fetchHost(db, id: $0) }
        }
    }

    public func overviewCounts(notSeenSince: Date) async throws -> FleetOverviewCounts {
        try await pool.read { db in
            let hosts = try Int.fetchOne(db, sql: "SELECT count(*) FROM host") ?? 0
            var bySeverity: [Severity: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT severity, count(*) FROM finding GROUP BY severity") {
                let rank: Int = row[0]
                if Severity.allCases.indices.contains(rank) { bySeverity[Severity.allCases[rank], default: 0] += row[1] }
            }
            let silent = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM host WHERE last_contact IS NULL OR last_contact < ?",
                arguments: [FleetTime.micros(notSeenSince)]) ?? 0
            let versions = try Row.fetchAll(
                db, sql: "SELECT agent_version, count(*) AS n FROM host GROUP BY agent_version ORDER BY n DESC, agent_version LIMIT ?",
                arguments: [ConsoleStoreLimits.maxAgentVersions]
            ).map { AgentVersionCount(version: $0[0], hosts: $0[1]) }
            return FleetOverviewCounts(hosts: hosts, findingsBySeverity: bySeverity, hostsNotSeen: silent, agentVersions: versions)
        }
    }

    public func hostsNotSeen(since: Date, limit: Int) async throws -> [HostRecord] {
        let limit = max(0, min(limit, ConsoleStoreLimits.maxPage))
        return try await pool.read { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT host_id FROM host WHERE last_contact IS NULL OR last_contact < ?
                ORDER BY coalesce(last_contact, 0), host_id LIMIT ?
                """, arguments: [FleetTime.micros(since), limit])
            return try ids.compactMap { try Self.fetchHost(db, id: $0) }
        }
    }
}
