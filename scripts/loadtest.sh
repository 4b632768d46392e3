#!/usr/bin/env bash
# Casting under load (issue #4): receipted casts per second and latency percentiles over HTTP,
# with wrk, against a release build on SQLite and/or PostgreSQL; plus the raw durable
# single-row SQLite commit rate measured in the same run on the same filesystem.
#
# Usage (from anywhere; paths are relative to the repository root):
#   scripts/loadtest.sh [sqlite|postgres|both]        (default: both)
#
# Settings (environment):
#   LOADTEST_VOTERS=500  LOADTEST_CONNECTIONS=500  LOADTEST_THREADS=2  LOADTEST_DURATION=30s
#   LOADTEST_COMMIT_SECONDS=5       length of the raw commit-rate measurement
#   LOADTEST_THINK_MS=0             mean pause of each connection between casts (uniform 0..2×);
#                                   0 = back to back (saturation, the figure of record)
#   LOADTEST_PORT=18080             where the server listens (127.0.0.1)
#   LOADTEST_POSTGRES=postgres://postgres@127.0.0.1:5432   the PostgreSQL server; the script
#                                   creates the database yishiting_load and drops it after
#   LOADTEST_KEEP=1                 keep the temporary directory (databases, logs, wrk output)
#                                   and the PostgreSQL database (dropped by the next run)
#   LOADTEST_PERF=1                 also record a CPU profile of the server with perf (with
#                                   LOADTEST_KEEP=1 to read it; the figures are then not valid);
#                                   LOADTEST_PERF=dwarf records call graphs too
#   YISHITING_DB_POOL_SIZE          passed to the server (default there: 8)
# Needs: cargo, wrk, curl, jq; psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-both}
case "$MODE" in
  sqlite) BACKENDS=(sqlite) ;;
  postgres) BACKENDS=(postgres) ;;
  both) BACKENDS=(sqlite postgres) ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac

VOTERS=${LOADTEST_VOTERS:-500}
CONNECTIONS=${LOADTEST_CONNECTIONS:-500}
THREADS=${LOADTEST_THREADS:-2}
DURATION=${LOADTEST_DURATION:-30s}
COMMIT_SECONDS=${LOADTEST_COMMIT_SECONDS:-5}
THINK_MS=${LOADTEST_THINK_MS:-0}
PORT=${LOADTEST_PORT:-18080}
PG_SERVER=${LOADTEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
PG_DB=yishiting_load
BASE="http://127.0.0.1:$PORT"
SLUG=loadtest

for tool in cargo wrk curl jq; do
  command -v "$tool" >/dev/null || { echo "$tool is required (e.g. apt-get install -y $tool)" >&2; exit 1; }
done
if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then
  command -v psql >/dev/null || { echo "psql is required for the PostgreSQL run" >&2; exit 1; }
  pg_isready -d "$PG_SERVER/postgres" >/dev/null 2>&1 || {
    echo "PostgreSQL is not reachable at $PG_SERVER" >&2; exit 1; }
fi
# One load test at a time on a machine: two would share the cores, the port and the
# PostgreSQL database, and neither's figures would mean anything.
LOCK=${TMPDIR:-/tmp}/yishiting-loadtest.lock
exec 9>"$LOCK"
if ! flock -n 9; then
  echo "another scripts/loadtest.sh is running; waiting for it to finish (at most 30 min)" >&2
  flock -w 1800 9 || { echo "gave up waiting for $LOCK" >&2; exit 1; }
fi
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
if port_in_use; then
  echo "port $PORT is already in use; set LOADTEST_PORT" >&2; exit 1
fi
# 500 client sockets plus 500 server sockets in one session.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d "${TMPDIR:-/tmp}/yishiting-load.XXXXXX")
SERVER_PID=""
PG_CREATED=""

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # Graceful shutdown lets requests in flight finish; give it a while, then insist.
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

drop_pg() {
  if [[ -n "$PG_CREATED" && -n "${LOADTEST_KEEP:-}" ]]; then
    echo "kept the PostgreSQL database $PG_DB"
    PG_CREATED=""
  fi
  if [[ -n "$PG_CREATED" ]]; then
    psql -q -d "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_CREATED=""
  fi
}

cleanup() {
  stop_server
  drop_pg
  if [[ -n "${LOADTEST_KEEP:-}" ]]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*"; }

# Hex of n random bytes.
rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

SECRET_KEY=$(rand_hex 32)            # 64 characters
KEY_ENCRYPTION_KEY=$(rand_hex 32)    # 64 hex digits

machine_note() {
  local rustc
  rustc=$(pgrep -c -x rustc 2>/dev/null || true)
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); rustc processes running: ${rustc:-0}"
}

say "building (release): the server and the seed example"
cargo build --release --bin yishiting --example loadtest_seed
BIN=target/release/yishiting
SEED=target/release/examples/loadtest_seed

NPROC=$(nproc)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
say "machine: $NPROC cores ($CPU), $(date -u +%Y-%m-%dT%H:%MZ)"
machine_note
echo "temporary directory: $WORK (filesystem: $(df -P "$WORK" | awk 'NR==2 {print $1" on "$6}'))"

say "raw durable single-row SQLite commit rate (WAL, synchronous=FULL), ${COMMIT_SECONDS}s"
out=$("$SEED" --commit-rate --database-url "sqlite://$WORK/commit-rate.sqlite3" --seconds "$COMMIT_SECONDS")
echo "$out"
RAW_SQLITE=$(sed -n 's/.*per_second=\([0-9.]*\).*/\1/p' <<<"$out")
rm -f "$WORK"/commit-rate.sqlite3*

server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }
steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }

start_server() { # dir db_url
  local dir=$1 url=$2
  if port_in_use; then
    echo "port $PORT is already in use; set LOADTEST_PORT" >&2; exit 1
  fi
  env DATABASE_URL="$url" \
    YISHITING_BIND="127.0.0.1:$PORT" \
    YISHITING_SECRET_KEY="$SECRET_KEY" \
    YISHITING_KEY_ENCRYPTION_KEY="$KEY_ENCRYPTION_KEY" \
    YISHITING_DATA_DIR="$dir/data" \
    RUST_LOG=warn \
    "$BIN" serve >>"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then
      # Make sure it is this server that answered, not one that held the port already.
      sleep 0.3
      kill -0 "$SERVER_PID" 2>/dev/null && return 0
      cat "$dir/server.log" >&2
      echo "the server exited (is port $PORT taken?)" >&2
      exit 1
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.1
  done
  cat "$dir/server.log" >&2
  echo "the server did not answer on $BASE/healthz" >&2
  exit 1
}

# api METHOD PATH TOKEN [JSON] -> prints the body; fails unless the status is 2xx.
api() {
  local method=$1 path=$2 token=$3 body=${4:-}
  local out status data=()
  [[ -n "$body" ]] && data=(--data "$body")
  out=$(mktemp "$WORK/resp.XXXXXX")
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$BASE$path" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "${data[@]}")
  if [[ "$status" != 2* ]]; then
    echo "$method $path -> $status: $(cat "$out")" >&2
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}

sth_size() { # ballot id
  curl -fsS "$BASE/api/v1/communities/$SLUG/ballots/$1/log/sth" | jq -r '.tree_size'
}

declare -A RESULT
FAILED=""

run_backend() {
  local backend=$1 dir="$WORK/$1" url
  mkdir -p "$dir"
  if [[ $backend == sqlite ]]; then
    url="sqlite://$dir/yishiting.sqlite3"
  else
    psql -q -d "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    psql -q -d "$PG_SERVER/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null
    PG_CREATED=1
    url="$PG_SERVER/$PG_DB"
    say "postgres: raw durable single-row commit rate (synchronous_commit=$(psql -tA -d "$url" -c 'SHOW synchronous_commit'), fsync=$(psql -tA -d "$url" -c 'SHOW fsync')), ${COMMIT_SECONDS}s"
    local out
    out=$("$SEED" --commit-rate --database-url "$url" --seconds "$COMMIT_SECONDS")
    echo "$out"
    RESULT[postgres_raw]=$(sed -n 's/.*per_second=\([0-9.]*\).*/\1/p' <<<"$out")
  fi

  say "$backend: seeding $VOTERS voters"
  "$SEED" --database-url "$url" --voters "$VOTERS" --secret-key "$SECRET_KEY" --out "$dir"
  local organiser
  organiser=$(cat "$dir/organiser.token")

  say "$backend: starting the server on $BASE"
  start_server "$dir" "$url"

  say "$backend: a ballot, announced and opened"
  api PUT "/api/v1/communities/$SLUG/notice" "$organiser" '{"days":0,"reason":"load test"}' >/dev/null
  local now opens id
  now=$(date +%s)
  opens=$((now + 2))
  id=$(api POST "/api/v1/communities/$SLUG/ballots" "$organiser" \
    "{\"title\":\"压力测试 load test\",\"kind\":\"assembly_matter\",\"questions\":[{\"kind\":\"yes_no\",\"text\":\"同意吗？ Agree?\"}],\"opens_at\":$opens,\"closes_at\":$((opens + 86400))}" \
    | jq -r '.id')
  api POST "/api/v1/communities/$SLUG/ballots/$id/transitions" "$organiser" '{"action":"announce"}' >/dev/null
  while (( $(date +%s) < opens )); do sleep 0.2; done
  # The schedule may already have opened it; either way it must be open now.
  api POST "/api/v1/communities/$SLUG/ballots/$id/transitions" "$organiser" '{"action":"open"}' >/dev/null 2>&1 || true
  local status
  status=$(curl -fsS "$BASE/api/v1/communities/$SLUG/ballots/$id" | jq -r '.status')
  [[ $status == open ]] || { echo "ballot $id is $status, not open" >&2; exit 1; }
  echo "ballot $id is open"

  # One cast by hand first, so that a setup problem shows as a clear error, not 15,000 of them.
  local first_token
  first_token=$(head -n1 "$dir/tokens.txt")
  api POST "/api/v1/communities/$SLUG/ballots/$id/casts" "$first_token" \
    "{\"nonce\":\"smoke-$(rand_hex 12)\",\"answers\":[{\"question\":\"q1\",\"choices\":[\"agree\"]}]}" \
    | jq -c '{leaf_index, tracker}'
  local before
  before=$(sth_size "$id")

  say "$backend: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s scripts/loadtest/cast.lua (think time ${THINK_MS} ms)"
  machine_note
  local t0 s0 b1 s1 st0 st1
  t0=$(busy_ticks)
  st0=$(steal_ticks)
  s0=$(server_cpu_ticks "$SERVER_PID")
  local perf_pid=""
  if [[ -n "${LOADTEST_PERF:-}" ]]; then
    # A flat CPU profile of the server while wrk runs (perf costs CPU too: not for the figures).
    local graph=()
    [[ $LOADTEST_PERF == dwarf ]] && graph=(--call-graph dwarf -F 99)
    perf record -q -F 499 "${graph[@]}" -p "$SERVER_PID" -o "$dir/perf.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  # In a subshell whose `times` then gives wrk's own CPU time.
  (
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency \
      -s scripts/loadtest/cast.lua \
      "$BASE/api/v1/communities/$SLUG/ballots/$id/casts" -- "$dir/tokens.txt" "$THREADS" "$THINK_MS" \
      >"$dir/wrk.txt"
    times >"$dir/wrk.times"
  ) &
  local wrk_pid=$! threads_seen=0 n
  while kill -0 "$wrk_pid" 2>/dev/null; do
    n=$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    (( n > threads_seen )) && threads_seen=$n
    sleep 1
  done
  wait "$wrk_pid"
  cat "$dir/wrk.txt"
  if [[ -n "$perf_pid" ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$dir/perf.data" --stdio --sort dso,symbol 2>/dev/null | grep -v '^#' \
      | grep -v '^$' | head -60 >"$dir/perf.txt" || true
    echo "server profile: $dir/perf.txt"
  fi
  b1=$(busy_ticks)
  st1=$(steal_ticks)
  s1=$(server_cpu_ticks "$SERVER_PID")
  machine_note

  # Casts wrk sent but whose answers it no longer waited for (in flight when it stopped) are
  # still committed: wait until the log stops growing.
  local after_live log_size prev=-1
  for _ in $(seq 1 60); do
    after_live=$(sth_size "$id")
    [[ $after_live == "$prev" ]] && break
    prev=$after_live
    sleep 1
  done
  log_size=$(curl -fsS "$BASE/api/v1/communities/$SLUG/ballots/$id" | jq -r '.log_size')

  say "$backend: stopping the server, starting it again, reading the log"
  stop_server
  start_server "$dir" "$url"
  local after_restart
  after_restart=$(sth_size "$id")
  stop_server

  field() { sed -n "s/.*loadtest: .*$1=\([^ ]*\).*/\1/p" "$dir/wrk.txt" | head -n1; }
  local created non201 unanswered rate p50 p90 p99 secs
  created=$(field created_201)
  non201=$(field non_201)
  unanswered=$(field unanswered)
  rate=$(field casts_per_s)
  p50=$(field p50); p90=$(field p90); p99=$(field p99)
  secs=$(field duration_s)
  local cast_in_run=$((after_restart - before))
  local hz cpu_total cpu_server cpu_wrk
  hz=$(getconf CLK_TCK)
  cpu_total=$(awk -v a="$t0" -v b="$b1" -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.2f", (b - a) / hz / s}')
  cpu_server=$(awk -v a="$s0" -v b="$s1" -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.2f", (b - a) / hz / s}')
  # `times`, second line: the children's (wrk's) user and system time, like 0m5.123s 0m2.000s.
  cpu_wrk=$(sed -n 2p "$dir/wrk.times" | awk -v s="$secs" '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.2f", t / s }')

  echo "log: tree_size before wrk $before; after wrk $after_live (ballot log_size $log_size); after a restart $after_restart"
  echo "casts logged during the wrk run: $cast_in_run; wrk counted 201s: $created;" \
    "sent but unanswered when wrk stopped: $unanswered; other statuses: $non201"
  local check
  if [[ $cast_in_run == "$created" ]]; then
    check="equal"
  elif (( cast_in_run == created + unanswered )); then
    check="= 201s + $unanswered in flight"
  else
    check="MISMATCH"
  fi
  echo "consistency: log growth $cast_in_run vs wrk 201s $created: $check"
  local sockerr
  sockerr=$(( $(field connect) + $(field read) + $(field write) + $(field timeout) ))
  if [[ $check == MISMATCH ]] || (( non201 != 0 || sockerr != 0 )); then
    FAILED+="$backend (log check: $check, non-201: $non201, socket errors: $sockerr) "
  fi
  local cpu_other cpu_steal
  cpu_other=$(awk -v t="$cpu_total" -v a="$cpu_server" -v b="$cpu_wrk" 'BEGIN {printf "%.2f", t - a - b}')
  cpu_steal=$(awk -v a="$st0" -v b="$st1" -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.2f", (b - a) / hz / s}')
  echo "CPU while wrk ran (cores): whole machine ${cpu_total} of $NPROC busy = server ${cpu_server}" \
    "+ wrk ${cpu_wrk} + everything else ${cpu_other} (steal ${cpu_steal}); server threads at most $threads_seen"

  RESULT[$backend]="$rate|$p50|$p90|$p99|$non201|$created|$unanswered|$cast_in_run|$check|$cpu_server/$cpu_wrk/$cpu_other"
  drop_pg
}

for b in "${BACKENDS[@]}"; do
  run_backend "$b"
done

say "summary ($NPROC cores, $CPU; wrk -t$THREADS -c$CONNECTIONS -d$DURATION, think time $THINK_MS ms, $VOTERS voters)"
printf '%-9s %9s %8s %8s %8s %8s %8s %10s %-26s %s\n' \
  backend casts/s p50_ms p90_ms p99_ms non-201 201s log_growth "log vs 201s" "CPU server/wrk/other"
for b in "${BACKENDS[@]}"; do
  IFS='|' read -r rate p50 p90 p99 non201 created unanswered growth check cpu <<<"${RESULT[$b]}"
  printf '%-9s %9s %8s %8s %8s %8s %8s %10s %-26s %s\n' \
    "$b" "$rate" "$p50" "$p90" "$p99" "$non201" "$created" "$growth" "$check" "$cpu"
done
echo
echo "raw durable single-row SQLite commits/s (same filesystem, WAL + synchronous=FULL): $RAW_SQLITE"
if [[ -n "${RESULT[postgres_raw]:-}" ]]; then
  echo "raw durable single-row PostgreSQL commits/s: ${RESULT[postgres_raw]}"
fi
for b in "${BACKENDS[@]}"; do
  IFS='|' read -r rate _ <<<"${RESULT[$b]}"
  awk -v r="$rate" -v c="$RAW_SQLITE" -v b="$b" \
    'BEGIN {printf "ratio %s casts/s ÷ raw SQLite commits/s = %.2f\n", b, r / c}'
done
if [[ -n "${RESULT[postgres_raw]:-}" ]]; then
  IFS='|' read -r rate _ <<<"${RESULT[postgres]}"
  awk -v r="$rate" -v c="${RESULT[postgres_raw]}" \
    'BEGIN {printf "ratio postgres casts/s ÷ raw PostgreSQL commits/s = %.2f\n", r / c}'
fi
if [[ -n "$FAILED" ]]; then
  echo "FAILED: $FAILED" >&2
  exit 1
fi
