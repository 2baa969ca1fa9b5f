import Foundation
import PostgresNIO
import VigilCore
import VigilFleetStore

/// The web console's sessions, audit log and overview queries on PostgreSQL. Sessions are rows, so
/// any server sharing the database recognises a login made on another.
extension PostgresFleetStore {
    public func setPasswordHash(userName: String, passwordHash: String?) async throws -> Bool {
        try await one("UPDATE fleet_user SET password_hash = \(passwordHash) WHERE name = \(userName) RETURNING user_id", as: Int64.self) != nil
    }

    public func createSession(idHash: Data, session: ConsoleSession) async throws {
        guard idHash.count == 32 else { throw FleetStoreError.invalidInput("session id hash must be 32 bytes") }
        try FleetInputCheck.text(session.csrfToken, what: "CSRF token")
        try await unique("session") {
            _ = try await client.query("""
                INSERT INTO console_session (session_hash, user_id, csrf_token, created_at, expires_at)
                VALUES (\(idHash), \(session.userID), \(session.csrfToken), \(session.createdAt), \(session.expiresAt))
                """, logger: logger)
        }
    }

    public func session(idHash: Data, at: Date) async throws -> (ConsoleSession, UserRecord)? {
        var out: (ConsoleSession, UserRecord)?
        for try await (userID, csrf, created, expires, name, role, password, userCreated) in try await client.query("""
            SELECT s.user_id, s.csrf_token, s.created_at, s.expires_at, u.name, u.role, u.password_hash, u.created_at
            FROM console_session s JOIN fleet_user u ON u.user_id = s.user_id
            WHERE s.session_hash = \(idHash) AND s.expires_at > \(at)
            """, logger: logger).decode((Int64, String, Date, Date, String, String, String?, Date).self) {
            out = (ConsoleSession(userID: userID, csrfToken: csrf, createdAt: created, expiresAt: expires),
                   UserRecord(id: userID, name: name, role: try Self.role(role), passwordHash: password, createdAt: userCreated))
        }
        return out
    }

    public func deleteSession(idHash: Data) async throws -> Bool {
        try await one("DELETE FROM console_session WHERE session_hash = \(idHash) RETURNING user_id", as: Int64.self) != nil
    }

    public func deleteExpiredSessions(at: Date) async throws -> Int {
        try await collect("DELETE FROM console_session WHERE expires_at <= \(at) RETURNING user_id", as: Int64.self).count
    }

    public func appendAudit(_ entry: AuditEntry) async throws {
        try entry.validate()
        try await client.query("""
            INSERT INTO audit_log (at, actor, action, target, detail)
            VALUES (\(entry.at), \(entry.actor), \(entry.action), \(entry.target), \(entry.detail))
            """, logger: logger)
    }

    public func auditLog(limit: Int) async throws -> [AuditEntry] {
        var out: [AuditEntry] = []
        for try await (id, at, actor, action, target, detail) in try await client.query("""
            SELECT audit_id, at, actor, action, target, detail FROM audit_log ORDER BY audit_id DESC LIMIT \(max(0, min(limit, 10_000)))
            """, logger: logger).decode((Int64, Date, String, String, String, String).self) {
            out.append(AuditEntry(id: id, at: at, actor: actor, action: action, target: target, detail: detail))
        }
        return out
    }

    public func hostPage(_ query: HostPageQuery) async throws -> [HostRecord] {
        let limit = max(1, min(query.limit, ConsoleStoreLimits.maxPage))
        let after = query.afterID ?? 0
        if let needle = query.search?.lowercased(), !needle.isEmpty {
            return try await hostRecords("""
                SELECT \(unescaped: Self.hostColumns) FROM host WHERE host_id > \(after) AND (
                    strpos(lower(hostname), \(needle)) > 0 OR strpos(lower(host_identifier), \(needle)) > 0
                    OR EXISTS (SELECT 1 FROM host_address a WHERE a.host_id = host.host_id AND left(lower(a.address), \(Int32(clamping: needle.count))) = \(needle)))
                ORDER BY host_id LIMIT \(limit)
                """)
        }
        return try await hostRecords("SELECT \(unescaped: Self.hostColumns) FROM host WHERE host_id > \(after) ORDER BY host_id LIMIT \(limit)")
    }

    public func overviewCounts(notSeenSince: Date) async throws -> FleetOverviewCounts {
        let hosts = try await one("SELECT count(*) FROM host", as: Int64.self) ?? 0
        var bySeverity: [Severity: Int] = [:]
        for try await (rank, n) in try await client.query("SELECT severity::int8, count(*) FROM finding GROUP BY severity", logger: logger)
            .decode((Int64, Int64).self) {
            if Severity.allCases.indices.contains(Int(rank)) { bySeverity[Severity.allCases[Int(rank)], default: 0] += Int(n) }
        }
        let silent = try await one(
            "SELECT count(*) FROM host WHERE last_contact IS NULL OR last_contact < \(notSeenSince)", as: Int64.self) ?? 0
        var versions: [AgentVersionCount] = []
        for try await (version, n) in try await client.query("""
            SELECT agent_version, count(*) AS n FROM host GROUP BY agent_version ORDER BY n DESC, agent_version
            LIMIT \(ConsoleStoreLimits.maxAgentVersions)
            """, logger: logger).decode((String, Int64).self) {
            versions.append(AgentVersionCount(version: version, hosts: Int(n)))
        }
        return FleetOverviewCounts(hosts: Int(hosts), findingsBySeverity: bySeverity, hostsNotSeen: Int(silent), agentVersions: versions)
    }

    public func hostsNotSeen(since: Date, limit: Int) async throws -> [HostRecord] {
        try await hostRecords("""
            SELECT \(unescaped: Self.hostColumns) FROM host WHERE last_contact IS NULL OR last_contact < \(since)
            ORDER BY last_contact NULLS FIRST, host_id LIMIT \(max(0, min(limit, ConsoleStoreLimits.maxPage)))
            """)
    }
}
