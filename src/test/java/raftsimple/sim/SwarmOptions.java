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
  /**
   * Chance that a crash comes with a second fault: another random node is cut off for up to
   * {@code partitionForMaxMs} (a switch or rack failing with the machine: correlated faults).
   */
  double correlatedIsolateRate;
  long downMaxMs;
  /** Chance that a step which wrote records is followed at once by a crash (before its fsync). */
  double crashAfterPersistRate;
  /**
   * Chance that a step which sent a proposal or a commit while records were still unsynced is
   * followed at once by a crash: the worst moment for the fast path's early sends (§5.5).
   */
  double crashAfterRevealRate;

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
  /**
   * Clients send only to nodes that are up (a client that fails over to another endpoint, as the
   * failover benchmark's clients write to the survivors); off in the swarms.
   */
  boolean clientsAvoidDown;
  /** Every client sends to n1 only (the benchmarks' "one" mode); off in the swarms. */
  boolean clientsOnFirstNodeOnly;

  // Membership and snapshots (docs/SIMULATION.md; all off in the classic swarm).
  /** The membership swarm: founding read-only members, joins, removals, promotions, snapshots. */
  boolean membership;
  /** Founding members that are read-only (ids after the voters'). */
  int readOnlyAtStart;
  /** Node ids n1..n{idsMax} exist: the founding members first, then one fresh id per joiner. */
  int idsMax;
  /** The operator keeps at most this many members (voters, learners, read-only) at once. */
  int membersMax;
  /** Mean time between the operator's membership changes; 0: none. */
  long membershipEveryMs;
  /** Chance that a removed node's process is stopped for good once its removal committed. */
  double decommissionRate;
  /** A node snapshots after this many applied entries (at an instance boundary); 0: never. */
  int snapshotEveryEntries;
  int snapshotRetainEntries;
  /** Writing a snapshot file durably takes a random time in [min, max]. */
  long snapshotWriteMinMs;
  long snapshotWriteMaxMs;
  /** Also drop the WAL records a durable snapshot covers (optional: correctness must not need it). */
  boolean compactWal;

  // Failure detection (docs/PROTOCOL.md §15): the transports' peer-down/up reports.
  /** The shells report crashed, restarted and cut-off peers ({@code PeerDown}/{@code PeerUp}). */
  boolean peerEvents;
  /** A report reaches a node up to this long after the fault (or the healing). */
  long detectMaxMs;
  /** Mean time between false suspicions (a live peer reported down, then up); 0: none. */
  long falseSuspicionEveryMs;

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
    drawDetection(o, r);
    return o;
  }

  /** Drawn last, so that the seeds of older swarms keep every other option. */
  private static void drawDetection(SwarmOptions o, SplittableRandom r) {
    o.peerEvents = r.nextInt(4) != 0;
    o.detectMaxMs = pick(r, 1, 20, 200);
    o.falseSuspicionEveryMs = r.nextInt(3) == 0 ? 0 : pick(r, 200, 1_000, 3_000);
    o.crashAfterRevealRate = r.nextBoolean() ? 0 : r.nextDouble(0.05);
    o.correlatedIsolateRate = r.nextBoolean() ? 0 : r.nextDouble(0.5);
  }

  /**
   * The membership swarm: a classic draw (so every fault above stays in play), then a founding
   * cluster of 1–5 voters plus 0–2 read-only members, an operator changing membership concurrently
   * with writes and faults (cluster sizes 1–7 over time), and snapshots every few entries. Drawn
   * after {@link #draw} so that the classic swarm's seeds keep their options.
   */
  static SwarmOptions drawMembership(SplittableRandom r) {
    SwarmOptions o = draw(r);
    o.membership = true;
    int c = r.nextInt(100);
    o.voters = c < 10 ? 1 : c < 20 ? 2 : c < 60 ? 3 : c < 75 ? 4 : 5;
    o.readOnlyAtStart = r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 0;
    o.membersMax = Math.max(o.voters + o.readOnlyAtStart, 3 + r.nextInt(5));
    o.idsMax = Math.min(12, o.voters + o.readOnlyAtStart + 2 + r.nextInt(6));
    o.membershipEveryMs = pick(r, 150, 400, 1_000, 2_500);
    o.decommissionRate = r.nextDouble();
    o.snapshotEveryEntries = r.nextInt(8) == 0 ? 0 : pick(r, 3, 8, 20, 60);
    o.snapshotRetainEntries = pick(r, 0, 0, 2, 10, 50);
    o.snapshotWriteMinMs = r.nextInt(5);
    o.snapshotWriteMaxMs = o.snapshotWriteMinMs + pick(r, 0, 5, 30, 200);
    o.compactWal = r.nextBoolean();
    o.livenessStallMs = Math.max(o.livenessStallMs, 60_000);
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

  /** How many node ids exist (and size the network and clocks): the voters in the classic swarm. */
  /**
   * Makes these options a calm cluster of {@code voters}: no loss, duplication, partitions, crashes
   * or clock steps; near-instant links and disks; large batches; no reads, one request in flight
   * per client. What the throughput and failover measurements start from.
   */
  void calm(int voters) {
    this.voters = voters;
    headTimeoutMs = 1_500;
    retransmitMs = 300;
    heartbeatMs = 200;
    batchEntriesMax = 2_048;
    batchBytesMax = 4 << 20;
    tickMinMs = 0;
    tickMaxMs = 1;
    lossRate = 0;
    dupRate = 0;
    delayMinMs = 0;
    delayMaxMs = 1;
    slowRate = 0;
    linkLatency = false;
    partitionEveryMs = 0;
    fsyncMinMs = 0;
    fsyncMaxMs = 2;
    crashEveryMs = 0;
    crashAfterPersistRate = 0;
    crashAfterRevealRate = 0;
    correlatedIsolateRate = 0;
    falseSuspicionEveryMs = 0;
    wallStepBackEveryMs = 0;
    pipelineMax = 1;
    readRate = 0;
  }

  int idCount() {
    return membership ? Math.max(idsMax, voters + readOnlyAtStart) : voters;
  }

  /** The founding voters' ids: n1..n{voters}. */
  List<String> nodeIds() {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= voters; i++) {
      ids.add("n" + i);
    }
    return ids;
  }

  /** Every founding member's id: the voters, then the read-only members. */
  List<String> foundingIds() {
    List<String> ids = nodeIds();
    for (int i = voters + 1; i <= voters + readOnlyAtStart; i++) {
      ids.add("n" + i);
    }
    return ids;
  }

  /**
   * A node's core settings. Only a founding voter is "writable" in its settings; read-only members
   * and joiners are not (their role comes from the configuration record, not from the settings).
   */
  NodeSettings settings(String nodeId) {
    boolean voter = nodeIds().contains(nodeId);
    return new NodeSettings(nodeId, nodeIds(), !voter, headTimeoutMs, retransmitMs, heartbeatMs,
        readTimeoutMs, batchEntriesMax, batchBytesMax, pendingEntriesMax, catchUpEntriesMax);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "voters=%d headTimeoutMs=%d retransmitMs=%d heartbeatMs=%d batchEntriesMax=%d batchBytesMax=%d"
            + " pendingEntriesMax=%d catchUpEntriesMax=%d tickMs=[%d,%d]\n"
            + "  network: loss=%.3f dup=%.3f delayMs=[%d,%d] slow=%.3f slowMaxMs=%d linkLatency=%b"
            + " partitionEveryMs=%d partitionForMaxMs=%d\n"
            + "  disk: fsyncMs=[%d,%d] crashEveryMs=%d downMaxMs=%d crashAfterPersist=%.4f"
            + " crashAfterReveal=%.4f correlatedIsolate=%.3f\n"
            + "  clocks: wallSkewMaxMs=%d driftPpmMax=%d wallStepBackEveryMs=%d\n"
            + "  clients: %d thinkMeanMs=%d pipeline=%d timeoutMs=%d retries=%d readRate=%.3f\n"
            + "  detection: peerEvents=%b detectMaxMs=%d falseSuspicionEveryMs=%d\n"
            + "  phases: faultPhaseMs=%d livenessStallMs=%d livenessMaxMs=%d"
            + (membership ? "\n  membership: readOnlyAtStart=%d idsMax=%d membersMax=%d everyMs=%d"
                + " decommission=%.2f snapshotEvery=%d retain=%d snapshotWriteMs=[%d,%d] compactWal=%b"
                : ""),
        voters, headTimeoutMs, retransmitMs, heartbeatMs, batchEntriesMax, batchBytesMax,
        pendingEntriesMax, catchUpEntriesMax, tickMinMs, tickMaxMs,
        lossRate, dupRate, delayMinMs, delayMaxMs, slowRate, slowMaxMs, linkLatency, partitionEveryMs,
        partitionForMaxMs, fsyncMinMs, fsyncMaxMs, crashEveryMs, downMaxMs, crashAfterPersistRate,
        crashAfterRevealRate, correlatedIsolateRate,
        wallSkewMaxMs, driftPpmMax, wallStepBackEveryMs, clients, thinkMeanMs, pipelineMax,
        clientTimeoutMs, retriesMax, readRate, peerEvents, detectMaxMs, falseSuspicionEveryMs,
        faultPhaseMs, livenessStallMs, livenessMaxMs,
        readOnlyAtStart, idsMax, membersMax, membershipEveryMs, decommissionRate,
        snapshotEveryEntries, snapshotRetainEntries, snapshotWriteMinMs, snapshotWriteMaxMs,
        compactWal);
  }
}
