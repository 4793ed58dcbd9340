#!/usr/bin/env bash
# Runs a command with AGENTKIT_DATABASE_URL pointing at a throwaway PostgreSQL cluster (initdb +
# pg_ctl in a temp dir, a non-superuser role owning its database), removed afterwards. The
# gateways the command starts (`agentkit dev`) keep their store there instead of SQLite.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail
bin="$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || true)" 2>/dev/null || true)")"
if [ ! -x "$bin/initdb" ]; then
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
[ -x "$bin/initdb" ] || { echo "PostgreSQL server programs not found (.ci/run installs them)" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir="$(mktemp -d)"
password="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
echo "$password" > "$dir/pw"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
cleanup() { as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_postgres "$bin/initdb" -U postgres --auth-host=scram-sha-256 --auth-local=trust --pwfile "$dir/pw" -D "$dir/data" >/dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_postgres "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
as_postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE agentkit LOGIN PASSWORD '$password'" -c "CREATE DATABASE agentkit OWNER agentkit"
export AGENTKIT_DATABASE_URL="postgres://agentkit:$password@127.0.0.1:$port/agentkit"
"$@"
