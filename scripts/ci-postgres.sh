#!/usr/bin/env bash
# A throwaway PostgreSQL for the test suite: installs Debian's server when it is missing, runs one
# cluster of its own listening on 127.0.0.1 only, and prints the URL of its test database.
#
#   bash scripts/ci-postgres.sh        start it (or reuse the running one); print the URL on stdout
#   bash scripts/ci-postgres.sh url    print the URL of the running one
#   bash scripts/ci-postgres.sh stop   stop it (the data stays for the next start)
#
# Made for CI (root on a fresh Debian 12), where the server runs as the `postgres` user; run by
# anyone else it needs the server already installed and runs it as that user. Safe to repeat.
# Durability is switched off (fsync, full-page writes): the data is thrown away, and tests run faster.
# Settings: TEND_PG_PORT (5433), TEND_PG_DIR (/var/lib/postgresql/tend-ci as root).
set -euo pipefail

PORT=${TEND_PG_PORT:-5433}
ROLE=tend
DATABASE=tend_test
if [ "$(id -u)" = 0 ]; then
    STATE=${TEND_PG_DIR:-/var/lib/postgresql/tend-ci}
else
    STATE=${TEND_PG_DIR:-${TMPDIR:-/tmp}/tend-ci-pg-$(id -un)}
fi
DATA=$STATE/data

say() { echo "ci-postgres: $*" >&2; }

# Run a command as the user who owns the server: `postgres` when we are root (the server refuses
# to run as root), otherwise ourselves. From /, which that user can always read.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

server_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$found" ] && [ -x "$found/initdb" ] && [ -x "$found/pg_ctl" ]; then
        echo "$found"
    fi
}

install_server() {
    if [ "$(id -u)" != 0 ]; then
        say "the PostgreSQL server is not installed; as root: apt-get install postgresql"
        exit 1
    fi
    say "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    # Keep the package from starting its own "main" cluster on 5432; ours is the only one needed.
    local policy=/usr/sbin/policy-rc.d added_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        added_policy=1
    fi
    local status=0
    { apt-get update -qq && apt-get install -y -qq postgresql; } >&2 || status=$?
    if [ -n "$added_policy" ]; then
        rm -f "$policy"
    fi
    if [ "$status" != 0 ]; then
        say "apt-get failed ($status)"
        exit "$status"
    fi
}

running() {
    [ -s "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

admin_psql() {
    as_owner "$BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$STATE" -p "$PORT" -U "$ADMIN" \
        -d postgres "$@"
}

url() {
    echo "postgresql+psycopg://$ROLE:$(cat "$STATE/password")@127.0.0.1:$PORT/$DATABASE"
}

start() {
    BIN=$(server_bin)
    if [ -z "$BIN" ]; then
        install_server
        BIN=$(server_bin)
        [ -n "$BIN" ] || { say "no PostgreSQL server binaries after the install"; exit 1; }
    fi
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$(dirname "$STATE")"
        install -d -o postgres -g postgres -m 700 "$STATE"
    else
        install -d -m 700 "$STATE"
    fi
    ADMIN=$(as_owner id -un)

    if [ ! -s "$DATA/PG_VERSION" ]; then
        say "creating a cluster in $DATA"
        # Local socket: only the server's own OS user (peer). TCP: passwords (SCRAM) only.
        as_owner "$BIN/initdb" -D "$DATA" -U "$ADMIN" --auth-local=peer \
            --auth-host=scram-sha-256 --encoding=UTF8 --no-locale --no-sync >/dev/null
    fi
    if running; then
        say "already running ($DATA)"
    else
        say "starting on 127.0.0.1:$PORT"
        local options="-c listen_addresses=127.0.0.1 -c port=$PORT"
        options+=" -c unix_socket_directories=$STATE"
        options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$STATE/server.log" -w -t 60 -o "$options" \
            start >&2; then
            say "the server did not start; its log:"
            tail -n 30 "$STATE/server.log" >&2 || true
            exit 1
        fi
    fi

    if [ ! -s "$STATE/password" ]; then
        (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(16))' \
            > "$STATE/password")
    fi
    # The password goes in on stdin, never on a command line.
    admin_psql <<SQL
SELECT 'CREATE ROLE $ROLE LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE')
\gexec
ALTER ROLE $ROLE WITH LOGIN PASSWORD '$(cat "$STATE/password")';
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE')
\gexec
SQL
    (umask 077 && url > "$STATE/url")
    url
}

stop() {
    BIN=$(server_bin)
    if [ -n "$BIN" ] && running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
    else
        say "not running"
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    url)
        BIN=$(server_bin)
        if [ -n "$BIN" ] && running && [ -s "$STATE/password" ]; then
            url
        else
            say "not running; start it with: bash scripts/ci-postgres.sh"
            exit 1
        fi
        ;;
    *) say "usage: $0 [start|url|stop]"; exit 2 ;;
esac
