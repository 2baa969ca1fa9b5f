import GRDB

/// The SQLite schema as GRDB migrations. A migration, once released, is never edited: a change
/// is a new `registerMigration` appended at the end. GRDB records applied ones in
/// `grdb_migrations` and runs each in its own transaction, so running `migrate()` again is a no-op.
///
/// Layout (docs/fleet.md, "Storage"): `host_file` is the lean fact table, one row per file per
/// host, keyed `(host_id, path_id)` and stored WITHOUT ROWID so a host's rows sit together; paths
/// are dictionary-encoded in `path`; digests are raw bytes checked for length.
public enum SQLiteFleetSchema {
    public static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-fleet") { db in
            try db.execute(sql: """
                CREATE TABLE fleet_state (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    feed_generation INTEGER NOT NULL
                );
                INSERT INTO fleet_state (singleton, feed_generation) VALUES (1, 0);

                CREATE TABLE enrollment_secret (
                    secret_id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    secret_hash BLOB NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );

                CREATE TABLE host (
                    host_id INTEGER PRIMARY KEY,
                    host_identifier TEXT NOT NULL UNIQUE,
                    hostname TEXT NOT NULL,
                    os TEXT NOT NULL,
                    os_version TEXT NOT NULL,
                    agent_version TEXT NOT NULL,
                    enrolled_at INTEGER NOT NULL,
                    last_contact INTEGER,
                    key_hash BLOB UNIQUE,
                    key_revoked_at INTEGER
                );

                CREATE TABLE host_address (
                    host_id INTEGER NOT NULL REFERENCES host ON DELETE CASCADE,
                    address TEXT NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    PRIMARY KEY (host_id, address)
                ) WITHOUT ROWID;

                CREATE TABLE path (
                    path_id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL
                );
                CREATE INDEX path_name ON path (name);

                CREATE TABLE host_file (
                    host_id INTEGER NOT NULL REFERENCES host ON DELETE CASCADE,
                    path_id INTEGER NOT NULL REFERENCES path,
                    sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
                    md5 BLOB CHECK (md5 IS NULL OR length(md5) = 16),
                    sha1 BLOB CHECK (sha1 IS NULL OR length(sha1) = 20),
                    size INTEGER NOT NULL,
                    modified INTEGER NOT NULL,
                    signer TEXT,
                    product TEXT,
                    version TEXT,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    PRIMARY KEY (host_id, path_id)
                ) WITHOUT ROWID;
                CREATE INDEX host_file_sha256 ON host_file (sha256);
                CREATE INDEX host_file_md5 ON host_file (md5) WHERE md5 IS NOT NULL;
                CREATE INDEX host_file_sha1 ON host_file (sha1) WHERE sha1 IS NOT NULL;
                CREATE INDEX host_file_path ON host_file (path_id);

                CREATE TABLE applied_batch (
                    host_id INTEGER NOT NULL REFERENCES host ON DELETE CASCADE,
                    batch_id TEXT NOT NULL,
                    applied_at INTEGER NOT NULL,
                    PRIMARY KEY (host_id, batch_id)
                ) WITHOUT ROWID;

                CREATE TABLE finding (
                    finding_id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES host ON DELETE CASCADE,
                    check_id TEXT NOT NULL,
                    path TEXT NOT NULL,
                    indicator TEXT NOT NULL,
                    severity INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    UNIQUE (host_id, check_id, path, indicator)
                );
                CREATE INDEX finding_last_seen ON finding (last_seen);

                CREATE TABLE feed (
                    name TEXT PRIMARY KEY,
                    format TEXT NOT NULL,
                    added_at INTEGER NOT NULL,
                    indicator_count INTEGER NOT NULL,
                    digest TEXT NOT NULL,
                    indicators BLOB NOT NULL
                );

                CREATE TABLE fleet_user (
                    user_id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
                    password_hash TEXT,
                    created_at INTEGER NOT NULL
                );

                CREATE TABLE api_token (
                    token_id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES fleet_user ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    token_hash BLOB NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                """)
        }
        // The web console: server-side sessions (hashed ids), the audit log, and an index for
        // "hosts not seen recently".
        migrator.registerMigration("v2-console") { db in
            try db.execute(sql: """
                CREATE TABLE console_session (
                    session_hash BLOB PRIMARY KEY CHECK (length(session_hash) = 32),
                    user_id INTEGER NOT NULL REFERENCES fleet_user ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX console_session_expires ON console_session (expires_at);

                CREATE TABLE audit_log (
                    audit_id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    detail TEXT NOT NULL
                );

                CREATE INDEX host_last_contact ON host (last_contact);
                """)
        }
        // Issue 13: network evidence, the contact index and verdicts (docs/fleet.md, "Contact index").
        // Names are stored with reversed labels and server addresses as 16 bytes, so a domain
        // (with its subdomains) and a CIDR are each one range of the primary key.
        migrator.registerMigration("v3-network") { db in
            try db.execute(sql: """
                CREATE TABLE net_sensor (
                    sensor_id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );

                CREATE TABLE net_report (
                    sensor_id INTEGER NOT NULL REFERENCES net_sensor,
                    report_id TEXT NOT NULL,
                    applied_at INTEGER NOT NULL,
                    PRIMARY KEY (sensor_id, report_id)
                ) WITHOUT ROWID;

                CREATE TABLE contact_name (
                    rname TEXT NOT NULL,
                    sensor_id INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    client TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    logs INTEGER NOT NULL,
                    evidence_file TEXT NOT NULL,
                    evidence_line INTEGER NOT NULL,
                    PRIMARY KEY (rname, sensor_id, day, client)
                ) WITHOUT ROWID;
                CREATE INDEX contact_name_day ON contact_name (day);

                CREATE TABLE contact_server (
                    addr BLOB NOT NULL CHECK (length(addr) = 16),
                    sensor_id INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    client TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    logs INTEGER NOT NULL,
                    evidence_file TEXT NOT NULL,
                    evidence_line INTEGER NOT NULL,
                    PRIMARY KEY (addr, sensor_id, day, client)
                ) WITHOUT ROWID;
                CREATE INDEX contact_server_day ON contact_server (day);

                CREATE TABLE contact_coverage (
                    client TEXT NOT NULL,
                    sensor_id INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    rows INTEGER NOT NULL,
                    evidence_file TEXT NOT NULL,
                    evidence_line INTEGER NOT NULL,
                    PRIMARY KEY (client, sensor_id, day)
                ) WITHOUT ROWID;
                CREATE INDEX contact_coverage_day ON contact_coverage (day);

                CREATE TABLE net_evidence (
                    evidence_id INTEGER PRIMARY KEY,
                    identity BLOB NOT NULL UNIQUE CHECK (length(identity) = 32),
                    sensor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    address TEXT NOT NULL,
                    destination TEXT NOT NULL,
                    indicator TEXT NOT NULL,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    count INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    recorded_at INTEGER NOT NULL
                );
                CREATE INDEX net_evidence_first_seen ON net_evidence (first_seen);

                CREATE TABLE dhcp_lease (
                    address TEXT NOT NULL,
                    start REAL NOT NULL,
                    mac TEXT NOT NULL,
                    host_name TEXT,
                    lease_end REAL,
                    server TEXT,
                    evidence_file TEXT NOT NULL,
                    evidence_line INTEGER NOT NULL,
                    PRIMARY KEY (address, start, mac)
                ) WITHOUT ROWID;

                CREATE TABLE log_cursor (
                    source TEXT NOT NULL,
                    file_identity TEXT NOT NULL,
                    path TEXT NOT NULL,
                    byte_offset INTEGER NOT NULL,
                    lines INTEGER NOT NULL,
                    finished INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (source, file_identity)
                ) WITHOUT ROWID;

                CREATE TABLE host_verdict (
                    host_id INTEGER PRIMARY KEY REFERENCES host ON DELETE CASCADE,
                    state TEXT NOT NULL,
                    body BLOB NOT NULL,
                    since INTEGER NOT NULL,
                    computed_at INTEGER NOT NULL
                );
                CREATE INDEX host_verdict_state ON host_verdict (state);

                CREATE TABLE verdict_change (
                    change_id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES host ON DELETE CASCADE,
                    from_state TEXT,
                    to_state TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    reasons BLOB NOT NULL
                );
                CREATE INDEX verdict_change_host ON verdict_change (host_id, at);
                CREATE INDEX verdict_change_at ON verdict_change (at);
                """)
        }
        migrator.registerMigration("v4-console-marks", migrate: consoleMarks)
        // Issue 14 follow-up: indexed host search (docs/console.md, "Search").
        migrator.registerMigration("v5-console-search", migrate: SQLiteFleetStore.consoleSearch)
        return migrator
    }()
}
