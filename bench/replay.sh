#!/usr/bin/env bash
# How long a restarted node takes to rebuild itself from its write-ahead log, phase by phase
# (src/test/java/raftsimple/bench/ReplayBench.java): read and decode the WAL, fold and verify the
# chain, build the core, re-apply the log to the KV state machine.
#   bench/replay.sh --entries 100000            # generate a voter-like WAL of 100k entries, time it
#   bench/replay.sh --entries 1000000 --runs 2
#   bench/replay.sh --wal <data dir>/wal        # an existing node's WAL
# A node's time to /ready after a restart on a large WAL is in bench/failover.sh (PRELOAD).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cp_file=target/sim-tool.classpath
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options, split on purpose
exec java ${JAVA_OPTS:--Xms1g -Xmx2g} -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  raftsimple.bench.ReplayBench "$@"
