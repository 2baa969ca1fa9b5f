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
        migrator.registerMigration("v3-console-marks", migrate: consoleMarks)
        return migrator
    }()
}
