#!/usr/bin/env python3
"""Seeds a migrated fleet SQLite store for benchmarks/console.sh with direct bulk SQL.

    console_seed.py DB [--hosts N] [--files-per-host M] [--finding-every K]

N hosts (default 100,000), each with one address, M inventory rows per host (default 100: 10
million rows in all) over M shared paths; one host in K (default 100) holds the 3CX ffmpeg.dll
digest and has a critical finding. Rows are generated inside SQLite (recursive CTEs), with the
inventory indexes dropped during the load and rebuilt after, as a bulk load would be done.
Times are microseconds since the epoch, as the store keeps them.
"""
import argparse
import json
import sqlite3
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("db")
ap.add_argument("--hosts", type=int, default=100_000)
ap.add_argument("--files-per-host", type=int, default=100)
ap.add_argument("--finding-every", type=int, default=100)
a = ap.parse_args()

KNOWN = "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896"
now = int(time.time() * 1_000_000)
db = sqlite3.connect(a.db, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
db.execute("PRAGMA cache_size=-1000000")
if db.execute("SELECT count(*) FROM host").fetchone()[0]:
    sys.exit("the store already has hosts")
t = time.time()
db.execute("BEGIN")
db.execute("""
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    INSERT INTO host (host_id, host_identifier, hostname, os, os_version, agent_version, enrolled_at, last_contact, key_hash)
    SELECT i, printf('machine-%07d', i), printf('ws-%06d.corp.example', i),
           CASE WHEN i % 5 = 0 THEN 'windows' ELSE 'linux' END, '6.1',
           CASE WHEN i % 10 = 0 THEN '0.2.0' ELSE '0.3.0' END,
           ? - 30 * 86400000000, ? - (i % 48) * 3600000000, randomblob(32)
    FROM n""", (a.hosts, now, now))
db.execute("""
    INSERT INTO host_address (host_id, address, first_seen, last_seen)
    SELECT host_id, printf('10.%d.%d.%d', (host_id >> 16) & 255, (host_id >> 8) & 255, host_id & 255), enrolled_at, last_contact FROM host""")
db.execute("""
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    INSERT INTO path (path_id, path, name) SELECT i, printf('/opt/app/lib/component-%04d.so', i), printf('component-%04d.so', i) FROM n""",
           (a.files_per_host,))
db.execute("INSERT INTO path (path, name) VALUES ('C:/Program Files/3CXDesktopApp/app/ffmpeg.dll', 'ffmpeg.dll')")
ffmpeg_path = db.execute("SELECT path_id FROM path WHERE name = 'ffmpeg.dll'").fetchone()[0]
for index in ["host_file_sha256", "host_file_md5", "host_file_sha1", "host_file_path"]:
    db.execute(f"DROP INDEX IF EXISTS {index}")
# Most files are the same build everywhere (one digest per path); one host in 20 has its own copy.
db.execute("CREATE TEMP TABLE path_digest AS SELECT path_id, randomblob(32) AS digest FROM path WHERE path_id <> ?", (ffmpeg_path,))
db.execute("""
    INSERT INTO host_file (host_id, path_id, sha256, size, modified, first_seen, last_seen)
    SELECT h.host_id, p.path_id, CASE WHEN h.host_id % 20 = 0 THEN randomblob(32) ELSE p.digest END,
           4096 + p.path_id, 1700000000, h.enrolled_at, h.last_contact
    FROM host h CROSS JOIN path_digest p ORDER BY h.host_id, p.path_id""")
db.execute("COMMIT")
print(f"hosts and {a.hosts * a.files_per_host:,} inventory rows in {time.time() - t:.0f} s", flush=True)

t = time.time()
finding = {
    "check": "ioc.hash", "title": "file matches a known-bad SHA-256", "severity": "critical",
    "path": "C:/Program Files/3CXDesktopApp/app/ffmpeg.dll",
    "explanation": "The file's SHA-256 is listed by the built-in 3CX indicator set.",
    "attack": ["T1195.002"], "source": "3cx-builtin", "indicator": KNOWN, "matches": [], "evidence": {},
}
body = json.dumps(finding).encode()
db.execute("BEGIN")
db.execute("""
    INSERT INTO host_file (host_id, path_id, sha256, size, modified, first_seen, last_seen)
    SELECT host_id, ?, ?, 2796544, 1700000000, enrolled_at, last_contact FROM host WHERE host_id % ? = 0""",
           (ffmpeg_path, bytes.fromhex(KNOWN), a.finding_every))
db.execute("""
    INSERT INTO finding (host_id, check_id, path, indicator, severity, body, first_seen, last_seen)
    SELECT host_id, 'ioc.hash', ?, ?, 4, ?, enrolled_at, last_contact FROM host WHERE host_id % ? = 0""",
           (finding["path"], KNOWN, body, a.finding_every))
db.execute("COMMIT")
db.execute("CREATE INDEX host_file_sha256 ON host_file (sha256)")
db.execute("CREATE INDEX host_file_md5 ON host_file (md5) WHERE md5 IS NOT NULL")
db.execute("CREATE INDEX host_file_sha1 ON host_file (sha1) WHERE sha1 IS NOT NULL")
db.execute("CREATE INDEX host_file_path ON host_file (path_id)")
db.execute("ANALYZE")
rows = db.execute("SELECT count(*) FROM host_file").fetchone()[0]
print(f"findings and indexes in {time.time() - t:.0f} s; {rows:,} inventory rows", flush=True)
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
