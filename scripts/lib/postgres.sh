# Sourced by scripts that need a throw-away PostgreSQL server on loopback.
# start_postgres DIR: initdb into DIR, start on a free port, export PG_PORT and PG_PASSWORD, and
# arrange (trap) for it to be stopped and DIR removed when the calling script exits.
start_postgres() {
  local dir=$1
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_DIR=$dir
  PG_PASSWORD="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  PG_AS=()
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres: "$dir"
    PG_AS=(runuser -u postgres --)
  fi
  trap stop_postgres EXIT
  printf '%s\n' "$PG_PASSWORD" > "$dir/pwfile"
  chmod 644 "$dir/pwfile"
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$dir/pg" -U postgres --auth=scram-sha-256 --pwfile="$dir/pwfile" >/dev/null
  PG_PORT=""
  local candidate
  for _ in 1 2 3 4 5; do
    candidate=$((20000 + RANDOM % 30000))
    if "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 start \
        -o "-p $candidate -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" >/dev/null; then
      PG_PORT=$candidate
      break
    fi
  done
  if [ -z "$PG_PORT" ]; then
    echo "PostgreSQL did not start:" >&2
    cat "$dir/pg.log" >&2
    return 1
  fi
  export PG_PORT PG_PASSWORD
}

stop_postgres() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
