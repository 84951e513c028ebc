#!/usr/bin/env bash
# Runs a cluster of N raftsimple nodes on this machine, for development and demos.
#
#   deploy/local-cluster.sh start|stop|status [N]      (N: 1..9, default 3)
#   deploy/local-cluster.sh join K [voter|read-only]   start node K (1..9) with an empty data dir,
#                                                      joining the running cluster through n1
#   deploy/local-cluster.sh remove K                   remove node K from the cluster (DELETE
#                                                      /cluster/members/nK through n1), then stop it
#
# Environment:
#   RUN_DIR=run          certs, configs (nK.json), data (data/nK), logs (nK.log), pids (nK.pid)
#   BASE_PORT=6969       node K listens on BASE_PORT+K-1 (127.0.0.1)
#   TLS=1                0: plain HTTP (tls.enabled false), e.g. for benchmarks
#   TRANSPORT=https      or eventbus: peers talk over the clustered event bus; node K's cluster
#                        manager binds EB_BASE_PORT+K-1 (EB_BASE_PORT=5701)
#   JAR=target/raftsimple.jar   built with mvn if missing
#   START_TIMEOUT=30     seconds to wait for every node's /health (join: for the new node's /ready)
#
# start: generates certs (deploy/gen-certs.sh) and configs unless present, starts each node in
# the background and waits until all answer /health. stop: SIGTERM, waits, reports each exit
# status. status: each node's process state and GET /head.
set -euo pipefail

cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-run}
BASE_PORT=${BASE_PORT:-6969}
EB_BASE_PORT=${EB_BASE_PORT:-5701}
TLS=${TLS:-1}
TRANSPORT=${TRANSPORT:-https}
JAR=${JAR:-target/raftsimple.jar}
START_TIMEOUT=${START_TIMEOUT:-30}
STOP_TIMEOUT=15
HOST=127.0.0.1

die() {
  echo "local-cluster.sh: $*" >&2
  exit 1
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

port_of() { echo $((BASE_PORT + $1 - 1)); }
scheme() { if [[ $TLS == 1 ]]; then echo https; else echo http; fi; }
url_of() { echo "$(scheme)://$HOST:$(port_of "$1")"; }
pid_of() { cat "$RUN_DIR/n$1.pid" 2>/dev/null || true; }
running() {
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# curl against node K's public API (no client certificate needed there).
node_curl() {
  local k=$1 path=$2
  local args=(-fsS -m 2)
  [[ $TLS == 1 ]] && args+=(--cacert "$RUN_DIR/certs/ca.crt")
  curl "${args[@]}" "$(url_of "$k")$path"
}

peers_json() {
  local k=$1 n=$2 j sep=""
  for ((j = 1; j <= n; j++)); do
    [[ $j -eq $k ]] && continue
    printf '%s{"id": "n%d", "url": "%s"}' "$sep" "$j" "$(url_of "$j")"
    sep=", "
  done
}

tls_json() {
  local k=$1
  if [[ $TLS != 1 ]]; then
    echo '{"enabled": false}'
    return
  fi
  printf '{"enabled": true, "certPath": "%s/certs/n%d.crt", "keyPath": "%s/certs/n%d.key", "caPath": "%s/certs/ca.crt"}' \
    "$RUN_DIR" "$k" "$RUN_DIR" "$k" "$RUN_DIR"
}

# Hook for TRANSPORT=eventbus: the transport key plus this node's cluster-manager address and
# the other members'. Any other value is passed through as the transport (a class name).
transport_json() {
  local k=$1 n=$2 j sep="" members=""
  if [[ $TRANSPORT != eventbus ]]; then
    printf '"transport": "%s"' "$TRANSPORT"
    return
  fi
  for ((j = 1; j <= n; j++)); do
    [[ $j -eq $k ]] && continue
    members+=$(printf '%s"%s:%d"' "$sep" "$HOST" $((EB_BASE_PORT + j - 1)))
    sep=", "
  done
  printf '"transport": "eventbus", "eventbus": {"host": "%s", "port": %d, "members": [%s]}' \
    "$HOST" $((EB_BASE_PORT + k - 1)) "$members"
}

write_config() {
  local k=$1 n=$2
  cat >"$RUN_DIR/n$k.json" <<JSON
{
  "nodeId": "n$k",
  "host": "$HOST",
  "port": $(port_of "$k"),
  "dataDir": "$RUN_DIR/data/n$k",
  "peers": [$(peers_json "$k" "$n")],
  $(transport_json "$k" "$n"),
  "tls": $(tls_json "$k")
}
JSON
}

prepare() {
  local n=$1 k names=()
  if [[ ! -f $JAR ]]; then
    echo "building $JAR"
    mvn -B -q package -DskipTests
  fi
  mkdir -p "$RUN_DIR/data"
  for ((k = 1; k <= n; k++)); do names+=("n$k"); done
  if [[ $TLS == 1 ]]; then
    deploy/gen-certs.sh -o "$RUN_DIR/certs" "${names[@]}" >/dev/null
  fi
  for ((k = 1; k <= n; k++)); do write_config "$k" "$n"; done
}

# Starts node K; a wrapper shell records java's pid and, when it ends, its exit status.
launch() {
  local k=$1
  rm -f "$RUN_DIR/n$k.exit"
  # shellcheck disable=SC2016 # $1.. expand in the inner shell, on purpose
  nohup bash -c 'java -jar "$1" -conf "$2" & echo $! >"$3"; wait $!; echo $? >"$4"' _ \
    "$JAR" "$RUN_DIR/n$k.json" "$RUN_DIR/n$k.pid" "$RUN_DIR/n$k.exit" \
    >>"$RUN_DIR/n$k.log" 2>&1 </dev/null &
  local waited=0
  while [[ ! -s $RUN_DIR/n$k.pid && $waited -lt 50 ]]; do sleep 0.1; waited=$((waited + 1)); done
  echo "n$k: started, pid $(pid_of "$k"), log $RUN_DIR/n$k.log"
}

wait_healthy() {
  local n=$1 k deadline=$((SECONDS + START_TIMEOUT))
  for ((k = 1; k <= n; k++)); do
    until node_curl "$k" /health >/dev/null 2>&1; do
      if ! running "$k"; then
        echo "n$k exited (status $(cat "$RUN_DIR/n$k.exit" 2>/dev/null || echo '?')); log tail:" >&2
        tail -n 20 "$RUN_DIR/n$k.log" >&2
        return 1
      fi
      if ((SECONDS >= deadline)); then
        echo "n$k: no answer on $(url_of "$k")/health within ${START_TIMEOUT}s; see $RUN_DIR/n$k.log" >&2
        return 1
      fi
      sleep 0.2
    done
    echo "n$k: healthy at $(url_of "$k")"
  done
}

start() {
  local n=$1 k
  prepare "$n"
  for ((k = 1; k <= n; k++)); do
    if running "$k"; then
      echo "n$k: already running, pid $(pid_of "$k")"
    else
      : >"$RUN_DIR/n$k.pid"
      launch "$k"
    fi
  done
  wait_healthy "$n"
  local cacert=""
  [[ $TLS == 1 ]] && cacert="--cacert $RUN_DIR/certs/ca.crt "
  echo
  echo "try:  curl ${cacert}-d '{\"op\":\"put\",\"key\":\"k\",\"value\":1}' $(url_of 1)/entries"
  echo "      curl ${cacert}$(url_of "$n")/kv/k"
  echo "stop: $0 stop $n"
}

# join K [role]: node K's config names n1 as its join URL and has no peers (it learns them).
join() {
  local k=$1 role=${2:-voter}
  [[ $role == voter || $role == read-only ]] || die "role must be voter or read-only, got '$role'"
  running "$k" && die "n$k is already running"
  prepare "$k"
  local read_only=false
  [[ $role == read-only ]] && read_only=true
  cat >"$RUN_DIR/n$k.json" <<JSON
{
  "nodeId": "n$k",
  "host": "$HOST",
  "port": $(port_of "$k"),
  "dataDir": "$RUN_DIR/data/n$k",
  "join": "$(url_of 1)",
  "readOnly": $read_only,
  $(transport_json "$k" "$k"),
  "tls": $(tls_json "$k")
}
JSON
  rm -rf "$RUN_DIR/data/n$k"
  : >"$RUN_DIR/n$k.pid"
  launch "$k"
  # Joined means serving: /ready (caught up and applied), not just /health (process up), so that a
  # read right after this script returns sees what the cluster had committed.
  local deadline=$((SECONDS + START_TIMEOUT))
  until node_curl "$k" /ready >/dev/null 2>&1; do
    running "$k" || { echo "n$k exited; log tail:" >&2; tail -n 20 "$RUN_DIR/n$k.log" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "n$k: not /ready within ${START_TIMEOUT}s; see $RUN_DIR/n$k.log" >&2; return 1; }
    sleep 0.2
  done
  echo "n$k: joined as $role and ready; watch it: $0 status $k  or  GET $(url_of 1)/cluster"
}

# remove K: a membership change needs a certificate signed by the cluster CA (mutual TLS).
remove() {
  local k=$1 args=(-sS -m 10 -X DELETE)
  [[ $TLS == 1 ]] && args+=(--cacert "$RUN_DIR/certs/ca.crt" --cert "$RUN_DIR/certs/n1.crt" --key "$RUN_DIR/certs/n1.key")
  curl "${args[@]}" "$(url_of 1)/cluster/members/n$k"
  echo
  stop_one "$k"
}

stop_one() {
  local k=$1 pid waited=0
  pid=$(pid_of "$k")
  if ! running "$k"; then
    echo "n$k: not running"
    return 0
  fi
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "n$k: still running ${STOP_TIMEOUT}s after SIGTERM (pid $pid); kill -9 $pid if it hangs" >&2
    return 1
  fi
  waited=0
  while [[ ! -s $RUN_DIR/n$k.exit ]] && ((waited < 20)); do sleep 0.1; waited=$((waited + 1)); done
  echo "n$k: stopped, exit status $(cat "$RUN_DIR/n$k.exit" 2>/dev/null || echo unknown)"
  rm -f "$RUN_DIR/n$k.pid"
}

stop() {
  local n=$1 k status=0
  for ((k = n; k >= 1; k--)); do
    stop_one "$k" || status=1
  done
  return "$status"
}

status() {
  local n=$1 k head
  for ((k = 1; k <= n; k++)); do
    if running "$k"; then
      head=$(node_curl "$k" /head 2>&1) || head="(no answer: $head)"
      echo "n$k: running, pid $(pid_of "$k"), $(url_of "$k"), head $head"
    elif [[ -s $RUN_DIR/n$k.exit ]]; then
      echo "n$k: stopped, last exit status $(cat "$RUN_DIR/n$k.exit")"
    else
      echo "n$k: not started"
    fi
  done
}

main() {
  local cmd=${1:-} n=${2:-3}
  [[ $n =~ ^[1-9]$ ]] || die "N must be 1..9, got '$n'"
  [[ $TRANSPORT =~ ^[A-Za-z0-9_.]+$ ]] || die "TRANSPORT must be https, eventbus or a class name"
  case "$cmd" in
    start) start "$n" ;;
    stop) stop "$n" ;;
    status) status "$n" ;;
    join) join "$n" "${3:-voter}" ;;
    remove) remove "$n" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
