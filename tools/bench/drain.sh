#!/usr/bin/env bash
# End-to-end drain: import N identify events into a fresh spool, then `serve` delivers them
# to the simulator with its rate limits off, and the service's own CPU (utime + stime from
# /proc/<pid>/stat) and peak RSS (VmHWM) are read once the spool is drained.
#
# Usage: tools/bench/drain.sh [--bin PATH] [--events N] [--mode batch|single] [--batch-size B]
#                             [--port-base P] [--dir DIR]
# Prints one line: events, Attio write requests, wall seconds, the service's CPU seconds
# (all, and split into start-up, until /healthz answers, and delivery), events per delivery
# CPU-second, delivery CPU per Attio write request, peak RSS. --perf records a profile of
# the delivery into DIR/perf.data (frame-pointer call graphs; PERF_CALLGRAPH="--call-graph
# dwarf,16384" for call graphs through the release build's debug information).
set -euo pipefail

BIN=target/release/segment-attio
EVENTS=100000
MODE=batch
BATCH=1000
PORT=21100
DIR=/tmp/segment-attio-drain
PERF=
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --batch-size) BATCH=$2; shift 2 ;;
    --port-base) PORT=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --perf) PERF=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
SIM_PORT=$PORT
SVC_PORT=$((PORT + 1))
rm -rf "$DIR"; mkdir -p "$DIR"
python3 "$HERE/perf_inputs.py" "$DIR" "$EVENTS" "$BATCH" >/dev/null
batching=false; [ "$MODE" = batch ] && batching=true
python3 - "$DIR" "$batching" "$BATCH" "$SIM_PORT" <<'PY'
import json, sys
d, batching, size, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
m = json.load(open(f"{d}/mapping.json"))
with open(f"{d}/config.toml", "w") as f:
    f.write(f'[attio]\ntoken = "tok"\nbase_url = "http://127.0.0.1:{port}"\nwrite_rate = 1000000\nread_rate = 1000000\n')
    f.write('[log]\nlevel = "warn"\n')
    f.write('[[subscriptions]]\nname = "identify"\naction = "identifyUser"\nsubscribe = \'type = "identify"\'\n')
    f.write(f'use_default_mapping = true\nenable_batching = {batching}\nbatch_size = {size}\n')
    f.write(f"mapping_json = '''{json.dumps(m)}'''\n")
PY
# The mapping's user attributes, as the workspace would have them.
cat >"$DIR/schema.toml" <<'TOML'
[[attributes]]
object = "users"
slug = "plan"
type = "text"

[[attributes]]
object = "users"
slug = "name"
type = "text"
TOML
export SEGMENT_ATTIO_CONFIG="$DIR/config.toml"
"$BIN" import --data-dir "$DIR/data" "$DIR/events.jsonl" >/dev/null
"$BIN" simulator --listen "127.0.0.1:$SIM_PORT" --write-rate 0 --read-rate 0 --schema "$DIR/schema.toml" >"$DIR/sim.log" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true; [ -n "${SVC:-}" ] && kill $SVC 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$SIM_PORT/_simulator/stats" >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date +%s.%N)
"$BIN" serve --listen "127.0.0.1:$SVC_PORT" --data-dir "$DIR/data" >"$DIR/serve.log" 2>&1 &
SVC=$!
tck=$(getconf CLK_TCK)
cpu_of() { awk '{print $14 + $15}' /proc/$SVC/stat; }
# Start-up (opening and checking the spool, the schema check) ends when it answers.
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$SVC_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
startup=$(cpu_of)
if [ -n "$PERF" ]; then
  perf record -F 999 ${PERF_CALLGRAPH:--g} -p $SVC -o "$DIR/perf.data" >/dev/null 2>&1 &
  PERF_PID=$!
fi
# Drained when the spool holds nothing waiting: the delivered counter reaches N.
while :; do
  sleep 0.2
  n=$( (curl -fs "http://127.0.0.1:$SVC_PORT/metrics" 2>/dev/null || true) \
        | awk '/^segment_attio_events_delivered_total/ {s += $2} END {printf "%d", s}')
  [ "${n:-0}" -ge "$EVENTS" ] && break
  kill -0 $SVC 2>/dev/null || { echo "serve exited; see $DIR/serve.log" >&2; exit 1; }
done
end=$(date +%s.%N)
[ -n "$PERF" ] && { kill -INT $PERF_PID; wait $PERF_PID 2>/dev/null || true; }
read -r ut st < <(awk '{print $14, $15}' /proc/$SVC/stat)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$SVC/status)
reqs=$(curl -fs "http://127.0.0.1:$SIM_PORT/_simulator/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(r["count"] for r in s["requests"] if r["method"] in ("PUT", "POST", "PATCH")))')
kill $SVC; wait $SVC 2>/dev/null || true; SVC=
python3 - "$EVENTS" "$reqs" "$start" "$end" "$ut" "$st" "$tck" "$hwm" "$MODE" "$startup" <<'PY'
import sys
n, reqs, start, end, ut, st, tck, hwm, mode, startup = sys.argv[1:]
n = int(n); total = (int(ut) + int(st)) / int(tck); wall = float(end) - float(start)
boot = int(startup) / int(tck); cpu = total - boot
try: r = int(reqs)
except ValueError: r = None
per_req = f"{cpu / r * 1e6:.1f} us" if r else "?"
print(f"mode={mode} events={n} attio_writes={reqs} wall={wall:.2f}s service_cpu={total:.2f}s "
      f"(start-up {boot:.2f}s, delivery {cpu:.2f}s) "
      f"events_per_cpu_s={n / cpu:,.0f} (with start-up {n / total:,.0f}) cpu_per_write={per_req} peak_rss={int(hwm) / 1024:.1f}MB")
PY
