#!/usr/bin/env bash
# Contact-index benchmark: N contact rows ingested into PostgreSQL (a private server from
# scripts/postgres.sh) through FleetStore.applyNetworkReport, then a retro-hunt of 1,000 new
# indicators (500 domains, 500 addresses and CIDRs) through contactNames / contactServers, cold and
# warm. Prints ingest rows/s, retro-hunt times, table and index sizes, and peak memory of the
# benchmark process (/usr/bin/time -v) and of the PostgreSQL server.
#
#   benchmarks/contacts.sh [--rows N] [--report-rows R] [--writers W] [--days D] [--clients C] [--backend postgres|sqlite]
#                          [--keep-server] [--hunt-only]
#
# --keep-server leaves the PostgreSQL server and its data running after the run and writes its
# environment to $BENCH_DIR/contacts-pg.env (default /tmp/vigil-bench); a later run with --hunt-only (and
# the same --rows, --days, --clients) skips the ingest and times the retro-hunt again on that server,
# for example once the machine is quiet after an hour-long 100 M-row ingest.
#
# Defaults: 10 million rows (the issue's target is --rows 100000000), reports of 250,000 rows, 2
# concurrent writers, 30 days, 5,000 clients. VIGIL_PG_SHARED_BUFFERS sets shared_buffers (default here 1GB).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=10000000 REPORT_ROWS=250000 WRITERS=2 DAYS=30 CLIENTS=5000 BACKEND=postgres KEEP_SERVER="" HUNT_ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --report-rows) REPORT_ROWS=$2; shift 2 ;;
    --writers) WRITERS=$2; shift 2 ;;
    --days) DAYS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --backend) BACKEND=$2; shift 2 ;;
    --keep-server) KEEP_SERVER=1; shift ;;
    --hunt-only) HUNT_ONLY=1; shift ;;
    *) echo "usage: benchmarks/contacts.sh [--rows N] [--report-rows R] [--writers W] [--days D] [--clients C] [--backend postgres|sqlite]" >&2; exit 2 ;;
    esac
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vigil-contacts-bench.XXXXXX")
PG_STARTED=""
cleanup() {
    [ -n "$PG_STARTED" ] && [ -z "$KEEP_SERVER" ] && scripts/postgres.sh stop "$VIGIL_PG_DIR" || true
    rm -rf "$OUT"
}
trap cleanup EXIT

swift build -c release --product vigil-contacts-bench >"$OUT/build.txt" 2>&1 || { grep -E "error" "$OUT/build.txt" >&2; exit 1; }
BIN=$(swift build -c release --show-bin-path)/vigil-contacts-bench
ARGS=(--rows "$ROWS" --report-rows "$REPORT_ROWS" --writers "$WRITERS" --days "$DAYS" --clients "$CLIENTS")
[ -n "$HUNT_ONLY" ] && ARGS+=(--hunt-only)
ENV_FILE="${BENCH_DIR:-/tmp/vigil-bench}/contacts-pg.env"
peak() {
    awk -F': ' '/Maximum resident set size/ {printf "  bench process peak RSS: %.0f MB\n", $2 / 1024}
                /User time|System time/ {cpu += $2} END {printf "  bench process CPU: %.1f s\n", cpu}' "$1"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (the machine may be shared)"

if [ "$BACKEND" = sqlite ]; then
    echo "== SQLite (WAL, synchronous=FULL)"
    /usr/bin/time -v "$BIN" sqlite "$OUT/fleet.sqlite" "${ARGS[@]}" 2>"$OUT/time.txt" || { cat "$OUT/time.txt" >&2; exit 1; }
    peak "$OUT/time.txt"
    echo "  database file: $(du -cm "$OUT"/fleet.sqlite* | tail -1 | cut -f1) MB (with WAL)"
    exit 0
fi

echo "== PostgreSQL 15 (logged tables, synchronous_commit on)"
export VIGIL_PG_SHARED_BUFFERS=${VIGIL_PG_SHARED_BUFFERS:-1GB}
if [ -n "$HUNT_ONLY" ]; then
    [ -f "$ENV_FILE" ] || { echo "--hunt-only: no kept server ($ENV_FILE); run with --keep-server first" >&2; exit 2; }
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    # The server is kept again; stop it with: scripts/postgres.sh stop "$VIGIL_PG_DIR"
    KEEP_SERVER=1
else
    pg_env=$(scripts/postgres.sh start 2>/dev/null)
    eval "$pg_env"
    if [ -n "$KEEP_SERVER" ]; then
        mkdir -p "$(dirname "$ENV_FILE")"
        printf '%s\n' "$pg_env" >"$ENV_FILE"
        echo "keeping the server: its environment is in $ENV_FILE (stop it with scripts/postgres.sh stop DIR)"
    fi
fi
PG_STARTED=1
# Peak RSS of this server's processes (the postmaster and its children), sampled every second:
# the largest one, and all together (shared buffers are counted in each process that touched them).
PGPID=$(head -1 "$VIGIL_PG_DIR/data/postmaster.pid")
( peak=0; while [ -d "$VIGIL_PG_DIR/data" ]; do
      now=$(ps -o rss= -p "$PGPID" --ppid "$PGPID" 2>/dev/null | sort -n | tail -1 | tr -d ' '); now=${now:-0}
      [ "$now" -gt "$peak" ] && { peak=$now; echo "$peak" >"$OUT/pg-peak"; }
      sleep 1
  done ) &
SAMPLER=$!
/usr/bin/time -v "$BIN" postgres "$VIGIL_TEST_POSTGRES_URL" "${ARGS[@]}" 2>"$OUT/time.txt" || { cat "$OUT/time.txt" >&2; kill "$SAMPLER"; exit 1; }
kill "$SAMPLER" 2>/dev/null || true
peak "$OUT/time.txt"
echo "  PostgreSQL largest process peak RSS: $(awk '{printf "%.0f MB", $1/1024}' "$OUT/pg-peak" 2>/dev/null || echo "?") (shared buffers it touched included)"
psql "$VIGIL_TEST_POSTGRES_URL" -At -c "
    SELECT '  contact_name: heap ' || pg_size_pretty(pg_relation_size('contact_name'))
        || ', primary key ' || pg_size_pretty(pg_relation_size('contact_name_pkey'))
        || ', day BRIN ' || pg_size_pretty(pg_relation_size('contact_name_day'))
        || E'\n  contact_server: heap ' || pg_size_pretty(pg_relation_size('contact_server'))
        || ', primary key ' || pg_size_pretty(pg_relation_size('contact_server_pkey'))
        || E'\n  contact_coverage: ' || pg_size_pretty(pg_total_relation_size('contact_coverage'))
        || '; database ' || pg_size_pretty(pg_database_size(current_database()))"
