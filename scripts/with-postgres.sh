#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster: initdb in a temporary directory, the
# server on a free loopback port (its socket in that directory), trust authentication for
# loopback only, and fsync and synchronous_commit left on as a real deployment has them. The
# command gets SCIMDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:<port>/postgres, an
# admin URL from which each test creates a database of its own. The cluster is stopped and its
# directory removed however the command ends, and the command's status is returned.
#   scripts/with-postgres.sh cargo test -p scimdesk-tests --test it postgres_schema::
#
# When PostgreSQL cannot be found or started, this says exactly why and runs the command without
# the variable; SCIMDESK_TEST_POSTGRES_UNAVAILABLE then carries the reason, which the tests
# print as they skip (never silently). SCIMDESK_PG_BINDIR names the directory of initdb and
# pg_ctl when they are elsewhere than Debian puts them.
#
# initdb and postgres refuse to run as root (as CI does): then the cluster runs as the
# `postgres` system user that Debian's package creates, in a directory that user owns.
set -uo pipefail

# How long the server may take to accept connections once started; it only tells a hung start
# from a slow one (two cores shared with a compiler).
READY_TIMEOUT_SECONDS=60

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

if [ -n "${SCIMDESK_TEST_POSTGRES_URL:-}" ]; then
  # Already inside a cluster (a nested call), or the developer points at one of their own.
  exec "$@"
fi

# The directory holding initdb, pg_ctl and pg_isready: SCIMDESK_PG_BINDIR when set (and then
# only it), else where Debian keeps them out of PATH, /usr/lib/postgresql/<major>/bin (the
# newest installed major wins), else PATH's or pg_config's.
find_bindir() {
  local candidates=()
  local d
  if [ -n "${SCIMDESK_PG_BINDIR:-}" ]; then
    candidates=("$SCIMDESK_PG_BINDIR")
  else
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -n -r); do
      candidates+=("$d")
    done
    if command -v pg_ctl >/dev/null 2>&1; then
      candidates+=("$(dirname "$(command -v pg_ctl)")")
    fi
    if command -v pg_config >/dev/null 2>&1; then
      candidates+=("$(pg_config --bindir 2>/dev/null)")
    fi
  fi
  for d in "${candidates[@]}"; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/pg_isready" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

dir=""
bindir=""
as_owner=()
cleanup() {
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        echo "with-postgres: the cluster in $dir did not stop; see $dir/server.log" >&2
    fi
    rm -rf "$dir"
  fi
}
trap cleanup EXIT
# A signal ends the command's run: the EXIT trap then stops the cluster.
trap 'exit 130' INT
trap 'exit 143' TERM

run_without() {
  # Runs the command with the reason exported; the EXIT trap has nothing left to clean.
  echo "with-postgres: PostgreSQL is not available: $1" >&2
  echo "with-postgres: running the command without it; the PostgreSQL tests skip and say so" >&2
  cleanup
  dir=""
  trap - EXIT
  unset SCIMDESK_TEST_POSTGRES_URL
  export SCIMDESK_TEST_POSTGRES_UNAVAILABLE="$1"
  shift
  exec "$@"
}

if ! bindir=$(find_bindir); then
  if [ -n "${SCIMDESK_PG_BINDIR:-}" ]; then
    run_without "no initdb, pg_ctl and pg_isready in SCIMDESK_PG_BINDIR ($SCIMDESK_PG_BINDIR)" "$@"
  fi
  run_without "no initdb, pg_ctl and pg_isready found (Debian: apt-get install postgresql postgresql-contrib; or set SCIMDESK_PG_BINDIR)" "$@"
fi

if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    run_without "running as root, and there is no 'postgres' system user to run the cluster as (initdb refuses root)" "$@"
  fi
  if command -v runuser >/dev/null 2>&1; then
    as_owner=(runuser -u postgres --)
  elif command -v setpriv >/dev/null 2>&1; then
    as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  else
    run_without "running as root, and neither runuser nor setpriv is there to run the cluster as 'postgres'" "$@"
  fi
fi

# /tmp rather than $TMPDIR: the postgres user must be able to reach the directory, and a
# TMPDIR under root's home would not let it.
if ! dir=$(mktemp -d /tmp/scimdesk-pg.XXXXXX); then
  dir=""
  run_without "cannot create a temporary directory in /tmp" "$@"
fi
if [ ${#as_owner[@]} -gt 0 ]; then
  chown postgres: "$dir"
fi

# The superuser is `postgres` whoever runs this, so the URL is the same everywhere; UTF-8 so
# that any name Okta sends can be stored.
if ! initdb_out=$("${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 2>&1); then
  run_without "initdb failed: $(printf '%s' "$initdb_out" | tail -n 3 | tr '\n' ' ')" "$@"
fi
# Trust, and only from this machine: the socket in the private directory and 127.0.0.1.
printf '%s\n' \
  'local all all trust' \
  'host  all all 127.0.0.1/32 trust' >"$dir/data/pg_hba.conf"
{
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$dir'"
  # fsync and synchronous_commit stay at their defaults (on): the tests hold SCIM Desk to the
  # durability a real PostgreSQL gives.
} >>"$dir/data/postgresql.conf"

# A free port: one nothing answers on now, taken at random so that parallel runs rarely meet;
# if another process binds it first, the server fails to start and another port is tried.
port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port=""
for _attempt in 1 2 3 4 5 6 7 8; do
  candidate=$((20000 + RANDOM % 40000))
  port_is_free "$candidate" || continue
  : >"$dir/server.log"
  [ ${#as_owner[@]} -gt 0 ] && chown postgres: "$dir/server.log"
  # pg_ctl waits until the server is up or has died (a port taken meanwhile, a bad setting),
  # bounded by the timeout; pg_isready below then sees it accept connections over TCP.
  if ! "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -t "$READY_TIMEOUT_SECONDS" -o "-p $candidate" start >/dev/null 2>&1; then
    if grep -q "could not bind\|Address already in use" "$dir/server.log"; then
      continue
    fi
    run_without "the server did not start (in ${READY_TIMEOUT_SECONDS}s): $(tail -n 3 "$dir/server.log" | tr '\n' ' ')" "$@"
  fi
  deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
  until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$candidate" -U postgres -d postgres -t 2; do
    if [ $SECONDS -ge $deadline ]; then
      run_without "the server did not accept connections on 127.0.0.1:$candidate within ${READY_TIMEOUT_SECONDS}s: $(tail -n 3 "$dir/server.log" | tr '\n' ' ')" "$@"
    fi
    # Polling for an event (the server accepting), bounded by the deadline above.
    sleep 0.1
  done
  port=$candidate
  break
done
if [ -z "$port" ]; then
  run_without "found no free loopback port to listen on" "$@"
fi

echo "with-postgres: PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)" >&2
export SCIMDESK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
unset SCIMDESK_TEST_POSTGRES_UNAVAILABLE
# Not exec: the cluster is stopped (the EXIT trap) once the command ends. In the foreground,
# so Ctrl-C reaches the command as usual; a signal to this script alone is acted on when the
# command has ended.
status=0
"$@" || status=$?
exit "$status"
