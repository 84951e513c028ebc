#!/usr/bin/env bash
# Verifies a node's whole hash chain through GET /log: recomputes every txid and hash
# (docs/PROTOCOL.md §2) and checks the last hash against the node's head. The same check as
# `deploy/raftsimplectl verify`.
#   deploy/verify-chain.sh https://127.0.0.1:6969 [ca.crt]
# Exit status: 0 verified; 1 broken (the first problem is printed); 2 usage error (e.g. the CA file
# does not exist); 3 the node cannot be reached (connection refused, or the TLS handshake failed:
# a node with TLS needs the CA file, or its data/tls/node.crt when self-signed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR=${JAR:-$ROOT/target/raftsimple.jar}
[ -f "$JAR" ] || { echo "verify-chain.sh: $JAR is missing; build it with: mvn -B -q package -DskipTests" >&2; exit 2; }
exec java -cp "$JAR" raftsimple.tools.VerifyChain "$@"
