#!/usr/bin/env bash
# The simulator's throughput counters (docs/PROTOCOL.md §8): simulated commits per second and
# write latency percentiles (simulated ms) of a calm cluster, clients on one node or spread, at
# 1/8/32/128 closed-loop clients. Protocol round trips and batching only — no CPU, no real disk.
#   bench/sim-throughput.sh [seeds=3] [voters=3]
exec "$(dirname "$0")/sim-tool.sh" SimThroughput "${1:-3}" "${2:-3}"
