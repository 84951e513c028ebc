#!/usr/bin/env bash
# Three-node benchmark (replication issue): a 3-node raftsimple cluster and a 3-node etcd 3.4
# cluster on loopback, same wrk load (put ~100-byte values over 10k keys), fsync on for both,
#   (a) "one":    every connection to the first node;
#   (b) "spread": connections split over the three nodes (one wrk per node, run together).
# Prints one table. Usage:
#   bench/cluster.sh                          # 1, 8, 32, 128 connections, 10 s per row
#   DURATION=20s CONNS="32 128" MODES=spread bench/cluster.sh
#   SYSTEMS="raftsimple" bench/cluster.sh     # skip etcd
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
MODES="${MODES:-one spread}"
SYSTEMS="${SYSTEMS:-raftsimple etcd}"
need wrk wrk
build_jar

declare -a RURLS EURLS
if [[ " $SYSTEMS " == *" raftsimple "* ]]; then
  ports=("$(free_port)" "$(free_port)" "$(free_port)")
  for i in 0 1 2; do
    peers="["
    for j in 0 1 2; do
      [ "$i" = "$j" ] && continue
      [ "$peers" != "[" ] && peers+=","
      peers+="{\"id\":\"r$((j + 1))\",\"url\":\"http://127.0.0.1:${ports[$j]}\"}"
    done
    peers+="]"
    start_raftsimple "r$((i + 1))" "${ports[$i]}" "$peers"
    RURLS+=("http://127.0.0.1:${ports[$i]}")
  done
  for u in "${RURLS[@]}"; do wait_http "$u/health"; done
fi
if [[ " $SYSTEMS " == *" etcd "* ]]; then
  need etcd etcd-server
  cp=("$(free_port)" "$(free_port)" "$(free_port)"); pp=("$(free_port)" "$(free_port)" "$(free_port)")
  cluster="e1=http://127.0.0.1:${pp[0]},e2=http://127.0.0.1:${pp[1]},e3=http://127.0.0.1:${pp[2]}"
  for i in 0 1 2; do
    start_etcd "e$((i + 1))" "${cp[$i]}" "${pp[$i]}" "$cluster"
    EURLS+=("http://127.0.0.1:${cp[$i]}")
  done
  for u in "${EURLS[@]}"; do wait_http "$u/health"; done
fi

echo "# 3 nodes on loopback, put ~100-byte values over 10k keys, $DURATION per row ($(nproc) cores, shared and noisy)"
header
for mode in $MODES; do
  for c in $CONNS; do
    for sys in $SYSTEMS; do
      if [ "$sys" = raftsimple ]; then urls=("${RURLS[@]}"); script=put.lua; else urls=("${EURLS[@]}"); script=etcd-put.lua; fi
      if [ "$mode" = one ] || [ "$c" -lt 3 ]; then urls=("${urls[0]}"); fi
      row "$sys" "$mode" "$c" "$(run_wrk "$script" "$c" "${urls[@]}")"
    done
  done
done
