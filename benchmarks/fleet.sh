#!/usr/bin/env bash
# Fleet storage benchmark: N hosts x M files reported through the FleetStore API into SQLite (a
# temporary file) and PostgreSQL (a private server from scripts/postgres.sh), then a retro-hunt of
# 1,000 new SHA-256 digests (half present). Prints ingest rows/s, retro-hunt times, on-disk size and
# the benchmark process's peak RSS (/usr/bin/time -v).
#
#   benchmarks/fleet.sh [--hosts N] [--files M] [--batch B] [--writers W] [--backends sqlite,postgres]
#
# Defaults: 1,000 hosts x 10,000 files = 10 M rows, batches of 5,000 files, 2 concurrent writers on
# PostgreSQL. VIGIL_PG_SHARED_BUFFERS sets the server's shared_buffers (default here 512MB).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=1000 FILES=10000 BATCH=5000 WRITERS=2 BACKENDS=sqlite,postgres
while [ $# -gt 0 ]; do
    case "$1" in
    --hosts) HOSTS=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --writers) WRITERS=$2; shift 2 ;;
    --backends) BACKENDS=$2; shift 2 ;;
    *) echo "usage: benchmarks/fleet.sh [--hosts N] [--files M] [--batch B] [--writers W] [--backends sqlite,postgres]" >&2; exit 2 ;;
    esac
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fleet-bench.XXXXXX")
PG_STARTED=""
cleanup() {
    [ -n "$PG_STARTED" ] && scripts/postgres.sh stop "$VIGIL_PG_DIR" || true
    rm -rf "$OUT"
}
trap cleanup EXIT

swift build -c release --product vigil-fleet-bench 2>&1 | grep -E "error|warning: unre|Build" >&2 || true
BIN=$(swift build -c release --show-bin-path)/vigil-fleet-bench
ARGS=(--hosts "$HOSTS" --files "$FILES" --batch "$BATCH" --writers "$WRITERS")

peak() {
    awk -F': ' '/Maximum resident set size/ {printf "  bench process peak RSS: %.0f MB\n", $2 / 1024}
                /User time|System time/ {cpu += $2} END {printf "  bench process CPU: %.1f s\n", cpu}' "$1"
}
# CPU seconds of a PostgreSQL server so far: the postmaster's own plus its exited children's (backends).
pg_cpu() {
    local pid
    pid=$(head -1 "$VIGIL_PG_DIR/data/postmaster.pid")
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$pid/stat"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (the machine is shared; CPU seconds are printed besides wall clock)"

if [[ ",$BACKENDS," == *",sqlite,"* ]]; then
    echo "== SQLite (WAL, synchronous=FULL)"
    /usr/bin/time -v "$BIN" sqlite "$OUT/fleet.sqlite" "${ARGS[@]}" 2>"$OUT/sqlite-time.txt" || { cat "$OUT/sqlite-time.txt" >&2; exit 1; }
    peak "$OUT/sqlite-time.txt"
    echo "  database file: $(du -cm "$OUT"/fleet.sqlite* | tail -1 | cut -f1) MB (with WAL)"
    rm -f "$OUT"/fleet.sqlite*
fi

if [[ ",$BACKENDS," == *",postgres,"* ]]; then
    echo "== PostgreSQL 15 (logged tables, synchronous_commit on)"
    export VIGIL_PG_SHARED_BUFFERS=${VIGIL_PG_SHARED_BUFFERS:-512MB}
    pg_env=$(scripts/postgres.sh start 2>/dev/null)
    eval "$pg_env"
    PG_STARTED=1
    cpu0=$(pg_cpu)
    /usr/bin/time -v "$BIN" postgres "$VIGIL_TEST_POSTGRES_URL" "${ARGS[@]}" 2>"$OUT/pg-time.txt" || { cat "$OUT/pg-time.txt" >&2; exit 1; }
    sleep 1
    peak "$OUT/pg-time.txt"
    echo "  PostgreSQL server CPU during the run: $(awk -v a="$cpu0" -v b="$(pg_cpu)" 'BEGIN {printf "%.1f s", b - a}') (includes autovacuum)"
    psql "$VIGIL_TEST_POSTGRES_URL" -At -c "
        SELECT '  host_file: heap ' || pg_size_pretty(pg_relation_size('host_file'))
            || ', indexes ' || pg_size_pretty(pg_indexes_size('host_file'))
            || ' (sha256 B-tree ' || pg_size_pretty(pg_relation_size('host_file_sha256_host')) || ')'
            || '; path dictionary ' || pg_size_pretty(pg_total_relation_size('path'))
            || '; database ' || pg_size_pretty(pg_database_size(current_database()))"
    echo "  server RSS now (largest process, shared buffers included): $(ps -o rss= -u vigiltest 2>/dev/null | sort -n | tail -1 | awk '{printf "%.0f MB", $1/1024}')"
fi
