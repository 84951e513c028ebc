#!/usr/bin/env bash
# Runs one of the simulator's tools (src/test/java/raftsimple/sim) on the test classpath:
#   bench/sim-tool.sh <MainClass> [args...]
# Used by bench/sim-throughput.sh and bench/planted-survey.sh; JAVA_OPTS passes -D options.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cp_file=target/sim-tool.classpath
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options, split on purpose
exec java ${JAVA_OPTS:-} -cp "target/test-classes:target/classes:$(cat "$cp_file")" "raftsimple.sim.$1" "${@:2}"
