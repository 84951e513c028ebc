package raftsimple.sim;

import java.util.List;
import java.util.Map;

/**
 * The outcome of one seed: pass, or the violated invariant with what is needed to debug it (the
 * swarm options, the last trace lines, and the command that replays the seed exactly).
 */
record Verdict(
    long seed,
    SwarmOptions options,
    Sabotage sabotage,
    SimFailure failure,
    List<String> traceTail,
    Stats stats,
    Map<String, Long> marks) {

  record Stats(long simMs, long steps, long committed, long submits, long acks, long reads,
      long crashes, long messages, long dropped, long changes, long joins, long snapshots,
      long installs, long unknown) {
    @Override
    public String toString() {
      return "simMs=" + simMs + " steps=" + steps + " committed=" + committed + " submits=" + submits
          + " acks=" + acks + " reads=" + reads + " crashes=" + crashes + " messages=" + messages
          + " dropped=" + dropped + (changes + snapshots + installs == 0 ? "" : " changes=" + changes
          + " joins=" + joins + " snapshots=" + snapshots + " installs=" + installs
          + " unknownOutcomes=" + unknown);
    }
  }

  boolean ok() {
    return failure == null;
  }

  static String replayCommand(long seed, Swarm swarm) {
    return "mvn -q -o test -Dtest=SimulationTest -Dsim.swarm=" + swarm.property() + " -Dsim.seed="
        + seed;
  }

  Swarm swarm() {
    return options.membership ? Swarm.MEMBERSHIP : Swarm.CLASSIC;
  }

  /** The full failure report: seed, invariant, options, trace tail, replay command. */
  String report() {
    StringBuilder b = new StringBuilder();
    b.append("SIMULATION FAILED seed=").append(seed)
        .append(sabotage == Sabotage.NONE ? "" : " sabotage=" + sabotage).append('\n')
        .append("  ").append(failure.getMessage()).append('\n')
        .append("options:\n  ").append(options).append('\n')
        .append("stats: ").append(stats).append('\n')
        .append("last ").append(traceTail.size()).append(" trace lines:\n");
    for (String l : traceTail) {
      b.append("  ").append(l).append('\n');
    }
    b.append("replay: ").append(replayCommand(seed, swarm())).append('\n');
    return b.toString();
  }
}
