import Foundation
import PostgresNIO
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilHunt
import VigilVerdicts

// Network evidence, the contact index and verdicts (schema version 3, docs/fleet.md "Contact
// index"). Contact rows travel as parallel arrays expanded by `unnest()`, a chunk per statement,
// merged by `INSERT … ON CONFLICT DO UPDATE`; the retro-hunt is one lateral index range per wanted
// domain or network.
extension PostgresFleetStore {
    /// Contact rows per statement: big enough that round trips do not matter, small enough that
    /// one statement's arrays stay a few MB.
    static let contactChunk = 20_000

    public func applyNetworkReport(_ report: NetworkReport, receivedAt: Date) async throws -> NetworkReportOutcome {
        var prepared = try PreparedNetworkReport(report)
        // Key order: B-tree pages are touched in order, and concurrent writers lock rows in the same order.
        prepared.names.sort { ($0.key, $0.day, $0.client) < ($1.key, $1.day, $1.client) }
        prepared.servers.sort { ($0.key, $0.day, $0.client) < ($1.key, $1.day, $1.client) }
        let report = prepared
        let sensorID = try await sensorID(report.sensor)
        return try await transaction { conn in
            var fresh = false
            for try await _ in try await conn.query("""
                INSERT INTO net_report (sensor_id, report_id, applied_at) VALUES (\(sensorID), \(report.reportID), \(receivedAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: self.logger).decode(Int.self) { fresh = true }
            guard fresh else { return NetworkReportOutcome(duplicate: true, contactRows: 0, evidence: 0, leases: 0) }
            var newRows: [String: Int64] = [:]
            for (table, rows) in [("contact_name", report.names), ("contact_server", report.servers)] {
                var start = 0
                while start < rows.count {
                    let chunk = rows[start..<min(rows.count, start + Self.contactChunk)]
                    start += chunk.count
                    for (client, day, n) in try await Self.mergeContacts(conn, table: table, sensorID: sensorID, rows: chunk, logger: self.logger) {
                        newRows["\(day)\u{0}\(client)", default: 0] += n
                    }
                }
            }
            if !report.coverage.isEmpty {
                let c = report.coverage
                try await conn.query("""
                    INSERT INTO contact_coverage AS v (client, sensor_id, day, first_seen, last_seen, rows, evidence_line, evidence_file)
                    SELECT t.client, \(sensorID), t.day, t.first_seen, t.last_seen, t.rows, t.line, t.file
                    FROM unnest(\(c.map(\.client))::text[], \(c.map { Int32($0.day) })::int4[], \(c.map(\.firstSeen))::float8[],
                                \(c.map(\.lastSeen))::float8[], \(c.map { newRows["\($0.day)\u{0}\($0.client)"] ?? 0 })::int8[],
                                \(c.map(\.evidenceLine))::int8[], \(c.map(\.evidenceFile))::text[])
                         AS t(client, day, first_seen, last_seen, rows, line, file)
                    ON CONFLICT (client, sensor_id, day) DO UPDATE SET
                        evidence_file = CASE WHEN excluded.first_seen < v.first_seen THEN excluded.evidence_file ELSE v.evidence_file END,
                        evidence_line = CASE WHEN excluded.first_seen < v.first_seen THEN excluded.evidence_line ELSE v.evidence_line END,
                        first_seen = least(v.first_seen, excluded.first_seen), last_seen = greatest(v.last_seen, excluded.last_seen),
                        rows = v.rows + excluded.rows
                    """, logger: self.logger)
            }
            let evidence = try await Self.upsertEvidence(conn, report.evidence, at: receivedAt, logger: self.logger)
            var leases = 0
            if !report.leases.isEmpty {
                // Arrays carry no NULLs: a missing end travels as NaN, missing text as empty.
                let l = Self.dedupLeases(report.leases)
                for try await _ in try await conn.query("""
                    INSERT INTO dhcp_lease (address, start, mac, host_name, lease_end, server, evidence_file, evidence_line)
                    SELECT t.address, t.start, t.mac, NULLIF(t.host_name, ''), NULLIF(t.lease_end, 'NaN'::float8), NULLIF(t.server, ''), t.file, t.line
                    FROM unnest(\(l.map(\.address))::text[], \(l.map(\.start))::float8[], \(l.map { $0.mac ?? "" })::text[],
                                \(l.map { $0.hostName ?? "" })::text[], \(l.map { $0.end ?? .nan })::float8[], \(l.map { $0.server ?? "" })::text[],
                                \(l.map(\.evidenceFile))::text[], \(l.map { Int64($0.evidenceLine) })::int8[])
                         AS t(address, start, mac, host_name, lease_end, server, file, line)
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: self.logger).decode(Int.self) { leases += 1 }
            }
            if let c = report.cursor {
                try await conn.query("""
                    INSERT INTO log_cursor (source, file_identity, path, byte_offset, lines, finished, updated_at)
                    VALUES (\(c.source), \(c.fileIdentity), \(c.path), \(c.offset), \(c.lines), \(c.finished), \(receivedAt))
                    ON CONFLICT (source, file_identity) DO UPDATE SET path = excluded.path, byte_offset = excluded.byte_offset,
                        lines = excluded.lines, finished = excluded.finished, updated_at = excluded.updated_at
                    """, logger: self.logger)
            }
            return NetworkReportOutcome(duplicate: false, contactRows: report.names.count + report.servers.count, evidence: evidence, leases: leases)
        }
    }

    /// Leases once per key (address, start, MAC), so one statement never inserts a key twice.
    private static func dedupLeases(_ leases: [DHCPLease]) -> [DHCPLease] {
        struct Key: Hashable { var a: String; var s: Double; var m: String }
        var seen = Set<Key>()
        return leases.filter { seen.insert(Key(a: $0.address, s: $0.start, m: $0.mac ?? "")).inserted }
    }

    /// Merges one chunk of contact rows; returns the new rows per (client, day).
    private static func mergeContacts(
        _ conn: PostgresConnection, table: String, sensorID: Int32, rows: ArraySlice<PreparedContact>, logger: Logger
    ) async throws -> [(String, Int32, Int64)] {
        if table == "contact_name" {
            return try await mergeContacts(conn, table: table, keyColumn: "rname", keys: rows.map(\.key), keyType: "text[]", sensorID: sensorID,
                                           rows: rows, logger: logger)
        }
        precondition(table == "contact_server")
        return try await mergeContacts(conn, table: table, keyColumn: "addr", keys: rows.map { ByteBuffer(bytes: $0.address!) }, keyType: "bytea[]",
                                       sensorID: sensorID, rows: rows, logger: logger)
    }

    private static func mergeContacts<Keys: PostgresEncodable & Sendable>(
        _ conn: PostgresConnection, table: String, keyColumn: String, keys: Keys, keyType: String, sensorID: Int32,
        rows: ArraySlice<PreparedContact>, logger: Logger
    ) async throws -> [(String, Int32, Int64)] {
        let days = rows.map { Int32($0.day) }, clients = rows.map(\.client), counts = rows.map(\.count)
        let firsts = rows.map(\.firstSeen), lasts = rows.map(\.lastSeen), logs = rows.map { Int16($0.logs) }
        let lines = rows.map(\.evidenceLine), files = rows.map(\.evidenceFile)
        var out: [(String, Int32, Int64)] = []
        for try await (client, day, n) in try await conn.query("""
            WITH ins AS (
                INSERT INTO \(unescaped: table) AS c
                    (\(unescaped: keyColumn), sensor_id, day, client, count, first_seen, last_seen, logs, evidence_line, evidence_file)
                SELECT t.k, \(sensorID), t.day, t.client, t.count, t.first_seen, t.last_seen, t.logs, t.line, t.file
                FROM unnest(\(keys)::\(unescaped: keyType), \(days)::int4[], \(clients)::text[], \(counts)::int8[], \(firsts)::float8[],
                            \(lasts)::float8[], \(logs)::int2[], \(lines)::int8[], \(files)::text[])
                     AS t(k, day, client, count, first_seen, last_seen, logs, line, file)
                ON CONFLICT (\(unescaped: keyColumn), sensor_id, day, client) DO UPDATE SET
                    count = c.count + excluded.count,
                    evidence_file = CASE WHEN excluded.first_seen < c.first_seen THEN excluded.evidence_file ELSE c.evidence_file END,
                    evidence_line = CASE WHEN excluded.first_seen < c.first_seen THEN excluded.evidence_line ELSE c.evidence_line END,
                    first_seen = least(c.first_seen, excluded.first_seen), last_seen = greatest(c.last_seen, excluded.last_seen),
                    logs = c.logs | excluded.logs
                RETURNING c.client, c.day, (c.xmax = 0) AS fresh
            )
            SELECT client, day, count(*) FROM ins WHERE fresh GROUP BY client, day
            """, logger: logger).decode((String, Int32, Int64).self) {
            out.append((client, day, n))
        }
        return out
    }

    /// The sensor's id, entering the name in the dictionary when new (committed on its own, like the path dictionary).
    private func sensorID(_ name: String) async throws -> Int32 {
        if let id = try await one("SELECT sensor_id FROM net_sensor WHERE name = \(name)", as: Int32.self) { return id }
        try await client.query("INSERT INTO net_sensor (name) VALUES (\(name)) ON CONFLICT DO NOTHING", logger: logger)
        guard let id = try await one("SELECT sensor_id FROM net_sensor WHERE name = \(name)", as: Int32.self) else {
            throw FleetStoreError.notFound("sensor \(name)")
        }
        return id
    }

    public func contactNames(matching domains: [String], limit: Int) async throws -> [SensorContact] {
        let wanted = ContactQuery.domains(domains)
        let limit = max(0, limit)
        guard !wanted.isEmpty, limit > 0 else { return [] }
        var out = ContactQuery.Collector(limit: limit)
        for try await (rname, sensor, day, client, count, first, last, logs, line, file) in try await client.query(
            Self.contactNamesQuery(wanted, limit: limit), logger: logger
        ).decode((String, String, Int32, String, Int64, Double, Double, Int16, Int64, String).self) {
            out.add(SensorContact(sensor: sensor, row: ContactRow(
                day: ContactKeys.day(Int(day)), client: client, name: ContactKeys.name(reversed: rname), count: Int(count), firstSeen: first,
                lastSeen: last, logs: ContactKeys.logs(Int(logs)), evidenceFile: file, evidenceLine: Int(line))))
        }
        return out.rows
    }

    public func contactServers(in networks: [IPNetwork], limit: Int) async throws -> [SensorContact] {
        let wanted = ContactQuery.networks(networks)
        let limit = max(0, limit)
        guard !wanted.isEmpty, limit > 0 else { return [] }
        var out = ContactQuery.Collector(limit: limit)
        for try await (addr, sensor, day, client, count, first, last, logs, line, file) in try await client.query(
            Self.contactServersQuery(wanted, limit: limit), logger: logger
        ).decode((Data, String, Int32, String, Int64, Double, Double, Int16, Int64, String).self) {
            out.add(SensorContact(sensor: sensor, row: ContactRow(
                day: ContactKeys.day(Int(day)), client: client, server: ContactKeys.address(addr) ?? "?", count: Int(count), firstSeen: first,
                lastSeen: last, logs: ContactKeys.logs(Int(logs)), evidenceFile: file, evidenceLine: Int(line))))
        }
        return out.rows
    }

    /// The name retro-hunt: one range scan of the primary key per wanted domain.
    static func contactNamesQuery(_ domains: [String], limit: Int) -> PostgresQuery {
        let ranges = domains.map(ContactKeys.nameRange)
        return """
            SELECT c.rname, s.name, c.day, c.client, c.count, c.first_seen, c.last_seen, c.logs, c.evidence_line, c.evidence_file
            FROM unnest(\(ranges.map(\.equal))::text[], \(ranges.map(\.below))::text[], \(ranges.map(\.upper))::text[]) AS q(eq, lo, hi)
            CROSS JOIN LATERAL (
                SELECT * FROM contact_name c
                WHERE c.rname >= q.eq COLLATE "C" AND c.rname < q.hi COLLATE "C" AND (c.rname = q.eq COLLATE "C" OR c.rname >= q.lo COLLATE "C")
                LIMIT \(limit)
            ) c
            JOIN net_sensor s ON s.sensor_id = c.sensor_id
            LIMIT \(limit)
            """
    }

    /// The address retro-hunt: one range scan of the primary key per wanted network.
    static func contactServersQuery(_ networks: [(lower: Data, upper: Data)], limit: Int) -> PostgresQuery {
        """
        SELECT c.addr, s.name, c.day, c.client, c.count, c.first_seen, c.last_seen, c.logs, c.evidence_line, c.evidence_file
        FROM unnest(\(networks.map { ByteBuffer(bytes: $0.lower) })::bytea[], \(networks.map { ByteBuffer(bytes: $0.upper) })::bytea[]) AS q(lo, hi)
        CROSS JOIN LATERAL (SELECT * FROM contact_server c WHERE c.addr BETWEEN q.lo AND q.hi LIMIT \(limit)) c
        JOIN net_sensor s ON s.sensor_id = c.sensor_id
        LIMIT \(limit)
        """
    }

    /// PostgreSQL's plans for the two retro-hunt statements, one line per step (tests: each reads the
    /// contact tables through their primary keys, never a sequential scan).
    public func contactPlans() async throws -> (names: [String], servers: [String]) {
        var names = Self.contactNamesQuery(["evil.com", "c2.example"], limit: 1000)
        names.sql = "EXPLAIN " + names.sql
        let r = ContactKeys.range(IPNetwork("192.0.2.0/24")!)
        var servers = Self.contactServersQuery([r, r], limit: 1000)
        servers.sql = "EXPLAIN " + servers.sql
        return (try await collect(names, as: String.self), try await collect(servers, as: String.self))
    }

    public func coverageRows(clients: [String]?) async throws -> [CoverageRow] {
        let select = """
            SELECT s.name, c.client, c.day, c.first_seen, c.last_seen, c.rows, c.evidence_line, c.evidence_file
            FROM contact_coverage c JOIN net_sensor s ON s.sensor_id = c.sensor_id
            """
        let query: PostgresQuery
        if let clients {
            query = "\(unescaped: select) WHERE c.client = ANY(\(Array(Set(clients)))::text[])"
        } else {
            query = "\(unescaped: select)"
        }
        var out: [CoverageRow] = []
        for try await (sensor, client, day, first, last, rows, line, file) in try await client.query(query, logger: logger)
            .decode((String, String, Int32, Double, Double, Int64, Int64, String).self) {
            out.append(CoverageRow(sensor: sensor, client: client, day: ContactKeys.day(Int(day)), firstSeen: first, lastSeen: last,
                                   rows: Int(rows), evidenceFile: file, evidenceLine: Int(line)))
        }
        return out.sorted { ($0.client, $0.sensor, $0.day) < ($1.client, $1.sensor, $1.day) }
    }

    public func contactCount() async throws -> Int {
        try await one("SELECT (SELECT count(*) FROM contact_name) + (SELECT count(*) FROM contact_server)", as: Int.self) ?? 0
    }

    public func pruneContacts(before day: String) async throws -> Int {
        guard let cutoff = ContactKeys.dayNumber(day).map(Int32.init) else {
            throw FleetStoreError.invalidInput("day \"\(day.prefix(20))\" is not YYYY-MM-DD")
        }
        return try await transaction { conn in
            var removed = 0
            for table in ["contact_name", "contact_server"] {
                for try await n in try await conn.query("""
                    WITH d AS (DELETE FROM \(unescaped: table) WHERE day < \(cutoff) RETURNING 1) SELECT count(*) FROM d
                    """, logger: self.logger).decode(Int.self) { removed += n }
            }
            try await conn.query("DELETE FROM contact_coverage WHERE day < \(cutoff)", logger: self.logger)
            return removed
        }
    }

    public func recordNetworkEvidence(_ evidence: [NetworkEvidence], at: Date) async throws -> Int {
        let rows = PreparedEvidence.deduplicated(try evidence.map(PreparedEvidence.init))
        guard !rows.isEmpty else { return 0 }
        return try await transaction { conn in try await Self.upsertEvidence(conn, rows, at: at, logger: self.logger) }
    }

    /// Inserts new evidence and widens last seen and count of evidence on record; returns how many were new.
    private static func upsertEvidence(_ conn: PostgresConnection, _ rows: [PreparedEvidence], at: Date, logger: Logger) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let rows = rows.sorted { $0.identity.lexicographicallyPrecedes($1.identity) }
        var new = 0
        for try await fresh in try await conn.query("""
            INSERT INTO net_evidence AS e (identity, sensor, kind, address, destination, indicator, first_seen, last_seen, count, body, recorded_at)
            SELECT t.identity, t.sensor, t.kind, t.address, t.destination, t.indicator, t.first_seen, t.last_seen, t.count, t.body, \(at)
            FROM unnest(\(rows.map { ByteBuffer(bytes: $0.identity) })::bytea[], \(rows.map(\.sensor))::text[], \(rows.map(\.kind))::text[],
                        \(rows.map(\.address))::text[], \(rows.map(\.destination))::text[], \(rows.map(\.indicator))::text[],
                        \(rows.map(\.firstSeen))::float8[], \(rows.map(\.lastSeen))::float8[], \(rows.map(\.count))::int8[],
                        \(rows.map { ByteBuffer(bytes: $0.body) })::bytea[])
                 AS t(identity, sensor, kind, address, destination, indicator, first_seen, last_seen, count, body)
            ON CONFLICT (identity) DO UPDATE SET
                last_seen = greatest(e.last_seen, excluded.last_seen), count = greatest(e.count, excluded.count), body = excluded.body
            RETURNING (e.xmax = 0)
            """, logger: logger).decode(Bool.self) where fresh { new += 1 }
        return new
    }

    public func networkEvidence(limit: Int) async throws -> [StoredNetworkEvidence] {
        var out: [StoredNetworkEvidence] = []
        for try await (id, body, last, count, recorded) in try await client.query("""
            SELECT evidence_id, body, last_seen, count, recorded_at FROM net_evidence ORDER BY first_seen, evidence_id LIMIT \(max(0, limit))
            """, logger: logger).decode((Int64, Data, Double, Int64, Date).self) {
            out.append(StoredNetworkEvidence(id: id, evidence: try PreparedEvidence.evidence(body: body, lastSeen: last, count: count), recordedAt: recorded))
        }
        return out
    }

    public func dhcpLeases() async throws -> [DHCPLease] {
        var out: [DHCPLease] = []
        for try await (address, mac, hostName, start, end, server, file, line) in try await client.query("""
            SELECT address, mac, host_name, start, lease_end, server, evidence_file, evidence_line FROM dhcp_lease
            ORDER BY start, address COLLATE "C", mac COLLATE "C"
            """, logger: logger).decode((String, String, String?, Double, Double?, String?, String, Int64).self) {
            out.append(DHCPLease(address: address, mac: mac.isEmpty ? nil : mac, hostName: hostName, start: start, end: end, server: server,
                                 evidenceFile: file, evidenceLine: Int(line)))
        }
        return out
    }

    public func logCursor(source: String, fileIdentity: String) async throws -> LogCursor? {
        try await cursors("""
            SELECT source, file_identity, path, byte_offset, lines, finished FROM log_cursor WHERE source = \(source) AND file_identity = \(fileIdentity)
            """).first
    }

    public func logCursors(source: String) async throws -> [LogCursor] {
        try await cursors("""
            SELECT source, file_identity, path, byte_offset, lines, finished FROM log_cursor WHERE source = \(source) ORDER BY file_identity COLLATE "C"
            """)
    }

    private func cursors(_ query: PostgresQuery) async throws -> [LogCursor] {
        var out: [LogCursor] = []
        for try await (source, identity, path, offset, lines, finished) in try await client.query(query, logger: logger)
            .decode((String, String, String, Int64, Int64, Bool).self) {
            out.append(LogCursor(source: source, fileIdentity: identity, path: path, offset: offset, lines: lines, finished: finished))
        }
        return out
    }

    // MARK: Verdicts

    public func saveVerdicts(_ verdicts: [(hostID: Int64, verdict: HostVerdict)], at: Date) async throws -> [VerdictChange] {
        let items = try VerdictStorage.deduplicated(verdicts).map { ($0.hostID, $0.verdict, try VerdictStorage.encode($0.verdict)) }
        guard !items.isEmpty else { return [] }
        let at = Self.rounded(at)
        return try await transaction { conn in
            var changes: [VerdictChange] = []
            for (hostID, verdict, body) in items {
                var hostname: String?
                for try await name in try await conn.query("SELECT hostname FROM host WHERE host_id = \(hostID) FOR KEY SHARE", logger: self.logger)
                    .decode(String.self) { hostname = name }
                guard let hostname else { throw FleetStoreError.notFound("host \(hostID)") }
                var old: String?
                for try await s in try await conn.query("SELECT state FROM host_verdict WHERE host_id = \(hostID) FOR UPDATE", logger: self.logger)
                    .decode(String.self) { old = s }
                let state = verdict.state.rawValue
                if old == state {
                    try await conn.query("UPDATE host_verdict SET body = \(body), computed_at = \(at) WHERE host_id = \(hostID)", logger: self.logger)
                    continue
                }
                try await conn.query("""
                    INSERT INTO host_verdict (host_id, state, body, since, computed_at) VALUES (\(hostID), \(state), \(body), \(at), \(at))
                    ON CONFLICT (host_id) DO UPDATE SET state = excluded.state, body = excluded.body, since = excluded.since,
                        computed_at = excluded.computed_at
                    """, logger: self.logger)
                let reasons = VerdictStorage.reasonCodes(verdict)
                try await conn.query("""
                    INSERT INTO verdict_change (host_id, from_state, to_state, at, reasons)
                    VALUES (\(hostID), \(old), \(state), \(at), \(try VerdictStorage.encodeReasons(reasons)))
                    """, logger: self.logger)
                changes.append(VerdictChange(hostID: hostID, hostname: hostname, from: old.flatMap(VerdictState.init(rawValue:)),
                                             to: verdict.state, at: at, reasons: reasons))
            }
            return changes
        }
    }

    public func verdicts(state: VerdictState?, limit: Int, offset: Int) async throws -> [HostVerdictRecord] {
        let limit = max(0, min(limit, 100_000)), offset = max(0, offset)
        if let state {
            return try await verdictRecords("""
                SELECT v.host_id, h.hostname, v.body, v.since, v.computed_at FROM host_verdict v JOIN host h ON h.host_id = v.host_id
                WHERE v.state = \(state.rawValue) ORDER BY h.hostname COLLATE "C", v.host_id LIMIT \(limit) OFFSET \(offset)
                """)
        }
        return try await verdictRecords("""
            SELECT v.host_id, h.hostname, v.body, v.since, v.computed_at FROM host_verdict v JOIN host h ON h.host_id = v.host_id
            ORDER BY h.hostname COLLATE "C", v.host_id LIMIT \(limit) OFFSET \(offset)
            """)
    }

    public func verdict(hostID: Int64) async throws -> HostVerdictRecord? {
        try await verdictRecords("""
            SELECT v.host_id, h.hostname, v.body, v.since, v.computed_at FROM host_verdict v JOIN host h ON h.host_id = v.host_id
            WHERE v.host_id = \(hostID)
            """).first
    }

    private func verdictRecords(_ query: PostgresQuery) async throws -> [HostVerdictRecord] {
        var out: [HostVerdictRecord] = []
        for try await (id, hostname, body, since, computed) in try await client.query(query, logger: logger)
            .decode((Int64, String, Data, Date, Date).self) {
            out.append(HostVerdictRecord(hostID: id, hostname: hostname, verdict: try VerdictStorage.decode(body), since: since, computedAt: computed))
        }
        return out
    }

    public func verdictChanges(hostID: Int64?, since: Date?, limit: Int) async throws -> [VerdictChange] {
        let limit = max(0, min(limit, 100_000))
        // NULL parameters switch the filters off.
        var out: [VerdictChange] = []
        for try await (id, hostname, from, to, at, reasons) in try await client.query("""
            SELECT c.host_id, h.hostname, c.from_state, c.to_state, c.at, c.reasons FROM verdict_change c JOIN host h ON h.host_id = c.host_id
            WHERE (\(hostID)::int8 IS NULL OR c.host_id = \(hostID)::int8) AND (\(since)::timestamptz IS NULL OR c.at >= \(since)::timestamptz)
            ORDER BY c.at, c.change_id LIMIT \(limit)
            """, logger: logger).decode((Int64, String, String?, String, Date, Data).self) {
            guard let toState = VerdictState(rawValue: to) else { throw FleetStoreError.invalidInput("stored verdict state \(to)") }
            out.append(VerdictChange(hostID: id, hostname: hostname, from: from.flatMap(VerdictState.init(rawValue:)), to: toState, at: at,
                                     reasons: try VerdictStorage.decodeReasons(reasons)))
        }
        return out
    }
}
