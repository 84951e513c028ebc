#!/usr/bin/env bash
# Membership benchmark (issue "membership, snapshots"):
#  1. catch-up: a 3-node cluster is loaded with ENTRIES (default 1,000,000) small KV puts; then a
#     4th node joins with an empty data dir and we time until it reports the cluster's head
#     (snapshot transfer + install + suffix), and check it did not replay from index 1;
#  2. snapshot cost: p99 write latency of the same wrk load with snapshots happening during the run
#     versus a run without any (snapshotEveryEntries larger than the run).
#   bench/catchup.sh                      # ENTRIES=1000000
#   ENTRIES=200000 bench/catchup.sh       # quicker
#   HEAP="-Xms1g -Xmx1g" bench/catchup.sh  # every node's heap (default -Xms2g -Xmx4g)
#   BENCH_JAR=/tmp/old.jar bench/catchup.sh   # measure another build
#   KEEP_LOGS=/tmp/catchup-logs bench/catchup.sh   # keep the nodes' logs
# It prints the load average before each part (the machine is shared: compare runs made at a low
# load), each node's peak resident set (VmHWM) and the snapshot timings from the logs.
# TLS off, fsync on. Machine caveat: 2 cores shared with the load generator and all nodes.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
ENTRIES="${ENTRIES:-1000000}"
HEAP="${HEAP:--Xms2g -Xmx4g}"
need wrk wrk
build_jar

start_cluster() { # <snapshotEveryEntries> [same-ports] -> sets URLS and PORTS
  local every=$1
  # A restart keeps the ports: the members' URLs are part of the committed configuration since
  # the 4th node joined, so nodes on new ports would not find each other.
  if [ "${2:-}" != same-ports ]; then
    PORTS=("$(free_port)" "$(free_port)" "$(free_port)" "$(free_port)")
  fi
  URLS=()
  for i in 0 1 2; do
    local peers="[" sep=""
    for j in 0 1 2; do
      [ "$i" = "$j" ] && continue
      peers+="$sep{\"id\":\"c$((j + 1))\",\"url\":\"http://127.0.0.1:${PORTS[$j]}\"}"
      sep=","
    done
    peers+="]"
    mkdir -p "$WORK/c$((i + 1))"
    cat > "$WORK/c$((i + 1)).json" <<JSON
{"nodeId":"c$((i + 1))","host":"127.0.0.1","port":${PORTS[$i]},"dataDir":"$WORK/c$((i + 1))/data",
 "peers":$peers,"tls":{"enabled":false},"requestTimeoutMs":10000,"snapshotEveryEntries":$every}
JSON
    # shellcheck disable=SC2086 # HEAP is a list of JVM options
    java $HEAP -jar "$JAR" -conf "$WORK/c$((i + 1)).json" > "$WORK/c$((i + 1)).log" 2>&1 &
    PIDS+=($!)
    URLS+=("http://127.0.0.1:${PORTS[$i]}")
  done
  for u in "${URLS[@]}"; do wait_http "$u/health"; done
  # A restart on existing data replays it (snapshot + WAL suffix) before it serves writes well:
  # wait until every node is caught up and ready, up to 2 minutes.
  for u in "${URLS[@]}"; do
    for _ in $(seq 1 1200); do
      curl -fsS -o /dev/null "$u/ready" 2>/dev/null && break
      sleep 0.1
    done
  done
}

length_of() { curl -fsS "$1/head" | python3 -c 'import json,sys; print(json.load(sys.stdin)["length"])'; }

load() { # fill the cluster to ENTRIES entries
  local t0=$SECONDS
  while [ "$(length_of "${URLS[0]}")" -lt "$ENTRIES" ]; do
    BENCH_KEYS=1000000 wrk -t2 -c128 -d20s --timeout 10s -s "$BENCH_DIR/put.lua" "${URLS[0]}" >/dev/null || true
  done
  echo "loaded $(length_of "${URLS[0]}") entries in $((SECONDS - t0)) s"
}

stop_cluster() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

echo "# 1. catch-up of a new member after $ENTRIES entries (3 voters on loopback, $(nproc) cores, shared; heap $HEAP)"
echo "  load average $(loadavg)"
start_cluster 100000
load
sleep 2
cat > "$WORK/c4.json" <<JSON
{"nodeId":"c4","host":"127.0.0.1","port":${PORTS[3]},"dataDir":"$WORK/c4/data","join":"${URLS[0]}",
 "tls":{"enabled":false},"requestTimeoutMs":10000}
JSON
target=$(length_of "${URLS[0]}")
echo "  load average $(loadavg) before c4 starts"
start_ns=$(date +%s%N)
# shellcheck disable=SC2086
java $HEAP -jar "$JAR" -conf "$WORK/c4.json" > "$WORK/c4.log" 2>&1 &
C4=$!
PIDS+=($!)
until curl -fsS "http://127.0.0.1:${PORTS[3]}/head" 2>/dev/null \
    | python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['length'] >= $target else 1)" 2>/dev/null; do
  sleep 0.05
done
end_ns=$(date +%s%N)
echo "new member reached length $target in $(( (end_ns - start_ns) / 1000000 )) ms (JVM start and join included)"
grep -hE "installed the snapshot|fetching its snapshot|snapshot transfer" "$WORK/c4.log" | sed 's/^/  c4: /' || echo "WARNING: c4 did not install a snapshot"
echo "  peak RSS (VmHWM): c4 $(peak_rss_mb "$C4") MB; c1 $(peak_rss_mb "${PIDS[0]}") MB (c1 loaded the cluster and took snapshots)"
grep -hE "snapshot at length" "$WORK/c1.log" | tail -3 | sed 's/^/  c1: /' || true
echo "  c4 GET /log?from=1 -> $(curl -s "http://127.0.0.1:${PORTS[3]}/log?from=1&limit=1" | cut -c1-120)"

echo
echo "# 2. p99 of writes with snapshots of a ${ENTRIES}-entry state running vs none (c=32, 60 s)"
echo "  load average $(loadavg)"
header
snaps_before=$(grep -c "snapshot at length" "$WORK/c1.log" || true)
row raftsimple snapshots 32 "$(DURATION=60s BENCH_KEYS=1000000 run_wrk put.lua 32 "${URLS[0]}")"
snaps_after=$(grep -c "snapshot at length" "$WORK/c1.log" || true)
echo "  (c1 took $((snaps_after - snaps_before)) snapshots during that run; peak RSS c1 $(peak_rss_mb "${PIDS[0]}") MB)"
stop_cluster
# The same four voters, data and state, restarted with snapshots off.
sed -i 's/"requestTimeoutMs":10000}/"requestTimeoutMs":10000,"snapshotEveryEntries":1000000000000}/' "$WORK/c4.json"
# shellcheck disable=SC2086
java $HEAP -jar "$JAR" -conf "$WORK/c4.json" >> "$WORK/c4.log" 2>&1 &
PIDS+=($!)
start_cluster 1000000000000 same-ports
load
# Freshly started JVMs are slower until JIT compilation settles; the 'snapshots' row ran on warm ones.
WARMUP=30s warmup put.lua "${URLS[0]}"
echo "  load average $(loadavg)"
row raftsimple none 32 "$(DURATION=60s BENCH_KEYS=1000000 run_wrk put.lua 32 "${URLS[0]}")"
if [ -n "${KEEP_LOGS:-}" ]; then # e.g. KEEP_LOGS=/tmp/catchup-logs: the nodes' logs outlive $WORK
  mkdir -p "$KEEP_LOGS" && cp "$WORK"/*.log "$KEEP_LOGS"/
fi
