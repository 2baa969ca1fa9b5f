/// The PostgreSQL schema as numbered migrations, recorded in `fleet_schema_version`.
///
/// A released migration is never edited; a change is a new entry appended to ``migrations``.
/// ``PostgresFleetStore/migrate()`` applies the missing ones in one transaction that first takes
/// a transaction-scoped advisory lock, so several `vigil serve` processes starting together on
/// one database migrate one after the other and the later ones find nothing to do.
///
/// Tables are ordinary logged tables (crash-safe, replicated). `host_file` has no foreign keys:
/// the store checks the host in the same transaction and path ids come from the `path`
/// dictionary, which is never pruned; a per-row foreign-key trigger would cost ingest speed on
/// the biggest table for no added safety.
public enum PostgresFleetSchema {
    /// Arbitrary constant naming the advisory lock that serialises migrations ("vigilfle").
    public static let advisoryLockKey: Int64 = 0x7669_6769_6C66_6C65

    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "fleet", statements: [
            """
            CREATE TABLE fleet_state (
                singleton int PRIMARY KEY CHECK (singleton = 1),
                feed_generation int8 NOT NULL
            )
            """,
            "INSERT INTO fleet_state (singleton, feed_generation) VALUES (1, 0)",
            """
            CREATE TABLE enrollment_secret (
                secret_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL,
                secret_hash bytea NOT NULL UNIQUE,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz
            )
            """,
            """
            CREATE TABLE host (
                host_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                host_identifier text NOT NULL UNIQUE,
                hostname text NOT NULL,
                os text NOT NULL,
                os_version text NOT NULL,
                agent_version text NOT NULL,
                enrolled_at timestamptz NOT NULL,
                last_contact timestamptz,
                key_hash bytea UNIQUE,
                key_revoked_at timestamptz
            )
            """,
            """
            CREATE TABLE host_address (
                host_id int8 NOT NULL REFERENCES host ON DELETE CASCADE,
                address text NOT NULL,
                first_seen timestamptz NOT NULL,
                last_seen timestamptz NOT NULL,
                PRIMARY KEY (host_id, address)
            )
            """,
            """
            CREATE TABLE path (
                path_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                path text NOT NULL UNIQUE,
                name text NOT NULL
            )
            """,
            "CREATE INDEX path_name ON path (name)",
            """
            CREATE TABLE host_file (
                host_id int8 NOT NULL,
                path_id int8 NOT NULL,
                sha256 bytea NOT NULL CHECK (length(sha256) = 32),
                md5 bytea CHECK (length(md5) = 16),
                sha1 bytea CHECK (length(sha1) = 20),
                size int8 NOT NULL,
                modified int8 NOT NULL,
                signer text,
                product text,
                version text,
                first_seen timestamptz NOT NULL,
                last_seen timestamptz NOT NULL,
                PRIMARY KEY (host_id, path_id)
            )
            """,
            "CREATE INDEX host_file_sha256 ON host_file (sha256)",
            "CREATE INDEX host_file_md5 ON host_file (md5) WHERE md5 IS NOT NULL",
            "CREATE INDEX host_file_sha1 ON host_file (sha1) WHERE sha1 IS NOT NULL",
            "CREATE INDEX host_file_path ON host_file (path_id)",
            """
            CREATE TABLE applied_batch (
                host_id int8 NOT NULL REFERENCES host ON DELETE CASCADE,
                batch_id text NOT NULL,
                applied_at timestamptz NOT NULL,
                PRIMARY KEY (host_id, batch_id)
            )
            """,
            """
            CREATE TABLE finding (
                finding_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                host_id int8 NOT NULL REFERENCES host ON DELETE CASCADE,
                check_id text NOT NULL,
                path text NOT NULL,
                indicator text NOT NULL,
                severity int2 NOT NULL,
                body bytea NOT NULL,
                first_seen timestamptz NOT NULL,
                last_seen timestamptz NOT NULL,
                UNIQUE (host_id, check_id, path, indicator)
            )
            """,
            "CREATE INDEX finding_last_seen ON finding (last_seen)",
            """
            CREATE TABLE feed (
                name text PRIMARY KEY,
                format text NOT NULL,
                added_at timestamptz NOT NULL,
                indicator_count int8 NOT NULL,
                digest text NOT NULL,
                indicators bytea NOT NULL
            )
            """,
            """
            CREATE TABLE fleet_user (
                user_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL UNIQUE,
                role text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
                password_hash text,
                created_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE api_token (
                token_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                user_id int8 NOT NULL REFERENCES fleet_user ON DELETE CASCADE,
                name text NOT NULL,
                token_hash bytea NOT NULL UNIQUE,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz
            )
            """,
        ]),
        // The web console: server-side sessions (hashed ids), the audit log, "hosts not seen" index.
        Migration(version: 2, name: "console", statements: [
            """
            CREATE TABLE console_session (
                session_hash bytea PRIMARY KEY CHECK (length(session_hash) = 32),
                user_id int8 NOT NULL REFERENCES fleet_user ON DELETE CASCADE,
                csrf_token text NOT NULL,
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX console_session_expires ON console_session (expires_at)",
            """
            CREATE TABLE audit_log (
                audit_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                target text NOT NULL,
                detail text NOT NULL
            )
            """,
            "CREATE INDEX host_last_contact ON host (last_contact)",
        ]),
        consoleMarks,
    ]
}
