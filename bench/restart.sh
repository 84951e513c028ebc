#!/usr/bin/env bash
# A restarted node's time to /ready on a write-ahead log of ENTRIES entries (issue 10's target:
# within 3 s of the process start for 100k entries): ReplayBench writes a single-node data dir
# with a voter-like WAL, then the node is started REPS times on it (the first start is the cold
# one) and timed from the exec to its first 200 on /health and on /ready. The log line that says
# how long the replay took is printed too. No load runs meanwhile.
#   bench/restart.sh                       # ENTRIES=100000 REPS=3
#   ENTRIES=1000000 REPS=2 bench/restart.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
ENTRIES="${ENTRIES:-100000}"
REPS="${REPS:-3}"
build_jar
port=$(free_port)
dir="$WORK/n1"
"$ROOT/bench/replay.sh" --make-node-dir "$dir/data" --entries "$ENTRIES" --node n1 \
  --url "http://127.0.0.1:$port" >&2
cat > "$WORK/n1.json" <<JSON
{"nodeId":"n1","host":"127.0.0.1","port":$port,"dataDir":"$dir/data","tls":{"enabled":false}}
JSON
echo "# restart on a WAL of $ENTRIES entries, $REPS starts ($(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| start | /health after ms | /ready after ms |"
echo "|---|---|---|"
for ((r = 1; r <= REPS; r++)); do
  t0=$(date +%s%3N)
  # shellcheck disable=SC2046
  java $(java_opts) -jar "$JAR" -conf "$WORK/n1.json" > "$WORK/n1-$r.log" 2>&1 &
  pid=$!
  health=NA ready=NA
  for _ in $(seq 1 3000); do
    now=$(date +%s%3N)
    if [ "$health" = NA ] && curl -fsS -m 1 -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; then health=$((now - t0)); fi
    if curl -fsS -m 1 -o /dev/null "http://127.0.0.1:$port/ready" 2>/dev/null; then ready=$((now - t0)); break; fi
    sleep 0.02
  done
  echo "| $r | $health | $ready |"
  grep -h "replayed .* entries" "$WORK/n1-$r.log" | sed 's/^/#   /' | head -2
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
