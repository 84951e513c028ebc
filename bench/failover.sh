#!/usr/bin/env bash
# Failover benchmark (issue 10): how long writes stall on the survivors when one node of three dies
# or pauses, and when it comes back; raftsimple (HTTPS transport with TLS off, and the clustered
# event bus) against etcd 3.4 with its leader or a follower as the victim, in the same run.
#
# For each system, on one 3-node cluster (fsync on, TLS off), after PRELOAD entries: REPS times
#   kill: 8 clients write to the two survivors; kill -9 of the victim; restart 15 s later (same
#         data dir, JVM start included); the victim's time to /ready (etcd: /health) is timed;
#   stop: the same with SIGSTOP of the victim and SIGCONT 10 s later.
# The clients (src/test/java/raftsimple/bench/FailoverLoad.java) record every request; the table
# shows medians over the repetitions.
#
#   bench/failover.sh                          # everything, 3 repetitions (~25 min on 2 cores)
#   REPS=1 SYSTEMS=raftsimple EVENTS=kill bench/failover.sh
#   PRELOAD=0 bench/failover.sh                # no preload (a small WAL at restart)
#   KEEP_WORK=1 bench/failover.sh              # keep node logs and /metrics snapshots
# raftsimple never snapshots here (SNAPSHOT_EVERY, default 10^12), so a restart replays the whole
# WAL: with PRELOAD=100000 the victim restarts on a WAL of over 100k entries.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
SYSTEMS="${SYSTEMS:-raftsimple raftsimple-eventbus etcd}"
EVENTS="${EVENTS:-kill stop}"
REPS="${REPS:-3}"
PRELOAD="${PRELOAD:-100000}"
SNAPSHOT_EVERY="${SNAPSHOT_EVERY:-1000000000000}"
FAILOVER_CONNS="${FAILOVER_CONNS:-8}"
PRE="${PRE:-5}"        # seconds of load before the fault
KILL_DOWN=15           # restart after
STOP_DOWN=10           # SIGCONT after
POST="${POST:-10}"     # seconds of load after the recovery
need wrk wrk
need javac openjdk-17-jdk-headless
if [[ " $SYSTEMS " == *" etcd "* ]]; then need etcd etcd-server; fi
build_jar
mkdir -p "$WORK/load"
javac -d "$WORK/load" "$ROOT/src/test/java/raftsimple/bench/FailoverLoad.java"
RESULTS="$WORK/results.txt"
: > "$RESULTS"

now_us() { date +%s%6N; }

declare -a NAMES PORTS HZ PPORTS URLS NPID
SYSNAME=""

# ---------------------------------------------------------------- starting and stopping nodes

start_node() { # <i>: (re)start node i of the current system with its fixed ports and data dir
  local i=$1 j
  case "$SYSNAME" in
    etcd)
      local cluster="" sep=""
      for j in 0 1 2; do cluster+="${sep}${NAMES[$j]}=http://127.0.0.1:${PPORTS[$j]}"; sep=","; done
      start_etcd "${NAMES[$i]}" "${PORTS[$i]}" "${PPORTS[$i]}" "$cluster"
      ;;
    *)
      local peers="[" members="" extra
      for j in 0 1 2; do
        [ "$i" = "$j" ] && continue
        [ "$peers" != "[" ] && peers+="," && members+=","
        peers+="{\"id\":\"${NAMES[$j]}\",\"url\":\"http://127.0.0.1:${PORTS[$j]}\"}"
        members+="\"127.0.0.1:${HZ[$j]}\""
      done
      peers+="]"
      extra="\"snapshotEveryEntries\":$SNAPSHOT_EVERY"
      if [ "$SYSNAME" = raftsimple-eventbus ]; then
        extra+=",\"transport\":\"eventbus\",\"eventbus\":{\"host\":\"127.0.0.1\",\"port\":${HZ[$i]},\"members\":[$members]}"
      fi
      # Appends to the node's log across restarts (start_raftsimple truncates it).
      if [ -f "$WORK/${NAMES[$i]}.log" ]; then cat "$WORK/${NAMES[$i]}.log" >> "$WORK/${NAMES[$i]}.all.log"; fi
      start_raftsimple "${NAMES[$i]}" "${PORTS[$i]}" "$peers" "$extra"
      ;;
  esac
  NPID[$i]=${PIDS[-1]}
}

ready() { # <i>: true when node i reports ready (raftsimple /ready, etcd /health)
  if [ "$SYSNAME" = etcd ]; then
    curl -fsS -m 1 "${URLS[$1]}/health" 2>/dev/null | grep -q '"health":"true"'
  else
    curl -fsS -m 1 -o /dev/null "${URLS[$1]}/ready" 2>/dev/null
  fi
}

up() { # <i>: true when node i answers HTTP at all (its process is up and serving)
  curl -fsS -m 1 -o /dev/null "${URLS[$1]}/$([ "$SYSNAME" = etcd ] && echo version || echo health)" 2>/dev/null
}

# wait_for <check> <i> [timeout s] [t0 µs]: waits until "<check> i" holds; prints the ms since t0
# (default: now), or NA after the timeout.
wait_for() {
  local check=$1 i=$2 limit=$(( ${3:-120} * 1000000 )) t0=${4:-$(now_us)}
  until "$check" "$i"; do
    if [ $(( $(now_us) - t0 )) -gt "$limit" ]; then echo "NA"; return 1; fi
    sleep 0.02
  done
  echo $(( ($(now_us) - t0) / 1000 ))
}

wait_ready() { # <i> [timeout s]
  wait_for ready "$1" "${2:-120}"
}

start_system() { # <system>
  SYSNAME=$1
  local prefix i
  case "$SYSNAME" in
    raftsimple) prefix=r ;;
    raftsimple-eventbus) prefix=b ;;
    etcd) prefix=e ;;
  esac
  NAMES=() PORTS=() HZ=() PPORTS=() URLS=() NPID=()
  for i in 0 1 2; do
    NAMES[$i]="$prefix$((i + 1))"
    PORTS[$i]=$(free_port); HZ[$i]=$(free_port); PPORTS[$i]=$(free_port)
    URLS[$i]="http://127.0.0.1:${PORTS[$i]}"
  done
  for i in 0 1 2; do start_node "$i"; done
  for i in 0 1 2; do wait_ready "$i" 180 > /dev/null || { echo "bench: ${NAMES[$i]} not ready" >&2; exit 1; }; done
}

stop_system() {
  local i
  for i in 0 1 2; do
    kill -CONT "${NPID[$i]}" 2>/dev/null || true
    kill "${NPID[$i]}" 2>/dev/null || true
  done
  for i in 0 1 2; do wait "${NPID[$i]}" 2>/dev/null || true; done
}

etcd_leader() { # prints the index of the etcd leader
  local i st
  for i in 0 1 2; do
    st=$(curl -fsS -m 2 -X POST -d '{}' "${URLS[$i]}/v3/maintenance/status" 2>/dev/null) || continue
    if python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s["leader"]==s["header"]["member_id"] else 1)' "$st"; then
      echo "$i"; return 0
    fi
  done
  echo "bench: no etcd leader found" >&2
  return 1
}

preload() { # writes PRELOAD entries through wrk at 64 connections, spread over the three nodes
  local done=0 script=put.lua out
  [ "$SYSNAME" = etcd ] && script=etcd-put.lua
  while [ "$done" -lt "$PRELOAD" ]; do
    out=$(DURATION=10s run_wrk "$script" 63 "${URLS[@]}")
    done=$(( done + $(echo "$out" | awk '{print $5}') ))
  done
  echo "  preloaded $done entries"
}

marks() { # <i>: the protocol marks of raftsimple node i, one "event count" per line
  curl -fsS -m 2 "${URLS[$1]}/metrics" 2>/dev/null \
    | sed -n 's/^raftsimple_protocol_events_total{event="\([^"]*\)".*} \([0-9.e+]*\)$/\1 \2/p' || true
}

marks_delta() { # <before-file> <after-file>: the marks that moved, "name+n"
  python3 - "$1" "$2" <<'PY'
import sys
def read(p):
    d = {}
    for line in open(p):
        k, v = line.split()
        d[k] = float(v)
    return d
a, b = read(sys.argv[1]), read(sys.argv[2])
moved = [f"{k}+{int(b[k] - a.get(k, 0))}" for k in sorted(b) if b[k] - a.get(k, 0) > 0
         and not k.startswith(("15.vote", "H5.forward", "H6.fetch", "16.early"))]
print(" ".join(moved) if moved else "-")
PY
}

# ---------------------------------------------------------------- one fault and its recovery

# phase <event kill|stop> <victim index> <role> <rep>: runs the load on the two survivors, injects
# the fault and the recovery, appends one result line.
phase() {
  local event=$1 v=$2 role=$3 rep=$4 i survivors="" sep="" down secs ev loadpid result t0
  local up_ms="-" ready_ms="-"
  for i in 0 1 2; do
    [ "$i" = "$v" ] && continue
    survivors+="$sep${URLS[$i]}"; sep=","
  done
  down=$KILL_DOWN; [ "$event" = stop ] && down=$STOP_DOWN
  secs=$(( PRE + down + POST ))
  ev="$WORK/events.$SYSNAME.$event.$role.$rep"
  : > "$ev"
  if [ "$SYSNAME" != etcd ]; then
    for i in 0 1 2; do [ "$i" != "$v" ] && marks "$i" > "$ev.marks$i.before"; done
  fi
  java -cp "$WORK/load" raftsimple.bench.FailoverLoad --kind "$([ "$SYSNAME" = etcd ] && echo etcd || echo raftsimple)" \
    --urls "$survivors" --conns "$FAILOVER_CONNS" --seconds "$secs" --events "$ev" > "$ev.out" 2>&1 &
  loadpid=$!
  sleep "$PRE"
  if [ "$event" = kill ]; then
    kill -9 "${NPID[$v]}"
    echo "fault $(now_us)" >> "$ev"
    wait "${NPID[$v]}" 2>/dev/null || true
    sleep "$down"
    t0=$(now_us)
    echo "recover $t0" >> "$ev"
    start_node "$v"
    up_ms=$(wait_for up "$v" 120 "$t0") || true
    ready_ms=$(wait_for ready "$v" 120 "$t0") || true
  else
    kill -STOP "${NPID[$v]}"
    echo "fault $(now_us)" >> "$ev"
    sleep "$down"
    kill -CONT "${NPID[$v]}"
    echo "recover $(now_us)" >> "$ev"
  fi
  wait "$loadpid" || true
  result=$(grep '^RESULT' "$ev.out" || echo "RESULT failed")
  local moved="-"
  if [ "$SYSNAME" != etcd ]; then
    moved=""
    for i in 0 1 2; do
      [ "$i" = "$v" ] && continue
      marks "$i" > "$ev.marks$i.after"
      moved+="${NAMES[$i]}: $(marks_delta "$ev.marks$i.before" "$ev.marks$i.after")  "
    done
  fi
  echo "$SYSNAME $event $role $rep up_ms=$up_ms ready_ms=$ready_ms ${result#RESULT }" >> "$RESULTS"
  printf '  %-20s %-4s %-8s rep %s: %s up_ms=%s ready_ms=%s\n' "$SYSNAME" "$event" "$role" "$rep" \
    "${result#RESULT }" "$up_ms" "$ready_ms"
  [ "$moved" != "-" ] && echo "    marks on the survivors: $moved"
  wait_ready "$v" 120 > /dev/null || echo "bench: ${NAMES[$v]} did not become ready again" >&2
  sleep 2
}

echo "# failover: 3 nodes on loopback, $FAILOVER_CONNS clients on the two survivors, kill -9 + restart after ${KILL_DOWN} s, SIGSTOP + SIGCONT after ${STOP_DOWN} s, $REPS repetitions ($(nproc) cores, shared; load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
for sys in $SYSTEMS; do
  echo "## $sys"
  start_system "$sys"
  if [ "$PRELOAD" -gt 0 ]; then preload; fi
  warmup "$([ "$sys" = etcd ] && echo etcd-put.lua || echo put.lua)" "${URLS[@]}"
  for rep in $(seq 1 "$REPS"); do
    for event in $EVENTS; do
      if [ "$sys" = etcd ]; then
        leader=$(etcd_leader)
        phase "$event" "$leader" leader "$rep"
        leader=$(etcd_leader)
        phase "$event" $(( (leader + 1) % 3 )) follower "$rep"
      else
        phase "$event" 2 any "$rep"
      fi
    done
  done
  stop_system
done

echo
echo "# medians over $REPS repetitions (load average at end: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$RESULTS" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[0], f[1], f[2])
    kv = dict(x.split("=", 1) for x in f[4:] if "=" in x)
    rows.setdefault(key, []).append(kv)
def med(runs, k, scale=1.0, fmt="{:.2f}"):
    vals = [float(r[k]) for r in runs if r.get(k) not in (None, "NA", "-")]
    return fmt.format(statistics.median(vals) * scale) if vals else "-"
print("| system | event | victim | stall after fault s | stall after recovery s | p99 / max ms, fault | p99 / max ms, recovery | client errors | victim up / ready after restart s | before the fault: p99 ms, longest gap s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (sysname, event, role), runs in rows.items():
    ev = "kill -9, restart" if event == "kill" else "SIGSTOP, SIGCONT"
    errors = sum(int(r.get("errors", 0)) for r in runs)
    ready = (med(runs, "up_ms", 0.001) + " / " + med(runs, "ready_ms", 0.001)) if event == "kill" else "-"
    print(f"| {sysname} | {ev} | {role} | {med(runs, 'stall_fault_ms', 0.001)} | {med(runs, 'stall_recover_ms', 0.001)} "
          f"| {med(runs, 'p99_fault_ms', fmt='{:.0f}')} / {med(runs, 'max_fault_ms', fmt='{:.0f}')} "
          f"| {med(runs, 'p99_recover_ms', fmt='{:.0f}')} / {med(runs, 'max_recover_ms', fmt='{:.0f}')} "
          f"| {errors} | {ready} | {med(runs, 'p99_base_ms', fmt='{:.0f}')}, {med(runs, 'stall_base_ms', 0.001)} |")
PY
