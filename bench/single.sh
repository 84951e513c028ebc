#!/usr/bin/env bash
# Single-node benchmark (issue "one node"): raftsimple vs etcd 3.4, same wrk load, same run.
#   bench/single.sh                      # 1, 8, 32, 128 connections, 10 s each
#   DURATION=20s CONNS="32 128" bench/single.sh
# Both systems fsync every write (raftsimple group-commits; etcd batches in its raft loop).
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need wrk wrk
need etcd etcd-server
build_jar

rport=$(free_port)
start_raftsimple b1 "$rport" '[]'
wait_http "http://127.0.0.1:$rport/health"
cport=$(free_port); pport=$(free_port)
start_etcd e1 "$cport" "$pport" "e1=http://127.0.0.1:$pport"
wait_http "http://127.0.0.1:$cport/health"

warmup put.lua "http://127.0.0.1:$rport"
warmup etcd-put.lua "http://127.0.0.1:$cport"
echo "# single node, put ~100-byte values over 10k keys, $DURATION per row ($(nproc) cores; noisy shared machine)"
header
for c in $CONNS; do
  row raftsimple one "$c" "$(run_wrk put.lua "$c" "http://127.0.0.1:$rport")"
  row etcd-3.4 one "$c" "$(run_wrk etcd-put.lua "$c" "http://127.0.0.1:$cport")"
done
