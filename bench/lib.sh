#!/usr/bin/env bash
# Shared helpers for the benchmark scripts: free ports, starting/stopping raftsimple and etcd,
# running wrk and printing table rows. Sourced, not executed.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
# BENCH_JAR: measure another build (e.g. a copy of an older jar) instead of building this tree.
JAR="${BENCH_JAR:-$ROOT/target/raftsimple.jar}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-1 8 32 128}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/raftsimple-bench.XXXXXX")"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    # SIGCONT first: a process stopped by a benchmark (SIGSTOP) would never act on the SIGTERM.
    if [ -n "$p" ]; then kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; fi
  done
  for p in "${PIDS[@]:-}"; do
    if [ -n "$p" ]; then wait "$p" 2>/dev/null || true; fi
  done
  if [ -n "${KEEP_WORK:-}" ]; then
    echo "bench: logs and data kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "bench: '$1' is missing; install the Debian package '$2'" >&2; exit 1; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

build_jar() {
  if [ -n "${BENCH_JAR:-}" ]; then
    [ -f "$JAR" ] || { echo "bench: BENCH_JAR=$JAR does not exist" >&2; exit 1; }
    return 0
  fi
  if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/src" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then
    echo "bench: building $JAR" >&2
    (cd "$ROOT" && mvn -B -q package -DskipTests)
  fi
  if [ "${CDS:-1}" = 1 ] && { [ ! -f "$CDS_ARCHIVE" ] || [ "$JAR" -nt "$CDS_ARCHIVE" ]; }; then
    build_cds
  fi
}

# Application class-data sharing (JDK 17 AppCDS): the classes a node loads while it starts and
# serves, parsed and verified once into $CDS_ARCHIVE, which later JVMs map instead of loading them
# from the jar. On this machine it cuts a node's start from about 2.8 to 1.7 s of CPU. The archive is
# built by a training run (one node: start, a few writes and reads, SIGTERM) and used by
# start_raftsimple; a JVM ignores an archive that does not match its jar. CDS=0 turns it off.
CDS_ARCHIVE="$ROOT/target/raftsimple.jsa"
build_cds() {
  echo "bench: building the class-data archive $CDS_ARCHIVE" >&2
  local dir port pid
  dir=$(mktemp -d "${TMPDIR:-/tmp}/raftsimple-cds.XXXXXX")
  port=$(free_port)
  cat > "$dir/node.json" <<JSON
{"nodeId":"t1","host":"127.0.0.1","port":$port,"dataDir":"$dir/data","tls":{"enabled":false}}
JSON
  rm -f "$CDS_ARCHIVE"
  java -XX:ArchiveClassesAtExit="$CDS_ARCHIVE" -jar "$JAR" -conf "$dir/node.json" > "$dir/node.log" 2>&1 &
  pid=$!
  wait_http "http://127.0.0.1:$port/ready" || true
  for i in 1 2 3 4 5; do
    curl -fsS -o /dev/null -d "{\"op\":\"put\",\"key\":\"k$i\",\"value\":\"v\"}" "http://127.0.0.1:$port/entries" || true
    curl -fsS -o /dev/null "http://127.0.0.1:$port/kv/k$i" || true
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  [ -f "$CDS_ARCHIVE" ] || echo "bench: no class-data archive was written; nodes start without it" >&2
}

java_opts() { # the JVM options of a benchmarked node
  local cds=""
  if [ "${CDS:-1}" = 1 ] && [ -f "$CDS_ARCHIVE" ]; then cds="-XX:SharedArchiveFile=$CDS_ARCHIVE"; fi
  echo "${BENCH_JAVA_OPTS:--Xms1g -Xmx1g} $cds"
}

wait_http() { # url
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2
  return 1
}

# start_raftsimple <name> <port> <peers-json> [extra-keys] [jar] ; TLS off (etcd's gateway is plain
# HTTP too), fsync on. extra-keys: more top-level JSON members, e.g. the transport and eventbus
# block. jar: another build to run (default $JAR), e.g. a baseline for a same-run comparison.
start_raftsimple() {
  local name=$1 port=$2 peers=$3 extra=${4:-} jar=${5:-$JAR}
  mkdir -p "$WORK/$name"
  cat > "$WORK/$name.json" <<JSON
{"nodeId":"$name","host":"127.0.0.1","port":$port,"dataDir":"$WORK/$name/data",
 "peers":$peers,"tls":{"enabled":false},"requestTimeoutMs":10000${extra:+,$extra}}
JSON
  # shellcheck disable=SC2046 # a list of JVM options, split on purpose
  java $(java_opts) -jar "$jar" -conf "$WORK/$name.json" > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

# start_etcd <name> <client-port> <peer-port> <initial-cluster>
start_etcd() {
  local name=$1 cport=$2 pport=$3 cluster=$4
  etcd --name "$name" --data-dir "$WORK/etcd-$name" \
    --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "$cluster" --initial-cluster-state new --log-level error \
    > "$WORK/etcd-$name.log" 2>&1 &
  PIDS+=($!)
}

# run_wrk <script> <conns> <url...>: one wrk per url with conns/#urls connections each, in parallel;
# prints "rps p50 p99 non2xx requests" where rps is summed, p50 the request-weighted mean of the p50s and
# p99 the worst p99 (percentiles of separate runs cannot be merged exactly).
run_wrk() {
  local script=$1 conns=$2
  shift 2
  local n=$# per outs=()
  per=$(( conns / n )); [ "$per" -lt 1 ] && per=1
  local i=0
  for url in "$@"; do
    local threads=2; [ "$per" -lt 2 ] && threads=1
    wrk -t"$threads" -c"$per" -d"$DURATION" --timeout 10s -s "$BENCH_DIR/$script" "$url" \
      > "$WORK/wrk.$i.out" 2>&1 &
    outs+=("$WORK/wrk.$i.out")
    i=$((i + 1))
  done
  wait_jobs_wrk
  python3 - "${outs[@]}" <<'PY'
import re, sys
rows = []
for path in sys.argv[1:]:
    text = open(path).read()
    m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) non2xx=(\d+) errors=(\d+)", text)
    if not m:
        print("0 0 0 0 0", end="")
        sys.stderr.write("wrk failed: " + text + "\n")
        sys.exit(0)
    rows.append([float(x) for x in m.groups()])
req = sum(r[0] for r in rows)
rps = sum(r[2] for r in rows)
p50 = sum(r[3] * r[0] for r in rows) / req if req else 0
p99 = max(r[4] for r in rows)
bad = int(sum(r[5] + r[6] for r in rows))
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {bad} {req:.0f}")
PY
}

wait_jobs_wrk() {
  # wait for the wrk processes started by run_wrk only (not the servers)
  local j
  for j in $(jobs -p); do
    if ! printf '%s\n' "${PIDS[@]:-}" | grep -qx "$j"; then
      wait "$j" || true
    fi
  done
}

# cpu_ms <pid...>: CPU time (user + system) the processes have used so far, in milliseconds. On a
# shared machine throughput follows whatever else runs; CPU per request is the steadier measure.
cpu_ms() {
  local total=0 p t hz
  hz=$(getconf CLK_TCK)
  for p in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo $((total * 1000 / hz))
}

# warmup <script> <url...>: WARMUP (default 8s) of load at 32 connections, not reported, so that
# JIT compilation and connection pools do not count against the first measured row.
warmup() {
  local script=$1
  shift
  local url
  for url in "$@"; do
    wrk -t2 -c32 -d"${WARMUP:-8s}" --timeout 10s -s "$BENCH_DIR/$script" "$url" >/dev/null 2>&1 || true
  done
}

row() { # system mode conns "rps p50 p99 non2xx requests" [cpu-ms used by the servers meanwhile]
  local sys=$1 mode=$2 c=$3 cpu=${5:-}
  local rps p50 p99 bad reqs per="-"
  read -r rps p50 p99 bad reqs <<< "$4"
  if [ -n "$cpu" ] && [ "${reqs:-0}" -gt 0 ]; then
    per=$(python3 -c "print(f'{$cpu / $reqs:.2f}')")
  fi
  printf "| %-19s | %-6s | %5s | %9s | %8s | %8s | %6s | %10s |\n" "$sys" "$mode" "$c" "$rps" "$p50" "$p99" "$bad" "$per"
}

header() {
  printf "| %-19s | %-6s | %5s | %9s | %8s | %8s | %6s | %10s |\n" system mode conns "req/s" "p50 ms" "p99 ms" non2xx "cpu ms/req"
  printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n" "---------------------" "--------" "-------" "-----------" "----------" "----------" "--------" "------------"
}

# peak_rss_mb <pid>: the process's peak resident set size so far (VmHWM), in MB.
peak_rss_mb() {
  awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
