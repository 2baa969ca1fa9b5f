import Foundation
import GRDB
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilHunt
import VigilVerdicts

// Network evidence, the contact index and verdicts (schema "v3-network", docs/fleet.md "Contact
// index"). Key encodings are ``ContactKeys``: reversed names, 16-byte addresses, day numbers.
extension SQLiteFleetStore {
    public func applyNetworkReport(_ report: NetworkReport, receivedAt: Date) async throws -> NetworkReportOutcome {
        let prepared = try PreparedNetworkReport(report)
        let t = FleetTime.micros(receivedAt)
        return try await pool.write { db in
            let sensorID = try Self.sensorID(db, prepared.sensor)
            try db.execute(
                sql: "INSERT INTO net_report (sensor_id, report_id, applied_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [sensorID, prepared.reportID, t])
            if db.changesCount == 0 {
                return NetworkReportOutcome(duplicate: true, contactRows: 0, evidence: 0, leases: 0)
            }
            // New rows per (client, day), for the coverage table's row counts.
            var newRows: [String: Int] = [:]
            func merge(table: String, keyColumn: String, rows: [PreparedContact], key: (PreparedContact) -> DatabaseValue) throws {
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO \(table) (\(keyColumn), sensor_id, day, client, count, first_seen, last_seen, logs, evidence_file, evidence_line)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """)
                let update = try db.cachedStatement(sql: """
                    UPDATE \(table) SET count = count + ?,
                        evidence_file = CASE WHEN ? < first_seen THEN ? ELSE evidence_file END,
                        evidence_line = CASE WHEN ? < first_seen THEN ? ELSE evidence_line END,
                        first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), logs = logs | ?
                    WHERE \(keyColumn) = ? AND sensor_id = ? AND day = ? AND client = ?
                    """)
                for r in rows {
                    let k = key(r)
                    try insert.execute(arguments: [k, sensorID, r.day, r.client, r.count, r.firstSeen, r.lastSeen, r.logs, r.evidenceFile, r.evidenceLine])
                    if db.changesCount > 0 {
                        newRows["\(r.day)\u{0}\(r.client)", default: 0] += 1
                    } else {
                        try update.execute(arguments: [
                            r.count, r.firstSeen, r.evidenceFile, r.firstSeen, r.evidenceLine, r.firstSeen, r.lastSeen, r.logs,
                            k, sensorID, r.day, r.client,
                        ])
                    }
                }
            }
            try merge(table: "contact_name", keyColumn: "rname", rows: prepared.names) { $0.key.databaseValue }
            try merge(table: "contact_server", keyColumn: "addr", rows: prepared.servers) { $0.address!.databaseValue }
            let coverage = try db.cachedStatement(sql: """
                INSERT INTO contact_coverage (client, sensor_id, day, first_seen, last_seen, rows, evidence_file, evidence_line)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (client, sensor_id, day) DO UPDATE SET
                    evidence_file = CASE WHEN excluded.first_seen < first_seen THEN excluded.evidence_file ELSE evidence_file END,
                    evidence_line = CASE WHEN excluded.first_seen < first_seen THEN excluded.evidence_line ELSE evidence_line END,
                    first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
                    rows = rows + excluded.rows
                """)
            for c in prepared.coverage {
                try coverage.execute(arguments: [
                    c.client, sensorID, c.day, c.firstSeen, c.lastSeen, newRows["\(c.day)\u{0}\(c.client)"] ?? 0, c.evidenceFile, c.evidenceLine,
                ])
            }
            let evidence = try Self.recordEvidence(db, prepared.evidence, at: t)
            let lease = try db.cachedStatement(sql: """
                INSERT INTO dhcp_lease (address, start, mac, host_name, lease_end, server, evidence_file, evidence_line)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
            var leases = 0
            for l in prepared.leases {
                try lease.execute(arguments: [l.address, l.start, l.mac ?? "", l.hostName, l.end, l.server, l.evidenceFile, l.evidenceLine])
                leases += db.changesCount
            }
            if let c = prepared.cursor {
                try db.execute(
                    sql: """
                        INSERT INTO log_cursor (source, file_identity, path, byte_offset, lines, finished, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (source, file_identity) DO UPDATE SET path = excluded.path, byte_offset = excluded.byte_offset,
                            lines = excluded.lines, finished = excluded.finished, updated_at = excluded.updated_at
                        """,
                    arguments: [c.source, c.fileIdentity, c.path, c.offset, c.lines, c.finished, t])
            }
            return NetworkReportOutcome(duplicate: false, contactRows: prepared.names.count + prepared.servers.count, evidence: evidence, leases: leases)
        }
    }

    private static func sensorID(_ db: Database, _ name: String) throws -> Int64 {
        try db.execute(sql: "INSERT INTO net_sensor (name) VALUES (?) ON CONFLICT DO NOTHING", arguments: [name])
        return try Int64.fetchOne(db, sql: "SELECT sensor_id FROM net_sensor WHERE name = ?", arguments: [name])!
    }

    public func contactNames(matching domains: [String], limit: Int) async throws -> [SensorContact] {
        let wanted = ContactQuery.domains(domains)
        let limit = max(0, limit)
        guard !wanted.isEmpty, limit > 0 else { return [] }
        return try await pool.read { db in
            var out = ContactQuery.Collector(limit: limit)
            var start = 0
            while start < wanted.count, !out.full {
                let chunk = wanted[start..<min(wanted.count, start + FleetStoreLimits.lookupChunk)]
                start += chunk.count
                var args: [DatabaseValue] = []
                for d in chunk {
                    let r = ContactKeys.nameRange(d)
                    args += [r.equal.databaseValue, r.below.databaseValue, r.upper.databaseValue]
                }
                args.append((limit - out.count).databaseValue)
                let rows = try Row.fetchCursor(db, sql: Self.contactNamesSQL(count: chunk.count), arguments: StatementArguments(args))
                while let row = try rows.next(), !out.full {
                    out.add(SensorContact(sensor: row[1], row: ContactRow(
                        day: ContactKeys.day(row[2]), client: row[3], name: ContactKeys.name(reversed: row[0]), count: row[4],
                        firstSeen: row[5], lastSeen: row[6], logs: ContactKeys.logs(row[7]), evidenceFile: row[8], evidenceLine: row[9])))
                }
            }
            return out.rows
        }
    }

    /// The name retro-hunt statement: each wanted domain is one range of the primary key.
    static func contactNamesSQL(count: Int) -> String {
        """
        WITH q(eq, lo, hi) AS (VALUES \(Array(repeating: "(?, ?, ?)", count: count).joined(separator: ",")))
        SELECT c.rname, s.name, c.day, c.client, c.count, c.first_seen, c.last_seen, c.logs, c.evidence_file, c.evidence_line
        FROM q CROSS JOIN contact_name c ON c.rname >= q.eq AND c.rname < q.hi AND (c.rname = q.eq OR c.rname >= q.lo)
        CROSS JOIN net_sensor s ON s.sensor_id = c.sensor_id
        LIMIT ?
        """
    }

    public func contactServers(in networks: [IPNetwork], limit: Int) async throws -> [SensorContact] {
        let wanted = ContactQuery.networks(networks)
        let limit = max(0, limit)
        guard !wanted.isEmpty, limit > 0 else { return [] }
        return try await pool.read { db in
            var out = ContactQuery.Collector(limit: limit)
            var start = 0
            while start < wanted.count, !out.full {
                let chunk = wanted[start..<min(wanted.count, start + FleetStoreLimits.lookupChunk)]
                start += chunk.count
                var args: [DatabaseValue] = []
                for n in chunk { args += [n.lower.databaseValue, n.upper.databaseValue] }
                args.append((limit - out.count).databaseValue)
                let rows = try Row.fetchCursor(db, sql: Self.contactServersSQL(count: chunk.count), arguments: StatementArguments(args))
                while let row = try rows.next(), !out.full {
                    out.add(SensorContact(sensor: row[1], row: ContactRow(
                        day: ContactKeys.day(row[2]), client: row[3], server: ContactKeys.address(row[0]) ?? "?", count: row[4],
                        firstSeen: row[5], lastSeen: row[6], logs: ContactKeys.logs(row[7]), evidenceFile: row[8], evidenceLine: row[9])))
                }
            }
            return out.rows
        }
    }

    static func contactServersSQL(count: Int) -> String {
        """
        WITH q(lo, hi) AS (VALUES \(Array(repeating: "(?, ?)", count: count).joined(separator: ",")))
        SELECT c.addr, s.name, c.day, c.client, c.count, c.first_seen, c.last_seen, c.logs, c.evidence_file, c.evidence_line
        FROM q CROSS JOIN contact_server c ON c.addr BETWEEN q.lo AND q.hi
        CROSS JOIN net_sensor s ON s.sensor_id = c.sensor_id
        LIMIT ?
        """
    }

    /// SQLite's plans for the two retro-hunt statements (tests: each must search the primary key).
    public func contactPlans() async throws -> (names: [String], servers: [String]) {
        try await pool.read { db in
            let n = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Self.contactNamesSQL(count: 2), arguments: ["a", "a.", "a/", "b", "b.", "b/", 10])
                .map { $0["detail"] as String }
            let blob = Data(count: 16)
            let s = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Self.contactServersSQL(count: 2), arguments: [blob, blob, blob, blob, 10])
                .map { $0["detail"] as String }
            return (n, s)
        }
    }

    public func coverageRows(clients: [String]?) async throws -> [CoverageRow] {
        let base = """
            SELECT s.name, c.client, c.day, c.first_seen, c.last_seen, c.rows, c.evidence_file, c.evidence_line
            FROM contact_coverage c JOIN net_sensor s ON s.sensor_id = c.sensor_id
            """
        @Sendable func row(_ r: Row) -> CoverageRow {
            CoverageRow(sensor: r[0], client: r[1], day: ContactKeys.day(r[2]), firstSeen: r[3], lastSeen: r[4], rows: r[5],
                        evidenceFile: r[6], evidenceLine: r[7])
        }
        let rows = try await pool.read { db -> [CoverageRow] in
            guard let clients else { return try Row.fetchAll(db, sql: base).map(row) }
            let wanted = Array(Set(clients))
            var out: [CoverageRow] = []
            var start = 0
            while start < wanted.count {
                let chunk = Array(wanted[start..<min(wanted.count, start + FleetStoreLimits.lookupChunk)])
                start += chunk.count
                let sql = base + " WHERE c.client IN (" + Array(repeating: "?", count: chunk.count).joined(separator: ",") + ")"
                out += try Row.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)).map(row)
            }
            return out
        }
        return rows.sorted { ($0.client, $0.sensor, $0.day) < ($1.client, $1.sensor, $1.day) }
    }

    public func contactCount() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM contact_name) + (SELECT count(*) FROM contact_server)") ?? 0
        }
    }

    public func pruneContacts(before day: String) async throws -> Int {
        guard let cutoff = ContactKeys.dayNumber(day) else { throw FleetStoreError.invalidInput("day \"\(day.prefix(20))\" is not YYYY-MM-DD") }
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM contact_name WHERE day < ?", arguments: [cutoff])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM contact_server WHERE day < ?", arguments: [cutoff])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM contact_coverage WHERE day < ?", arguments: [cutoff])
            return removed
        }
    }

    public func recordNetworkEvidence(_ evidence: [NetworkEvidence], at: Date) async throws -> Int {
        let rows = PreparedEvidence.deduplicated(try evidence.map(PreparedEvidence.init))
        let t = FleetTime.micros(at)
        return try await pool.write { db in try Self.recordEvidence(db, rows, at: t) }
    }

    /// Inserts new evidence and widens last seen and count of evidence on record; returns how many were new.
    private static func recordEvidence(_ db: Database, _ rows: [PreparedEvidence], at t: Int64) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO net_evidence (identity, sensor, kind, address, destination, indicator, first_seen, last_seen, count, body, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        let update = try db.cachedStatement(sql: """
            UPDATE net_evidence SET last_seen = max(last_seen, ?), count = max(count, ?), body = ?
            WHERE identity = ?
            """)
        var new = 0
        // In identity order, as the PostgreSQL store inserts them: evidence ids, the tie-break of
        // `networkEvidence(limit:)`'s order, then follow the same order on both back ends.
        for r in rows.sorted(by: { $0.identity.lexicographicallyPrecedes($1.identity) }) {
            try insert.execute(arguments: [r.identity, r.sensor, r.kind, r.address, r.destination, r.indicator, r.firstSeen, r.lastSeen, r.count, r.body, t])
            if db.changesCount > 0 {
                new += 1
            } else {
                try update.execute(arguments: [r.lastSeen, r.count, r.body, r.identity])
            }
        }
        return new
    }

    public func networkEvidence(limit: Int) async throws -> [StoredNetworkEvidence] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT evidence_id, body, last_seen, count, recorded_at FROM net_evidence ORDER BY first_seen, evidence_id LIMIT ?",
                arguments: [max(0, limit)]
            ).map { r in
                StoredNetworkEvidence(id: r[0], evidence: try PreparedEvidence.evidence(body: r[1], lastSeen: r[2], count: r[3]),
                                      recordedAt: FleetTime.date(r[4]))
            }
        }
    }

    public func dhcpLeases() async throws -> [DHCPLease] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT address, mac, host_name, start, lease_end, server, evidence_file, evidence_line FROM dhcp_lease ORDER BY start, address, mac"
            ).map { r in
                let mac: String = r[1]
                return DHCPLease(address: r[0], mac: mac.isEmpty ? nil : mac, hostName: r[2], start: r[3], end: r[4], server: r[5],
                                 evidenceFile: r[6], evidenceLine: r[7])
            }
        }
    }

    public func logCursor(source: String, fileIdentity: String) async throws -> LogCursor? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT source, file_identity, path, byte_offset, lines, finished FROM log_cursor WHERE source = ? AND file_identity = ?",
                arguments: [source, fileIdentity]
            ).map(Self.cursor)
        }
    }

    public func logCursors(source: String) async throws -> [LogCursor] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT source, file_identity, path, byte_offset, lines, finished FROM log_cursor WHERE source = ? ORDER BY file_identity",
                arguments: [source]
            ).map(Self.cursor)
        }
    }

    private static func cursor(_ r: Row) -> LogCursor {
        LogCursor(source: r[0], fileIdentity: r[1], path: r[2], offset: r[3], lines: r[4], finished: r[5])
    }

    // MARK: Verdicts

    public func saveVerdicts(_ verdicts: [(hostID: Int64, verdict: HostVerdict)], at: Date) async throws -> [VerdictChange] {
        let items = try VerdictStorage.deduplicated(verdicts).map { ($0.hostID, $0.verdict, try VerdictStorage.encode($0.verdict)) }
        let t = FleetTime.micros(at)
        return try await pool.write { db in
            var changes: [VerdictChange] = []
            for (hostID, verdict, body) in items {
                guard let hostname = try String.fetchOne(db, sql: "SELECT hostname FROM host WHERE host_id = ?", arguments: [hostID]) else {
                    throw FleetStoreError.notFound("host \(hostID)")
                }
                let old = try String.fetchOne(db, sql: "SELECT state FROM host_verdict WHERE host_id = ?", arguments: [hostID])
                let state = verdict.state.rawValue
                if old == state {
                    try db.execute(sql: "UPDATE host_verdict SET body = ?, computed_at = ? WHERE host_id = ?", arguments: [body, t, hostID])
                    continue
                }
                try db.execute(
                    sql: """
                        INSERT INTO host_verdict (host_id, state, body, since, computed_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (host_id) DO UPDATE SET state = excluded.state, body = excluded.body, since = excluded.since,
                            computed_at = excluded.computed_at
                        """,
                    arguments: [hostID, state, body, t, t])
                let reasons = VerdictStorage.reasonCodes(verdict)
                try db.execute(
                    sql: "INSERT INTO verdict_change (host_id, from_state, to_state, at, reasons) VALUES (?, ?, ?, ?, ?)",
                    arguments: [hostID, old, state, t, try VerdictStorage.encodeReasons(reasons)])
                changes.append(VerdictChange(hostID: hostID, hostname: hostname, from: old.flatMap(VerdictState.init(rawValue:)),
                                             to: verdict.state, at: FleetTime.date(t), reasons: reasons))
            }
            return changes
        }
    }

    public func verdicts(state: VerdictState?, limit: Int, offset: Int) async throws -> [HostVerdictRecord] {
        let limit = max(0, min(limit, 100_000)), offset = max(0, offset)
        let base = "SELECT v.host_id, h.hostname, v.body, v.since, v.computed_at FROM host_verdict v JOIN host h ON h.host_id = v.host_id"
        return try await pool.read { db in
            let rows: [Row]
            if let state {
                rows = try Row.fetchAll(db, sql: base + " WHERE v.state = ? ORDER BY h.hostname, v.host_id LIMIT ? OFFSET ?",
                                        arguments: [state.rawValue, limit, offset])
            } else {
                rows = try Row.fetchAll(db, sql: base + " ORDER BY h.hostname, v.host_id LIMIT ? OFFSET ?", arguments: [limit, offset])
            }
            return try rows.map(Self.verdictRecord)
        }
    }

    public func verdict(hostID: Int64) async throws -> HostVerdictRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT v.host_id, h.hostname, v.body, v.since, v.computed_at FROM host_verdict v JOIN host h ON h.host_id = v.host_id WHERE v.host_id = ?",
                arguments: [hostID]
            ).map(Self.verdictRecord)
        }
    }

    private static func verdictRecord(_ r: Row) throws -> HostVerdictRecord {
        HostVerdictRecord(hostID: r[0], hostname: r[1], verdict: try VerdictStorage.decode(r[2]), since: FleetTime.date(r[3]),
                          computedAt: FleetTime.date(r[4]))
    }

    public func verdictChanges(hostID: Int64?, since: Date?, limit: Int) async throws -> [VerdictChange] {
        var conditions: [String] = []
        var args: [DatabaseValue] = []
        if let hostID { conditions.append("c.host_id = ?"); args.append(hostID.databaseValue) }
        if let since { conditions.append("c.at >= ?"); args.append(FleetTime.micros(since).databaseValue) }
        args.append(max(0, min(limit, 100_000)).databaseValue)
        let sql = """
            SELECT c.host_id, h.hostname, c.from_state, c.to_state, c.at, c.reasons FROM verdict_change c JOIN host h ON h.host_id = c.host_id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")) ORDER BY c.at, c.change_id LIMIT ?
            """
        let arguments = args
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { r in
                let from: String? = r[2], to: String = r[3]
                guard let toState = VerdictState(rawValue: to) else { throw FleetStoreError.invalidInput("stored verdict state \(to)") }
                return VerdictChange(hostID: r[0], hostname: r[1], from: from.flatMap(VerdictState.init(rawValue:)), to: toState,
                                     at: FleetTime.date(r[4]), reasons: try VerdictStorage.decodeReasons(r[5]))
            }
        }
    }
}
