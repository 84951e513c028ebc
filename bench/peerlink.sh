#!/usr/bin/env bash
# Candidate peer links on loopback (src/test/java/raftsimple/bench/PeerLinkBench.java): the old
# POST per batch, a WebSocket, an HTTP/2 stream and an HTTP/1.1 chunked stream, carrying the same
# wire envelopes between two nodes in one JVM. Prints round-trip latency, throughput and CPU per
# message. Options are system properties:
#
#   bench/peerlink.sh                                   # all candidates, TLS on, 3 repeats
#   bench/peerlink.sh -Dcandidates=post,ws -Dtls=false  # some candidates, plain
#   bench/peerlink.sh -Dworkload=vote -Dburst=1 -Dmessages=100000 -Drepeats=5
set -euo pipefail

cd "$(dirname "$0")/.."

mvn -B -q -o -DskipTests test-compile

cp_file=target/jmh-classpath.txt
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null

exec java -Xms512m -Xmx512m "$@" -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  raftsimple.bench.PeerLinkBench
