#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the store tests, and print its URL.
#
#   export RECIPROCITY_TEST_POSTGRES_URL=$(bash tools/postgres.sh)
#   bash tools/postgres.sh stop DIR      # stop the server whose data dir is DIR
#
# Needs the Debian package (apt-get install -y postgresql). The data directory is a new temp
# dir (or $RECIPROCITY_PG_DIR); the port is a free one (or $RECIPROCITY_PG_PORT). Run as root,
# the server runs as the "postgres" user (PostgreSQL refuses to run as root). Only the URL goes
# to stdout; progress goes to stderr, the server log to DIR/server.log.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z "$bindir" ]]; then
    echo "postgres.sh: no PostgreSQL found under /usr/lib/postgresql; install it with" \
         "apt-get update && apt-get install -y postgresql" >&2
    exit 2
fi

as_owner() {  # run a server binary as the data dir's owner (postgres when we are root)
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [[ ${1:-} == stop ]]; then
    as_owner "$bindir/pg_ctl" -D "${2:?usage: postgres.sh stop DATA_DIR}" -m fast stop >&2
    exit 0
fi

dir=${RECIPROCITY_PG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/reciprocity-pg.XXXXXX")}
mkdir -p "$dir"
port=${RECIPROCITY_PG_PORT:-$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
fi

if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    echo "postgres.sh: initdb into $dir/data" >&2
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
fi
echo "postgres.sh: starting on 127.0.0.1:$port (log $dir/server.log)" >&2
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=100 -c fsync=off" start >&2
as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres reciprocity_test 2>/dev/null \
    || true
echo "postgres.sh: stop it with: bash tools/postgres.sh stop $dir/data" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$port/reciprocity_test"
