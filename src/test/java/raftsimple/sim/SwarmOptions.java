package raftsimple.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import raftsimple.core.NodeSettings;

/**
 * Everything one simulation run varies, drawn from its seed (TigerBeetle {@code options_swarm}):
 * each seed explores a different mix of cluster size, timeouts, batch limits, network faults, disk
 * latency, crashes, clock skew and client load, so that rare combinations get their turn.
 *
 * <p>Fields are mutable only so that a test can bias a draw (for example PlantedBugTest turns
 * crashes up); {@link Simulation} never changes them once the run has started. Times are
 * simulated milliseconds.
 */
final class SwarmOptions {
  // Cluster and core settings.
  int voters;
  long headTimeoutMs;
  long retransmitMs;
  long heartbeatMs;
  long readTimeoutMs;
  int batchEntriesMax;
  int batchBytesMax;
  int pendingEntriesMax;
  int catchUpEntriesMax;
  /** The shell ticks each node at a random interval in [tickMinMs, tickMaxMs]. */
  long tickMinMs;
  long tickMaxMs;

  // Network.
  double lossRate;
  double dupRate;
  long delayMinMs;
  long delayMaxMs;
  /** A fraction of messages takes a slow path of up to {@code slowMaxMs} (heavy reordering). */
  double slowRate;
  long slowMaxMs;
  /** Each directed link has its own base delay, and one node's links are sometimes clogged. */
  boolean linkLatency;
  /** Mean time between partition changes; 0: the network never partitions. */
  long partitionEveryMs;
  /** How long a partition lasts at most before the next change heals or replaces it. */
  long partitionForMaxMs;

  // Disk and crashes.
  long fsyncMinMs;
  long fsyncMaxMs;
  /** Mean time between random crashes; 0: no random crashes. */
  long crashEveryMs;
  long downMaxMs;
  /** Chance that a step which wrote records is followed at once by a crash (before its fsync). */
  double crashAfterPersistRate;

  // Clocks (H8).
  long wallSkewMaxMs;
  long driftPpmMax;
  /** Mean time between backward steps of some node's wall clock; 0: wall clocks never step back. */
  long wallStepBackEveryMs;

  // Clients.
  int clients;
  long thinkMeanMs;
  int pipelineMax;
  long clientTimeoutMs;
  int retriesMax;
  /** Chance that a client action is a linearizable read barrier instead of a submit. */
  double readRate;

  // Phases.
  long faultPhaseMs;
  /** Liveness fails when nothing progresses for this long once faults stop. */
  long livenessStallMs;
  /** ... or when the cluster has not settled this long after faults stopped. */
  long livenessMaxMs;

  static SwarmOptions draw(SplittableRandom r) {
    SwarmOptions o = new SwarmOptions();
    int c = r.nextInt(100);
    o.voters = c < 45 ? 3 : c < 85 ? 5 : 7;
    o.headTimeoutMs = pick(r, 100, 250, 500, 1_000, 1_500, 3_000);
    o.retransmitMs = Math.max(10, o.headTimeoutMs / (2 + r.nextInt(9)));
    o.heartbeatMs = pick(r, 50, 100, 200, 500);
    o.readTimeoutMs = Math.max(1_000, o.headTimeoutMs * 2);
    o.batchEntriesMax = r.nextInt(10) < 3 ? 1 + r.nextInt(3) : pick(r, 8, 64, 2_048);
    o.batchBytesMax = r.nextInt(10) == 0 ? 200 : 4 << 20;
    o.pendingEntriesMax = r.nextInt(10) == 0 ? 4 : 50_000;
    o.catchUpEntriesMax = r.nextInt(10) < 3 ? 1 + r.nextInt(3) : 4_096;
    o.tickMinMs = 1 + r.nextInt(10);
    o.tickMaxMs = o.tickMinMs + r.nextInt(40);
    drawNetwork(o, r);
    drawFaults(o, r);
    drawClients(o, r);
    o.faultPhaseMs = 2_000 + r.nextInt(10_000);
    o.livenessStallMs = Math.max(30_000, 40 * o.headTimeoutMs);
    o.livenessMaxMs = 600_000;
    return o;
  }

  private static void drawNetwork(SwarmOptions o, SplittableRandom r) {
    o.lossRate = r.nextInt(4) == 0 ? 0 : r.nextDouble(0.30);
    o.dupRate = r.nextInt(3) == 0 ? 0 : r.nextDouble(0.10);
    o.delayMinMs = r.nextInt(5);
    o.delayMaxMs = o.delayMinMs + pick(r, 1, 5, 20, 100);
    o.slowRate = r.nextInt(3) == 0 ? 0 : r.nextDouble(0.05);
    o.slowMaxMs = o.delayMaxMs + r.nextLong(2 * o.headTimeoutMs + 1);
    o.linkLatency = r.nextBoolean();
    o.partitionEveryMs = r.nextInt(3) == 0 ? 0 : pick(r, 300, 1_000, 3_000);
    o.partitionForMaxMs = pick(r, 200, 1_000, 4_000);
  }

  private static void drawFaults(SwarmOptions o, SplittableRandom r) {
    o.fsyncMinMs = r.nextInt(3);
    o.fsyncMaxMs = o.fsyncMinMs + pick(r, 0, 2, 10, 40);
    o.crashEveryMs = r.nextInt(4) == 0 ? 0 : pick(r, 300, 1_000, 3_000);
    o.downMaxMs = pick(r, 10, 100, 500, 3_000);
    // A third of the seeds never crash right after a write, a third rarely, a third often: the
    // durability-order hazards (H2) live in the window between a write and its fsync.
    int crashy = r.nextInt(3);
    o.crashAfterPersistRate = crashy == 0 ? 0 : r.nextDouble(crashy == 1 ? 0.02 : 0.10);
    o.wallSkewMaxMs = pick(r, 0, 1_000, 3_600_000, 6 * 3_600_000);
    o.driftPpmMax = pick(r, 0, 100, 20_000);
    o.wallStepBackEveryMs = r.nextInt(2) == 0 ? 0 : pick(r, 500, 3_000);
  }

  private static void drawClients(SwarmOptions o, SplittableRandom r) {
    o.clients = 1 + r.nextInt(12);
    o.thinkMeanMs = pick(r, 1, 10, 50, 200, 1_000);
    o.pipelineMax = 1 + r.nextInt(4);
    o.clientTimeoutMs = Math.max(200, o.headTimeoutMs * (2 + r.nextInt(8)));
    o.retriesMax = r.nextInt(4);
    o.readRate = r.nextInt(3) == 0 ? 0 : r.nextDouble(0.3);
  }

  private static long pick(SplittableRandom r, long... choices) {
    return choices[r.nextInt(choices.length)];
  }

  private static int pick(SplittableRandom r, int... choices) {
    return choices[r.nextInt(choices.length)];
  }

  List<String> nodeIds() {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= voters; i++) {
      ids.add("n" + i);
    }
    return ids;
  }

  NodeSettings settings(String nodeId) {
    return new NodeSettings(nodeId, nodeIds(), false, headTimeoutMs, retransmitMs, heartbeatMs,
        readTimeoutMs, batchEntriesMax, batchBytesMax, pendingEntriesMax, catchUpEntriesMax);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "voters=%d headTimeoutMs=%d retransmitMs=%d heartbeatMs=%d batchEntriesMax=%d batchBytesMax=%d"
            + " pendingEntriesMax=%d catchUpEntriesMax=%d tickMs=[%d,%d]\n"
            + "  network: loss=%.3f dup=%.3f delayMs=[%d,%d] slow=%.3f slowMaxMs=%d linkLatency=%b"
            + " partitionEveryMs=%d partitionForMaxMs=%d\n"
            + "  disk: fsyncMs=[%d,%d] crashEveryMs=%d downMaxMs=%d crashAfterPersist=%.4f\n"
            + "  clocks: wallSkewMaxMs=%d driftPpmMax=%d wallStepBackEveryMs=%d\n"
            + "  clients: %d thinkMeanMs=%d pipeline=%d timeoutMs=%d retries=%d readRate=%.3f\n"
            + "  phases: faultPhaseMs=%d livenessStallMs=%d livenessMaxMs=%d",
        voters, headTimeoutMs, retransmitMs, heartbeatMs, batchEntriesMax, batchBytesMax,
        pendingEntriesMax, catchUpEntriesMax, tickMinMs, tickMaxMs,
        lossRate, dupRate, delayMinMs, delayMaxMs, slowRate, slowMaxMs, linkLatency, partitionEveryMs,
        partitionForMaxMs, fsyncMinMs, fsyncMaxMs, crashEveryMs, downMaxMs, crashAfterPersistRate,
        wallSkewMaxMs, driftPpmMax, wallStepBackEveryMs, clients, thinkMeanMs, pipelineMax,
        clientTimeoutMs, retriesMax, readRate, faultPhaseMs, livenessStallMs, livenessMaxMs);
  }
}
