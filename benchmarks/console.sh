#!/usr/bin/env bash
# Web console benchmark: `vigil serve` (release build) over a SQLite store seeded with N hosts and
# N x M inventory rows (benchmarks/console_seed.py, direct bulk SQL), measured with wrk from Debian
# through a signed-in session cookie. Prints wrk's latency distribution (p50, p90, p99) for the
# overview, the first host page, a host page deep in the list (keyset), every kind of search the
# hosts page offers (host-name prefix, identifier prefix, address prefix, a substring search, which
# reads bounded slices of hosts, exact file path, file name, SHA-256, the verdict filter) and a
# host's page. Target: p99 under 200 ms.
#
#   benchmarks/console.sh [--hosts N] [--files-per-host M] [--duration 20s] [--connections 4] [--keep DIR]
#
# --keep DIR seeds into DIR and keeps it; a later run with the same DIR reuses the seeded store.
# Defaults: 100,000 hosts x 100 files = 10 million inventory rows, 20 s per page, 2 wrk threads with
# 4 connections. Only loopback is used. Needs: swift, python3, wrk (apt-get install wrk), curl.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=100000 FILES=100 DURATION=20s CONNECTIONS=4 KEEP=""
while [ $# -gt 0 ]; do
    case "$1" in
    --hosts) HOSTS=$2; shift 2 ;;
    --files-per-host) FILES=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    *) echo "usage: benchmarks/console.sh [--hosts N] [--files-per-host M] [--duration 20s] [--connections 4]" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }
if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; OUT=$(cd "$KEEP" && pwd); else OUT=$(mktemp -d "${TMPDIR:-/tmp}/vigil-console-bench.XXXXXX"); fi
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    [ -n "$KEEP" ] || rm -rf "$OUT"
}
trap cleanup EXIT

if [ -z "${VIGIL_BIN:-}" ]; then
    swift build -c release --product vigil 2>&1 | grep -E "error|Compiling vigil|Build" >&2 || true
    VIGIL_BIN=$(swift build -c release --show-bin-path)/vigil
fi
if [ -s "$OUT/bench.password" ]; then
    PASSWORD=$(cat "$OUT/bench.password")
    echo "reusing the seeded store in $OUT"
else
    PASSWORD="bench-password-$RANDOM$RANDOM"
    printf '%s\n' "$PASSWORD" | "$VIGIL_BIN" serve user add bench --role admin --password-stdin --data-dir "$OUT" 2>/dev/null
    python3 benchmarks/console_seed.py "$OUT/fleet.sqlite" --hosts "$HOSTS" --files-per-host "$FILES"
    printf '%s' "$PASSWORD" >"$OUT/bench.password"
fi
du -sh "$OUT/fleet.sqlite" | awk '{print "store size: " $1}'

"$VIGIL_BIN" serve --listen 127.0.0.1:0 --data-dir "$OUT" 2>"$OUT/serve.log" >/dev/null &
SERVER=$!
BASE=""
for _ in $(seq 1 600); do
    BASE=$(grep -oE 'listening on http://[0-9.:]+' "$OUT/serve.log" | head -1 | sed 's/listening on //') || true
    [ -n "$BASE" ] && break
    sleep 0.1
done
[ -n "$BASE" ] || { echo "vigil serve did not start:" >&2; cat "$OUT/serve.log" >&2; exit 1; }

# The server starts with a verdict pass over every host: wait until it is idle (under 10 % of a core
# over 2 s; at most 5 minutes) so the pass is not measured as page latency.
prev=0
for _ in $(seq 1 150); do
    cpu=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    [ "$prev" != 0 ] && [ $((cpu - prev)) -lt 20 ] && break
    prev=$cpu
    sleep 2
done

# Sign in like a browser: the login form's token and cookie, then the session cookie.
JAR="$OUT/cookies"
FORM=$(curl -s -c "$JAR" "$BASE/login")
CSRF=$(printf '%s' "$FORM" | grep -oE 'name="csrf" value="[0-9a-f]+"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" --data-urlencode "user=bench" \
    --data-urlencode "password=$PASSWORD" "$BASE/login"
SESSION=$(awk '$6 == "vigil_session" {print $7}' "$JAR")
[ -n "$SESSION" ] || { echo "sign-in failed" >&2; exit 1; }

KNOWN=7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896
MID=$((HOSTS / 2))
PAGES=(
    "/" "/hosts" "/hosts?after=$MID"
    "/hosts?q=ws-0999"                                  # host-name prefix (index range)
    "/hosts?in=identifier&q=machine-00999"              # identifier prefix
    "/hosts?q=10.$(((MID >> 16) & 255)).$(((MID >> 8) & 255))."  # address prefix
    "/hosts?in=contains&q=0999"                         # substring: bounded slices of host rows on SQLite
    "/hosts?q=/opt/app/lib/component-0042.so"           # exact path (on every host: first page)
    "/hosts?in=filename&q=component-0042.so"            # file name
    "/hosts?q=$KNOWN"                                   # SHA-256 (one host in 100)
    "/hosts?verdict=clean&after=$MID"                   # verdict filter, keyset
    "/hosts/$MID"
)
printf '%-52s %10s %10s %10s %10s %8s\n' page requests p50 p90 p99 errors
for page in "${PAGES[@]}"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: vigil_session=$SESSION" "$BASE$page")
    [ "$status" = 200 ] || { echo "$page answered $status" >&2; exit 1; }
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: vigil_session=$SESSION" "$BASE$page" >"$OUT/wrk.txt"
    awk -v page="$page" '
        /^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
        /requests in/ {n=$1}
        /Non-2xx/ {errors=$4}
        END {printf "%-52s %10s %10s %10s %10s %8s\n", page, n, p50, p90, p99, errors + 0}' "$OUT/wrk.txt"
done
