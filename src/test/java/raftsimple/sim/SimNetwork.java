package raftsimple.sim;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import raftsimple.core.msg.Message;

/**
 * The wire between simulated nodes. Fault model: every message is independently delayed (a random
 * delay, or now and then a slow path of up to two head timeouts, which reorders freely), lost, or
 * duplicated (each copy with its own delay). Links can be cut by a partition: a random split into
 * two sides, one node isolated, or a random set of one-way links (asymmetric). A message is dropped
 * if its link is cut when it is sent or when it would arrive, or if its receiver is down then.
 * Messages are never corrupted: the transports authenticate peers and frame messages.
 *
 * <p>In some seeds links have their own latency ({@code linkLatency}): every directed link gets a
 * base delay, re-drawn at each partition change; now and then one node's outgoing links are
 * clogged (slow, not cut; TigerBeetle's path clogging), and now and then one node is flaky (its
 * outgoing links lose 70% of messages). Systematic asymmetry is what lets one
 * message reliably overtake another on a different path, which is what ordering races need.
 */
final class SimNetwork {
  private final SplittableRandom random;
  private final SwarmOptions options;
  private final EventQueue events;
  private final boolean[][] cut;
  /** Base one-way delay of each directed link, when link latency is on. */
  private final long[][] linkDelay;
  /** The node whose outgoing links are flaky (lose most messages), or -1. */
  private int flaky = -1;
  private boolean faulty = true;
  private String partition = "healed";
  /** Rewrites messages as they leave; the identity except in PlantedBugTest. */
  private UnaryOperator<Message> tamper = UnaryOperator.identity();
  private Consumer<Message> deliver;
  long sent;
  long dropped;

  SimNetwork(SplittableRandom random, SwarmOptions options, EventQueue events) {
    this.random = random;
    this.options = options;
    this.events = events;
    this.cut = new boolean[options.idCount()][options.idCount()];
    this.linkDelay = new long[options.idCount()][options.idCount()];
    drawLinkDelays();
  }

  private void drawLinkDelays() {
    if (!options.linkLatency) {
      return;
    }
    int n = options.idCount();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        linkDelay[i][j] = random.nextLong(options.delayMaxMs - options.delayMinMs + 1);
      }
    }
    if (random.nextInt(3) == 0) {
      int clogged = random.nextInt(n);
      for (int j = 0; j < n; j++) {
        linkDelay[clogged][j] += random.nextLong(options.slowMaxMs + 1);
      }
    }
    flaky = random.nextInt(3) == 0 ? random.nextInt(n) : -1;
  }

  /** The loss rate of the link {@code m} travels on: a flaky node loses most of what it sends. */
  private double lossRate(Message m) {
    return index(m.from()) == flaky ? Math.max(options.lossRate, 0.7) : options.lossRate;
  }

  void onDeliver(Consumer<Message> deliver) {
    this.deliver = deliver;
  }

  void tamper(UnaryOperator<Message> tamper) {
    this.tamper = tamper;
  }

  static int index(String nodeId) {
    return Integer.parseInt(nodeId.substring(1)) - 1;
  }

  void send(Message original) {
    Message m = tamper.apply(original);
    sent++;
    if (isCut(m) || (faulty && random.nextDouble() < lossRate(m))) {
      dropped++;
      return;
    }
    schedule(m);
    if (faulty && random.nextDouble() < options.dupRate) {
      schedule(m);
    }
  }

  private void schedule(Message m) {
    long spread = options.delayMaxMs - options.delayMinMs;
    long delay = options.linkLatency
        ? options.delayMinMs + linkDelay[index(m.from())][index(m.to())] + random.nextLong(spread / 4 + 1)
        : options.delayMinMs + random.nextLong(spread + 1);
    if (faulty && random.nextDouble() < options.slowRate) {
      delay = options.delayMinMs + random.nextLong(options.slowMaxMs - options.delayMinMs + 1);
    }
    events.after(delay, () -> {
      if (isCut(m)) {
        dropped++;
      } else {
        deliver.accept(m);
      }
    });
  }

  private boolean isCut(Message m) {
    return cut[index(m.from())][index(m.to())];
  }

  /**
   * One leg of a snapshot transfer (the shells' SnapshotRead/SnapshotData exchange, several
   * messages folded into one): -1 when it fails (the link is cut, or a message of it is lost),
   * else how long it takes: a few message delays.
   */
  long transferLegMs(String from, String to) {
    if (cut[index(from)][index(to)] || (faulty && random.nextDouble() < options.lossRate)) {
      return -1;
    }
    long spread = options.delayMaxMs - options.delayMinMs;
    return options.delayMinMs * 2 + random.nextLong(2 * spread + 1);
  }

  /** Replaces the partition by a new random one (or heals); returns a description for the trace. */
  String repartition() {
    heal();
    drawLinkDelays();
    int n = options.idCount();
    int kind = random.nextInt(4);
    if (kind == 0) {
      return partition;
    } else if (kind == 1) {
      int alone = random.nextInt(n);
      for (int i = 0; i < n; i++) {
        cut[alone][i] = i != alone;
        cut[i][alone] = i != alone;
      }
      partition = "isolate n" + (alone + 1);
    } else if (kind == 2) {
      boolean[] side = new boolean[n];
      StringBuilder b = new StringBuilder("split {");
      for (int i = 0; i < n; i++) {
        side[i] = random.nextBoolean();
        b.append(side[i] ? " n" + (i + 1) : "");
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          cut[i][j] = side[i] != side[j];
        }
      }
      partition = b.append(" } | rest").toString();
    } else {
      StringBuilder b = new StringBuilder("one-way cuts");
      int links = 1 + random.nextInt(n * (n - 1) / 2 + 1);
      for (int k = 0; k < links; k++) {
        int i = random.nextInt(n);
        int j = random.nextInt(n);
        if (i != j && !cut[i][j]) {
          cut[i][j] = true;
          b.append(" n").append(i + 1).append(">n").append(j + 1);
        }
      }
      partition = b.toString();
    }
    return partition;
  }

  /** Cuts node {@code alone} (an index) off from everyone, on top of the current partition. */
  String isolate(int alone) {
    for (int i = 0; i < cut.length; i++) {
      cut[alone][i] = i != alone;
      cut[i][alone] = i != alone;
    }
    partition = "isolate n" + (alone + 1);
    return partition;
  }

  void heal() {
    for (boolean[] row : cut) {
      java.util.Arrays.fill(row, false);
    }
    partition = "healed";
  }

  /** Liveness mode: heal, and stop losing, duplicating and slowing messages. */
  void stopFaults() {
    heal();
    faulty = false;
    if (options.linkLatency) {
      // Keep per-link latency (it is not a fault) but unclog: bounded delays for the liveness phase.
      for (long[] row : linkDelay) {
        for (int j = 0; j < row.length; j++) {
          row[j] = Math.min(row[j], options.delayMaxMs - options.delayMinMs);
        }
      }
    }
  }

  String partition() {
    return partition;
  }

  /** True when messages flow both ways between nodes {@code i} and {@code j} (indexes). */
  boolean linked(int i, int j) {
    return !cut[i][j] && !cut[j][i];
  }
}
