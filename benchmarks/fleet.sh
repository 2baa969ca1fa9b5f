#!/usr/bin/env bash
# Fleet benchmark, two phases.
#
# Store: N hosts x M files reported through the FleetStore API into SQLite (a temporary file) and
# PostgreSQL (a private server from scripts/postgres.sh), then a retro-hunt of 1,000 new SHA-256
# digests (half present). Prints ingest rows/s, retro-hunt times, on-disk size and the benchmark
# process's peak RSS (/usr/bin/time -v).
#
# Agent: a real `vigil serve` (release build, SQLite in a temporary data directory, plain HTTP on
# loopback) and a real `vigil agent` enrolled with it; the agent sweeps a generated tree of F files
# (benchmarks/make_tree.py) twice with `vigil agent once` under /usr/bin/time -v: the first sweep
# reads every file, the re-sweep of the unchanged tree takes every file from the scan cache. Prints
# both times, their ratio (target: the re-sweep at least 20x faster), the agent's peak RSS in each
# run (target: at most 150 MB) and the server's peak RSS (VmHWM), and checks that the server holds
# F files for the host.
#
#   benchmarks/fleet.sh [--hosts N] [--files M] [--batch B] [--writers W] [--backends sqlite,postgres|none]
#                       [--agent-files F] [--agent-tree DIR] [--agent-threads T]
#
# Defaults: 1,000 hosts x 10,000 files = 10 M rows, batches of 5,000 files, 2 concurrent writers on
# PostgreSQL; an agent tree of 100,000 files (1-64 KiB each, about 3.3 GB), 2 agent threads.
# --agent-files 0 skips the agent phase, --backends none the store phase. --agent-tree keeps the
# generated tree in DIR and reuses it on the next run (it is generated when DIR/tree.done is missing).
# VIGIL_PG_SHARED_BUFFERS sets the PostgreSQL server's shared_buffers (default here 512MB).
# VIGIL=path/to/vigil uses that binary for the agent phase instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=1000 FILES=10000 BATCH=5000 WRITERS=2 BACKENDS=sqlite,postgres
AGENT_FILES=100000 AGENT_TREE="" AGENT_THREADS=2
usage() {
    echo "usage: benchmarks/fleet.sh [--hosts N] [--files M] [--batch B] [--writers W] [--backends sqlite,postgres|none]" >&2
    echo "                           [--agent-files F] [--agent-tree DIR] [--agent-threads T]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
    --hosts) HOSTS=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --writers) WRITERS=$2; shift 2 ;;
    --backends) BACKENDS=$2; shift 2 ;;
    --agent-files) AGENT_FILES=$2; shift 2 ;;
    --agent-tree) AGENT_TREE=$2; shift 2 ;;
    --agent-threads) AGENT_THREADS=$2; shift 2 ;;
    *) usage ;;
    esac
done
[[ "$AGENT_FILES" =~ ^[0-9]+$ && "$AGENT_THREADS" =~ ^[1-9][0-9]*$ ]] || usage
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fleet-bench.XXXXXX")
PG_STARTED="" SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ -n "$PG_STARTED" ] && scripts/postgres.sh stop "$VIGIL_PG_DIR" || true
    rm -rf "$OUT"
}
trap cleanup EXIT

STORE_PHASE=""
[[ ",$BACKENDS," == *",sqlite,"* || ",$BACKENDS," == *",postgres,"* ]] && STORE_PHASE=1
if [ -n "$STORE_PHASE" ]; then
    swift build -c release --product vigil-fleet-bench 2>&1 | grep -E "error|warning: unre|Build" >&2 || true
    BIN=$(swift build -c release --show-bin-path)/vigil-fleet-bench
fi
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

# ---------------------------------------------------------------- agent phase
[ "$AGENT_FILES" -gt 0 ] || exit 0
echo "== Agent: vigil serve (SQLite, loopback) and vigil agent once, twice, over $AGENT_FILES files"
if [ -z "${VIGIL:-}" ]; then
    swift build -c release --product vigil 2>&1 | grep -E "error|warning: unre|Build" >&2 || true
    VIGIL=$(swift build -c release --show-bin-path)/vigil
fi
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 2; }
echo "  binary: $VIGIL"

if [ -n "$AGENT_TREE" ]; then
    TREE_DIR=$AGENT_TREE
    # A kept tree is reused only when it was made with the same number of files.
    if [ -f "$TREE_DIR/tree.done" ] && [ "$(cat "$TREE_DIR/tree.done")" != "$AGENT_FILES" ]; then
        rm -rf "$TREE_DIR/tree" "$TREE_DIR/tree.done"
    fi
else
    TREE_DIR=$OUT/agent-tree
fi
TREE=$TREE_DIR/tree
if [ ! -f "$TREE_DIR/tree.done" ]; then
    echo "  generating $AGENT_FILES files under $TREE ..."
    mkdir -p "$TREE_DIR"
    python3 benchmarks/make_tree.py "$TREE" "$AGENT_FILES"
    echo "$AGENT_FILES" > "$TREE_DIR/tree.done"
fi
echo "  tree: $(du -sh "$TREE" | cut -f1)"

DATA=$OUT/server-data STATE=$OUT/agent-state
"$VIGIL" serve secret create --name bench --data-dir "$DATA" > "$OUT/enrol.secret" 2>/dev/null
"$VIGIL" serve user add bench --role viewer --data-dir "$DATA" > /dev/null 2>&1
"$VIGIL" serve token create --user bench --data-dir "$DATA" > "$OUT/api.token" 2>/dev/null
chmod 600 "$OUT/enrol.secret" "$OUT/api.token"
"$VIGIL" serve run --data-dir "$DATA" --listen 127.0.0.1:0 > "$OUT/serve.log" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 600); do
    URL=$(sed -n 's/.*vigil serve: listening on \(http[^ ]*\).*/\1/p' "$OUT/serve.log" | head -1)
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$URL" ] || { echo "vigil serve did not start:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
echo "  server: $URL (pid $SERVER_PID)"
"$VIGIL" agent enroll --server "$URL" --secret-file "$OUT/enrol.secret" --state-dir "$STATE" > /dev/null

# Read every file once so both sweeps read from the page cache: the ratio then measures the work the
# scan cache saves, not the disk.
find "$TREE" -type f -exec cat {} + > /dev/null

# The options of the measurements in docs/fleet.md: 2 threads, no read budget, otherwise the
# agent's defaults (nice 10, idle I/O class, built-in indicators and rules, 5,000 rows a batch).
agent_once() {
    local label=$1
    if ! /usr/bin/time -v "$VIGIL" agent once --state-dir "$STATE" --root "$TREE" --threads "$AGENT_THREADS" \
        --read-bytes-per-second 0 --retry-for 60 --format json > "$OUT/$label.json" 2> "$OUT/$label.time"; then
        echo "vigil agent once ($label) failed:" >&2
        cat "$OUT/$label.time" >&2
        exit 1
    fi
}
# Wall-clock seconds and peak RSS (MB) from a /usr/bin/time -v report.
wall_seconds() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"
}
peak_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
cpu_seconds() { awk -F': ' '/User time|System time/ {cpu += $2} END {printf "%.2f", cpu}' "$1"; }
report_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

agent_once first
agent_once again
first_s=$(wall_seconds "$OUT/first.time") again_s=$(wall_seconds "$OUT/again.time")
for label in first again; do
    name=$([ "$label" = first ] && echo "first sweep" || echo "re-sweep   ")
    printf '  %s: %6.2f s wall (sweep %.2f s; agent CPU %.2f s), %s files read, %s from the cache, %s batches acknowledged, agent peak RSS %s MB\n' \
        "$name" "$(wall_seconds "$OUT/$label.time")" "$(report_field "$OUT/$label.json" sweepSeconds)" "$(cpu_seconds "$OUT/$label.time")" \
        "$(report_field "$OUT/$label.json" filesRead)" "$(report_field "$OUT/$label.json" filesFromCache)" \
        "$(report_field "$OUT/$label.json" batchesAcknowledged)" "$(peak_mb "$OUT/$label.time")"
done
echo "  ratio (whole runs): $(awk -v a="$first_s" -v b="$again_s" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }') (target: >= 20x)"
echo "  server peak RSS (VmHWM): $(awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVER_PID/status")"

# The server holds the inventory: the host is listed through the API, with every file in its store.
"$VIGIL" fleet hosts --server "$URL" --token-file "$OUT/api.token" --format json > "$OUT/hosts.json"
held=$(python3 - "$OUT/hosts.json" "$DATA/fleet.sqlite" <<'PY'
import json, sqlite3, sys
hosts = json.load(open(sys.argv[1]))
if len(hosts) != 1:
    sys.exit(f"expected one host through the API, got {len(hosts)}")
db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
n = db.execute("SELECT count(*) FROM host_file WHERE host_id = ?", (hosts[0]["id"],)).fetchone()[0]
print(f"{hosts[0]['hostname']} (id {hosts[0]['id']}) {n}")
PY
)
echo "  server inventory: host $held files"
if [ "${held##* }" != "$AGENT_FILES" ]; then
    echo "the server holds ${held##* } files for the host, expected $AGENT_FILES" >&2
    exit 1
fi
