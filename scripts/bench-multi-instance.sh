#!/usr/bin/env bash
# Ingestion on PostgreSQL with one and two instances beside SQLite, the spool database's
# size per million events, and the failover time (an instance killed; how long until the
# events of its partitions are delivered again). Figures: BENCHMARKS.md, "Several
# instances on PostgreSQL".
#
#   cargo build --release -p segment-attio -p segment-attio-loadgen
#   bash scripts/bench-multi-instance.sh [ingest|failover|all]
#
# Needs PostgreSQL at $PG (default postgres://postgres@127.0.0.1:5432, trust) and psql.
# Creates and drops the databases multi_bench_*; ports $PORT_BASE.. (default 25100).
set -euo pipefail

what=${1:-all}
BIN=${BIN:-target/release/segment-attio}
LOADGEN=${LOADGEN:-target/release/segment-attio-loadgen}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PORT_BASE=${PORT_BASE:-25100}
EVENTS=${EVENTS:-200000}
LEASE_SECS=${LEASE_SECS:-5}
WORK=$(mktemp -d /tmp/multi-bench.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}" $(cat "$WORK/pids" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql_db() { psql "$PG/$1" -qtAX -c "$2"; }
fresh_db() {
  psql "$PG/postgres" -qtAX -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  psql "$PG/postgres" -qtAX -c "CREATE DATABASE $1" >/dev/null
}
drop_db() { psql "$PG/postgres" -qtAX -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }

# start NAME PORT [ENV=VALUE...]: a serve instance logging to $WORK/NAME.log; prints its pid.
start() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$WORK/$name"
  env -i PATH="$PATH" HOME="$HOME" SEGMENT_ATTIO__LOG__LEVEL=warn SEGMENT_ATTIO__INGEST__WRITE_KEYS=wk \
    SEGMENT_ATTIO__SPOOL__PATH="$WORK/$name/spool.sqlite" "$@" \
    "$BIN" --config "$WORK/config.toml" serve --listen "127.0.0.1:$port" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  echo "$pid" >>"$WORK/pids" # start runs in a command substitution: a subshell
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { echo "$pid"; return; }
    sleep 0.05
  done
  echo "instance $name did not start:" >&2
  cat "$WORK/$name.log" >&2
  exit 1
}

loadgen() { # PORT EVENTS CONCURRENCY -> JSON report
  "$LOADGEN" --url "http://127.0.0.1:$1" --write-key wk --events "$2" --batch-size 100 \
    --concurrency "$3" --kind mixed --distinct-users 10000 --json
}

summary() { # label json...
  python3 - "$@" <<'PY'
import json, sys
label, reports = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
events = sum(r["events_accepted"] for r in reports)
secs = max(r["elapsed_secs"] for r in reports)
p99 = max(r["latency_ms"]["p99"] for r in reports)
p50 = max(r["latency_ms"]["p50"] for r in reports)
errors = sum(r["requests_failed"] for r in reports)
rate = events / secs if secs else 0
print(f"| {label} | {rate:,.0f} events/s | p50 {p50:.1f} ms, p99 {p99:.1f} ms | {errors} errors |")
PY
}

ingest() {
  local half=$((EVENTS / 2))
  echo "## ingestion, $EVENTS mixed events, 100 per request, unpaced, Attio at a closed port"
  printf '[attio]\nbase_url = "http://127.0.0.1:9"\ntoken = "tok"\n' >"$WORK/config.toml"
  local a
  a=$(start sqlite $PORT_BASE)
  summary "SQLite, one instance" "$(loadgen $PORT_BASE "$EVENTS" 32)"
  kill -9 "$a"

  fresh_db multi_bench_one
  printf '[spool]\nurl = "%s/multi_bench_one"\n\n[attio]\nbase_url = "http://127.0.0.1:9"\ntoken = "tok"\n' "$PG" >"$WORK/config.toml"
  a=$(start pg-one $((PORT_BASE + 1)))
  summary "PostgreSQL, one instance" "$(loadgen $((PORT_BASE + 1)) "$EVENTS" 32)"
  local bytes
  bytes=$(psql_db multi_bench_one "SELECT pg_database_size(current_database())")
  local empty
  fresh_db multi_bench_empty
  printf '[spool]\nurl = "%s/multi_bench_empty"\n\n[attio]\nbase_url = "http://127.0.0.1:9"\ntoken = "tok"\n' "$PG" >"$WORK/config.toml"
  local e
  e=$(start pg-empty $((PORT_BASE + 4)))
  empty=$(psql_db multi_bench_empty "SELECT pg_database_size(current_database())")
  kill -9 "$e" "$a"
  echo "database size: $bytes bytes with $EVENTS events waiting, $empty bytes empty:" \
    "$(( (bytes - empty) / EVENTS )) bytes per event, $(( (bytes - empty) * 1000000 / EVENTS / 1048576 )) MiB per million"
  drop_db multi_bench_one
  drop_db multi_bench_empty

  fresh_db multi_bench_two
  printf '[spool]\nurl = "%s/multi_bench_two"\n\n[attio]\nbase_url = "http://127.0.0.1:9"\ntoken = "tok"\n' "$PG" >"$WORK/config.toml"
  a=$(start pg-two-a $((PORT_BASE + 2)))
  local b
  b=$(start pg-two-b $((PORT_BASE + 3)))
  loadgen $((PORT_BASE + 2)) "$half" 16 >"$WORK/two-a.json" &
  local la=$!
  loadgen $((PORT_BASE + 3)) "$half" 16 >"$WORK/two-b.json"
  wait $la
  summary "PostgreSQL, two instances" "$(cat "$WORK/two-a.json")" "$(cat "$WORK/two-b.json")"
  kill -9 "$a" "$b"
  drop_db multi_bench_two
}

failover() {
  echo "## failover, lease_secs = $LEASE_SECS: instance A killed under a steady load sent to B"
  fresh_db multi_bench_failover
  local sim_port=$((PORT_BASE + 10))
  "$BIN" simulator --listen "127.0.0.1:$sim_port" --write-rate 0 --read-rate 0 >/dev/null 2>&1 &
  PIDS+=("$!")
  until curl -fs "http://127.0.0.1:$sim_port/_simulator/stats" >/dev/null 2>&1; do sleep 0.05; done
  printf '[spool]\nurl = "%s/multi_bench_failover"\nlease_secs = %s\n\n[attio]\nbase_url = "http://127.0.0.1:%s"\ntoken = "tok"\nwrite_rate = 100000\nread_rate = 100000\n' \
    "$PG" "$LEASE_SECS" "$sim_port" >"$WORK/config.toml"
  local a b
  a=$(start failover-a $((PORT_BASE + 11)))
  b=$(start failover-b $((PORT_BASE + 12)))
  sleep 2 # both hold their share of the partitions
  "$LOADGEN" --url "http://127.0.0.1:$((PORT_BASE + 12))" --write-key wk --rate 200 --duration $((LEASE_SECS * 3 + 10)) \
    --batch-size 10 --concurrency 4 --kind identify --distinct-users 100000 --json >"$WORK/failover-load.json" &
  local load=$!
  sleep 4
  local held
  held=$(psql_db multi_bench_failover "SELECT string_agg(partition::text, ',') FROM partition_leases WHERE owner LIKE '%-$a-%'")
  [ -n "$held" ] || { echo "instance A holds no partition"; exit 1; }
  local t0 previous count t_lease="" t_flow=""
  kill -9 "$a"
  t0=$(date +%s.%N)
  previous=0
  while kill -0 "$load" 2>/dev/null; do
    local now
    now=$(date +%s.%N)
    count=$(psql_db multi_bench_failover "SELECT count(*) FROM events WHERE partition IN ($held)")
    if [ -z "$t_lease" ] && [ "$(psql_db multi_bench_failover "SELECT count(*) FROM partition_leases WHERE partition IN ($held) AND owner LIKE '%-$a-%'")" = 0 ]; then
      t_lease=$(python3 -c "print(f'{$now - $t0:.2f}')")
    fi
    if [ -z "$t_flow" ] && [ "$count" -lt "$previous" ]; then
      t_flow=$(python3 -c "print(f'{$now - $t0:.2f}')")
    fi
    previous=$count
    sleep 0.1
  done
  wait "$load" || true
  echo "partitions of A ($held): taken over after ${t_lease:-never} s, their events delivered again after ${t_flow:-never} s"
  kill -9 "$b"
  drop_db multi_bench_failover
}

case $what in
  ingest) ingest ;;
  failover) failover ;;
  all) ingest; failover ;;
  *) echo "usage: $0 [ingest|failover|all]" >&2; exit 2 ;;
esac
