#!/usr/bin/env bash
# Runs the JMH benchmarks in src/test/java/raftsimple/bench against the current sources.
#
#   bench/jmh.sh                        # every benchmark, short defaults
#   bench/jmh.sh WalAppendBench         # one benchmark (a JMH regexp)
#   bench/jmh.sh -f 3 -i 10 HashChain   # your -f/-wi/-i/-w/-r replace the defaults
#   bench/jmh.sh -h                     # JMH's own help
#
# Defaults are short (about 15 s per benchmark and parameter) because this is a sanity check on a
# shared machine, not a publication run. Add '-prof gc' for allocation rates. The WAL benchmark
# writes under target/ (override with -jvmArgsAppend -Draftsimple.bench.dir=/some/disk); it must be
# a real disk, since fsync on tmpfs costs nothing.
set -euo pipefail

cd "$(dirname "$0")/.."

mvn -B -q -DskipTests test-compile

cp_file=target/jmh-classpath.txt
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null

# JMH refuses a repeated option, so a default is added only when the caller did not give it.
declare -A defaults=([-f]=1 [-wi]=2 [-i]=3 [-w]=2s [-r]=3s)
for arg in "$@"; do
  case "$arg" in
    -f | -wi | -i | -w | -r) unset "defaults[$arg]" ;;
  esac
done
opts=()
for opt in "${!defaults[@]}"; do
  opts+=("$opt" "${defaults[$opt]}")
done

exec java -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  org.openjdk.jmh.Main "${opts[@]}" "$@"
