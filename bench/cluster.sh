#!/usr/bin/env bash
# Three-node benchmark (replication issue): a 3-node raftsimple cluster and a 3-node etcd 3.4
# cluster on loopback, same wrk load (put ~100-byte values over 10k keys), fsync on for both,
#   (a) "one":    every connection to the first node;
#   (b) "spread": connections split over the three nodes (one wrk per node, run together).
# Prints one table. Usage:
#   bench/cluster.sh                          # 1, 8, 32, 128 connections, 10 s per row
#   DURATION=20s CONNS="32 128" MODES=spread bench/cluster.sh
#   SYSTEMS="raftsimple" bench/cluster.sh     # skip etcd
#   SYSTEMS="raftsimple raftsimple-eventbus etcd" bench/cluster.sh   # also raftsimple over the
#                                             # clustered event bus (transport "eventbus")
#   BASE_JAR=/tmp/base/raftsimple.jar SYSTEMS="raftsimple raftsimple-base" bench/cluster.sh
#                                             # also another build (e.g. main) over HTTPS, same run
#   NODES=5 CONNS=32 bench/cluster.sh         # five nodes of each system instead of three
#   IDLE=30 bench/cluster.sh                  # first, each system's CPU while idle for 30 s
#                                             # (% of one core per node; IDLE_SETTLE, default 30 s,
#                                             # after start first), then the load rows
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
MODES="${MODES:-one spread}"
SYSTEMS="${SYSTEMS:-raftsimple etcd}"
NODES="${NODES:-3}"
IDLE="${IDLE:-0}"
need wrk wrk
build_jar

declare -a RURLS BURLS EURLS AURLS
declare -A SYSPIDS # system -> its server pids, for CPU per request
# start_raftsimple_cluster <name-prefix> <transport>: three nodes on free ports; their URLs go to
# $WORK/<name-prefix>.urls.
# transport "eventbus": the nodes' Hazelcast members also get free ports and list each other.
start_raftsimple_cluster() {
  local prefix=$1 transport=$2 jar=${3:-$JAR} i j
  local ports=() hz=()
  for ((i = 0; i < NODES; i++)); do ports+=("$(free_port)"); hz+=("$(free_port)"); done
  for ((i = 0; i < NODES; i++)); do
    local peers="[" extra="" members=""
    for ((j = 0; j < NODES; j++)); do
      [ "$i" = "$j" ] && continue
      [ "$peers" != "[" ] && peers+="," && members+=","
      peers+="{\"id\":\"$prefix$((j + 1))\",\"url\":\"http://127.0.0.1:${ports[$j]}\"}"
      members+="\"127.0.0.1:${hz[$j]}\""
    done
    peers+="]"
    if [ "$transport" = eventbus ]; then
      extra="\"transport\":\"eventbus\",\"eventbus\":{\"host\":\"127.0.0.1\",\"port\":${hz[$i]},\"members\":[$members]}"
    fi
    start_raftsimple "$prefix$((i + 1))" "${ports[$i]}" "$peers" "$extra" "$jar"
    echo "http://127.0.0.1:${ports[$i]}" >> "$WORK/$prefix.urls"
  done
}
if [[ " $SYSTEMS " == *" raftsimple "* ]]; then
  start_raftsimple_cluster r https
  SYSPIDS[raftsimple]="${PIDS[*]: -$NODES}"
  mapfile -t RURLS < "$WORK/r.urls"
  for u in "${RURLS[@]}"; do wait_http "$u/health"; done
fi
if [[ " $SYSTEMS " == *" raftsimple-base "* ]]; then
  [ -f "${BASE_JAR:-}" ] || { echo "bench: raftsimple-base needs BASE_JAR=<a raftsimple.jar>" >&2; exit 1; }
  start_raftsimple_cluster a https "$BASE_JAR"
  SYSPIDS[raftsimple-base]="${PIDS[*]: -$NODES}"
  mapfile -t AURLS < "$WORK/a.urls"
  for u in "${AURLS[@]}"; do wait_http "$u/health"; done
fi
if [[ " $SYSTEMS " == *" raftsimple-eventbus "* ]]; then
  start_raftsimple_cluster b eventbus
  SYSPIDS[raftsimple-eventbus]="${PIDS[*]: -$NODES}"
  mapfile -t BURLS < "$WORK/b.urls"
  for u in "${BURLS[@]}"; do wait_http "$u/health"; done
fi
if [[ " $SYSTEMS " == *" etcd "* ]]; then
  need etcd etcd-server
  cp=(); pp=(); cluster=""
  for ((i = 0; i < NODES; i++)); do
    cp+=("$(free_port)"); pp+=("$(free_port)")
    cluster+="${cluster:+,}e$((i + 1))=http://127.0.0.1:${pp[$i]}"
  done
  for ((i = 0; i < NODES; i++)); do
    start_etcd "e$((i + 1))" "${cp[$i]}" "${pp[$i]}" "$cluster"
    EURLS+=("http://127.0.0.1:${cp[$i]}")
  done
  SYSPIDS[etcd]="${PIDS[*]: -$NODES}"
  for u in "${EURLS[@]}"; do wait_http "$u/health"; done
fi

if [ "$IDLE" -gt 0 ]; then
  sleep "${IDLE_SETTLE:-30}" # past start-up work (elections, first heartbeats, JIT of the start path)
  declare -A idle_before
  for sys in $SYSTEMS; do
    # shellcheck disable=SC2086
    idle_before[$sys]=$(cpu_ms ${SYSPIDS[$sys]})
  done
  sleep "$IDLE"
  echo "# idle for $IDLE s after start ($NODES nodes each, no client): CPU per node, % of one core"
  for sys in $SYSTEMS; do
    # shellcheck disable=SC2086
    used=$(( $(cpu_ms ${SYSPIDS[$sys]}) - ${idle_before[$sys]} ))
    awk -v s="$sys" -v u="$used" -v t="$IDLE" -v n="$NODES" 'BEGIN { printf "idle %-20s %5.2f %%\n", s, u / (t * 1000 * n) * 100 }'
  done
fi

for sys in $SYSTEMS; do
  case "$sys" in
    raftsimple) warmup put.lua "${RURLS[@]}" ;;
    raftsimple-eventbus) warmup put.lua "${BURLS[@]}" ;;
    raftsimple-base) warmup put.lua "${AURLS[@]}" ;;
    *) warmup etcd-put.lua "${EURLS[@]}" ;;
  esac
done
echo "# $NODES nodes on loopback, put ~100-byte values over 10k keys, $DURATION per row ($(nproc) cores, shared and noisy; load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
header
for mode in $MODES; do
  for c in $CONNS; do
    for sys in $SYSTEMS; do
      case "$sys" in
        raftsimple) urls=("${RURLS[@]}"); script=put.lua ;;
        raftsimple-eventbus) urls=("${BURLS[@]}"); script=put.lua ;;
        raftsimple-base) urls=("${AURLS[@]}"); script=put.lua ;;
        *) urls=("${EURLS[@]}"); script=etcd-put.lua ;;
      esac
      if [ "$mode" = one ] || [ "$c" -lt "$NODES" ]; then urls=("${urls[0]}"); fi
      # shellcheck disable=SC2086 # the pid list splits on purpose
      before=$(cpu_ms ${SYSPIDS[$sys]})
      out=$(run_wrk "$script" "$c" "${urls[@]}")
      # shellcheck disable=SC2086
      row "$sys" "$mode" "$c" "$out" "$(( $(cpu_ms ${SYSPIDS[$sys]}) - before ))"
    done
  done
done
