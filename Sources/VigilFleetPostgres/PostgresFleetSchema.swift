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
        // Issue 13: network evidence, the contact index and verdicts (docs/fleet.md, "Contact index").
        // Reversed names in "C" collation (byte order) and 16-byte addresses: a domain with its
        // subdomains and a CIDR are each one range of a primary key. Rows arrive roughly in day
        // order, so a BRIN index on the day (a few pages for millions of rows, nearly free to
        // maintain) finds what `pruneContacts` deletes.
        Migration(version: 3, name: "network", statements: [
            """
            CREATE TABLE net_sensor (
                sensor_id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL UNIQUE
            )
            """,
            """
            CREATE TABLE net_report (
                sensor_id int4 NOT NULL REFERENCES net_sensor,
                report_id text NOT NULL,
                applied_at timestamptz NOT NULL,
                PRIMARY KEY (sensor_id, report_id)
            )
            """,
            """
            CREATE TABLE contact_name (
                rname text COLLATE "C" NOT NULL,
                sensor_id int4 NOT NULL,
                day int4 NOT NULL,
                client text COLLATE "C" NOT NULL,
                count int8 NOT NULL,
                first_seen float8 NOT NULL,
                last_seen float8 NOT NULL,
                logs int2 NOT NULL,
                evidence_line int8 NOT NULL,
                evidence_file text NOT NULL,
                PRIMARY KEY (rname, sensor_id, day, client)
            )
            """,
            "CREATE INDEX contact_name_day ON contact_name USING brin (day)",
            """
            CREATE TABLE contact_server (
                addr bytea NOT NULL CHECK (length(addr) = 16),
                sensor_id int4 NOT NULL,
                day int4 NOT NULL,
                client text COLLATE "C" NOT NULL,
                count int8 NOT NULL,
                first_seen float8 NOT NULL,
                last_seen float8 NOT NULL,
                logs int2 NOT NULL,
                evidence_line int8 NOT NULL,
                evidence_file text NOT NULL,
                PRIMARY KEY (addr, sensor_id, day, client)
            )
            """,
            "CREATE INDEX contact_server_day ON contact_server USING brin (day)",
            """
            CREATE TABLE contact_coverage (
                client text COLLATE "C" NOT NULL,
                sensor_id int4 NOT NULL,
                day int4 NOT NULL,
                first_seen float8 NOT NULL,
                last_seen float8 NOT NULL,
                rows int8 NOT NULL,
                evidence_line int8 NOT NULL,
                evidence_file text NOT NULL,
                PRIMARY KEY (client, sensor_id, day)
            )
            """,
            "CREATE INDEX contact_coverage_day ON contact_coverage (day)",
            """
            CREATE TABLE net_evidence (
                evidence_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                identity bytea NOT NULL UNIQUE CHECK (length(identity) = 32),
                sensor text NOT NULL,
                kind text NOT NULL,
                address text NOT NULL,
                destination text NOT NULL,
                indicator text NOT NULL,
                first_seen float8 NOT NULL,
                last_seen float8 NOT NULL,
                count int8 NOT NULL,
                body bytea NOT NULL,
                recorded_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX net_evidence_first_seen ON net_evidence (first_seen)",
            """
            CREATE TABLE dhcp_lease (
                address text NOT NULL,
                start float8 NOT NULL,
                mac text NOT NULL,
                host_name text,
                lease_end float8,
                server text,
                evidence_file text NOT NULL,
                evidence_line int8 NOT NULL,
                PRIMARY KEY (address, start, mac)
            )
            """,
            """
            CREATE TABLE log_cursor (
                source text NOT NULL,
                file_identity text NOT NULL,
                path text NOT NULL,
                byte_offset int8 NOT NULL,
                lines int8 NOT NULL,
                finished bool NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (source, file_identity)
            )
            """,
            """
            CREATE TABLE host_verdict (
                host_id int8 PRIMARY KEY REFERENCES host ON DELETE CASCADE,
                state text NOT NULL,
                body bytea NOT NULL,
                since timestamptz NOT NULL,
                computed_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX host_verdict_state ON host_verdict (state)",
            """
            CREATE TABLE verdict_change (
                change_id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                host_id int8 NOT NULL REFERENCES host ON DELETE CASCADE,
                from_state text,
                to_state text NOT NULL,
                at timestamptz NOT NULL,
                reasons bytea NOT NULL
            )
            """,
            "CREATE INDEX verdict_change_host ON verdict_change (host_id, at)",
            "CREATE INDEX verdict_change_at ON verdict_change (at)",
        ]),
        consoleMarks,
        consoleSearch,
    ]
}
