#!/usr/bin/env bash
# How often the simulator catches each planted bug (sim/PlantedBugs): seeds first..first+n-1 with
# the default swarm and with the bug's bias.
#   bench/planted-survey.sh <seeds> [first-seed] [BUG ...]
#   JAVA_OPTS=-Dsurvey.biasedOnly=true bench/planted-survey.sh 200      # biased swarms only
#   JAVA_OPTS=-Dsurvey.control=true  bench/planted-survey.sh 200        # the biases, no bug: all pass
exec "$(dirname "$0")/sim-tool.sh" PlantedSurvey "$@"
