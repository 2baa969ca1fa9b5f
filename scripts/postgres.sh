#!/usr/bin/env bash
# A private, throw-away PostgreSQL 15 server for the fleet storage tests and benchmarks.
#
#   pg_env=$(scripts/postgres.sh start) && eval "$pg_env"   # export lines: VIGIL_PG_DIR, VIGIL_TEST_POSTGRES_URL
#   scripts/postgres.sh stop [DIR]        # stops the server in DIR (default $VIGIL_PG_DIR) and deletes DIR
#
# start installs Debian's postgresql-15 if it is missing, runs initdb into a new temporary folder as an
# unprivileged user (the system user `vigiltest`, created when running as root), and starts the server
# with pg_ctl on a free port on 127.0.0.1 only, with SCRAM password authentication and a random password.
# Durability settings stay at PostgreSQL's defaults (fsync, synchronous_commit on). max_connections is 300:
# the test suite runs many stores in parallel, each with a pool of up to 8 connections.
# Environment: VIGIL_PG_SHARED_BUFFERS (default 128MB), VIGIL_PG_DATABASE (default vigil_test).
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

as_owner() {  # runs a command as the server's owner
    if [ "$(id -u)" -eq 0 ]; then runuser -u vigiltest -- "$@"; else "$@"; fi
}

start() {
    if ! bin=$(pg_bin); then
        scripts/install-deps.sh postgresql-15 >&2
        bin=$(pg_bin) || { echo "postgres.sh: pg_ctl not found after installing postgresql-15" >&2; exit 2; }
    fi
    if [ "$(id -u)" -eq 0 ] && ! id vigiltest >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vigiltest
    fi
    local dir port password database
    dir=$(mktemp -d "${TMPDIR:-/tmp}/vigil-pg.XXXXXX")
    chmod 0700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown vigiltest: "$dir"
    password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    database=${VIGIL_PG_DATABASE:-vigil_test}
    printf '%s\n' "$password" >"$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown vigiltest: "$dir/pwfile"
    chmod 0600 "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U vigil --auth=scram-sha-256 --pwfile="$dir/pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 2; }
    rm -f "$dir/pwfile"
    # A free port: ask the kernel for one, then let the server take it (retry if someone else did).
    local attempt
    for attempt in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
                -c shared_buffers=${VIGIL_PG_SHARED_BUFFERS:-128MB} -c max_wal_size=4GB -c max_connections=300" >/dev/null; then
            break
        fi
        [ "$attempt" = 5 ] && { cat "$dir/server.log" >&2; exit 2; }
    done
    PGPASSWORD=$password "$bin/psql" -q -h 127.0.0.1 -p "$port" -U vigil -d postgres \
        -c "CREATE DATABASE $database" >/dev/null
    echo "export VIGIL_PG_DIR=$dir"
    echo "export VIGIL_TEST_POSTGRES_URL=postgres://vigil:$password@127.0.0.1:$port/$database?sslmode=disable"
    echo "postgres.sh: PostgreSQL running on 127.0.0.1:$port, data in $dir" >&2
}

stop() {
    local dir=${1:-${VIGIL_PG_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "postgres.sh stop: no server folder given" >&2; exit 2; }
    local bin
    bin=$(pg_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
*) echo "usage: scripts/postgres.sh start|stop [DIR]" >&2; exit 2 ;;
esac
