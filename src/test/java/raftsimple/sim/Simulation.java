package raftsimple.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import raftsimple.chain.LogEntry;
import raftsimple.core.Node;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * One seeded run of a simulated cluster (TigerBeetle's VOPR, docs/SIMULATION.md): the seed draws
 * {@link SwarmOptions}, then drives N {@link Node}s through a fault phase (lossy, duplicating,
 * reordering, partitioned network; crashes that lose unsynced records; skewed, stepping clocks;
 * clients on every node) with {@link Checkers} after every step, then a liveness phase (heal
 * everything, restart every node, stop clients) in which every request must resolve and every node
 * reach the same head within a bounded simulated time.
 *
 * <p>Everything random comes from one {@link SplittableRandom} per seed and every collection
 * iterates deterministically (STYLE rule 9), so a seed replays bit for bit.
 */
final class Simulation implements SimNode.Sink, SimClients.Host {
  private static final long PROBE_MS = 50;

  final long seed;
  final SwarmOptions options;
  private final Sabotage sabotage;
  private final SplittableRandom random;
  private final EventQueue events = new EventQueue();
  private final SimClock clock;
  private final SimNetwork network;
  private final List<SimNode> nodes = new ArrayList<>();
  private final SimClients clients;
  private final Checkers checkers;
  private final Trace trace;
  private final Map<String, Long> marks = new TreeMap<>();
  private boolean liveness;
  private long stableSinceMs = -1;
  private long stableLength = -1;
  private long crashes;
  private long steps;

  Simulation(long seed, Sabotage sabotage, Consumer<SwarmOptions> tweak, int traceLines, boolean echo) {
    this.seed = seed;
    this.sabotage = sabotage;
    this.random = new SplittableRandom(seed);
    this.options = SwarmOptions.draw(random);
    tweak.accept(options);
    this.clock = new SimClock(random, options);
    this.network = new SimNetwork(random, options, events);
    this.trace = new Trace(traceLines, echo);
    for (String id : options.nodeIds()) {
      SimNode n = new SimNode(id, options, events, random, sabotage);
      n.sink(this);
      n.onCrashAfterPersist(() -> crash(n));
      nodes.add(n);
    }
    this.checkers = new Checkers(nodes);
    this.clients = new SimClients(random, options, events, nodes, this);
    network.onDeliver(this::deliver);
    if (sabotage == Sabotage.DOUBLE_VOTE) {
      network.tamper(Simulation::doubleVote);
    }
  }

  /** The planted H1 bug: voter n1's refusals leave as grants, so it votes for two proposals. */
  private static Message doubleVote(Message m) {
    if (m instanceof Message.Vote v && !v.granted() && v.from().equals("n1") && v.votedFor() != null) {
      return new Message.Vote(v.from(), v.to(), v.length(), v.head(), v.proposalId(), true, null, null);
    }
    return m;
  }

  /** Runs the whole simulation; never throws for a protocol failure, which is in the verdict. */
  Verdict run() {
    SimFailure failure = null;
    try {
      startCluster();
      runUntil(options.faultPhaseMs);
      enterLiveness();
      runLiveness();
      checkers.atEnd();
    } catch (SimFailure f) {
      failure = f;
    } catch (RuntimeException e) {
      // A bug in the simulator itself: still report the seed, options and trace.
      failure = new SimFailure("simulator", e.toString());
      failure.initCause(e);
    }
    collectMarks();
    return new Verdict(seed, options, sabotage, failure, trace.last(200), stats(), marks);
  }

  // ---------------------------------------------------------------- phases

  private void startCluster() {
    for (SimNode n : nodes) {
      boot(n);
    }
    clients.start();
    recurring(options.partitionEveryMs, () -> trace("net", "partition", network.repartition()));
    recurring(options.crashEveryMs, this::randomCrash);
    recurring(options.wallStepBackEveryMs, () -> {
      SimNode n = nodes.get(random.nextInt(nodes.size()));
      trace(n.id, "wall-back", clock.stepBack(n.index) + "ms");
    });
  }

  /** Schedules {@code action} at exponential intervals of mean {@code meanMs} during the fault phase. */
  private void recurring(long meanMs, Runnable action) {
    if (meanMs <= 0) {
      return;
    }
    long delay = 1 + (long) (-Math.log(1 - random.nextDouble()) * meanMs);
    events.after(delay, () -> {
      if (!liveness) {
        action.run();
        recurring(meanMs, action);
      }
    });
  }

  private void runUntil(long untilMs) {
    while (events.runNext(untilMs)) {
      // Each event runs its own checks.
    }
  }

  private void enterLiveness() {
    liveness = true;
    trace("sim", "liveness", "heal, stop loss/dup, restart all, stop clients");
    network.stopFaults();
    clients.livenessMode();
    for (SimNode n : nodes) {
      if (!n.up()) {
        boot(n);
      }
    }
  }

  /**
   * Runs until {@link #settled}. Fails when nothing progresses (no entry committed, no queued entry
   * or client request resolved) for {@code livenessStallMs}, or after {@code livenessMaxMs} in all:
   * a backlog may take a while to drain, but it must keep draining.
   */
  private void runLiveness() {
    long start = events.nowMs();
    long lastProgressMs = start;
    long lastProgress = -1;
    while (true) {
      runUntil(events.nowMs() + PROBE_MS);
      if (settled()) {
        return;
      }
      long progress = progressCount();
      if (progress != lastProgress) {
        lastProgress = progress;
        lastProgressMs = events.nowMs();
      }
      if (events.nowMs() - lastProgressMs > options.livenessStallMs) {
        throw new SimFailure("liveness", "no progress for " + options.livenessStallMs
            + " ms in the liveness phase (started at t=" + start + "):" + stuckReport());
      }
      if (events.nowMs() - start > options.livenessMaxMs) {
        throw new SimFailure("liveness", "not settled " + options.livenessMaxMs
            + " ms after faults stopped:" + stuckReport());
      }
    }
  }

  /** Grows whenever something moves: entries committed anywhere, queues drained, clients answered. */
  private long progressCount() {
    long p = checkers.chainLength() * 1_000_003L - clients.waitingCount();
    for (SimNode n : nodes) {
      p = p * 31 + n.node().length() - n.node().queued();
    }
    return p;
  }

  /**
   * True once every node is up and quiet, has no queued entries, no client waits, all agree on
   * length and head, and this has held for long enough that any undecided instance left over (an
   * orphaned vote only recovery can finish) would have been finished by a head timeout.
   */
  private boolean settled() {
    boolean same = clients.waitingCount() == 0;
    Node first = nodes.get(0).node();
    for (SimNode n : nodes) {
      Node node = n.node();
      same &= n.quiet() && node.queued() == 0 && node.length() == first.length()
          && node.head().equals(first.head());
    }
    long now = events.nowMs();
    if (!same || first.length() != stableLength) {
      stableSinceMs = same ? now : -1;
      stableLength = same ? first.length() : -1;
      return false;
    }
    return now - stableSinceMs >= 3 * options.headTimeoutMs + 4 * options.retransmitMs + 500;
  }

  private String stuckReport() {
    StringBuilder b = new StringBuilder();
    for (SimNode n : nodes) {
      Node node = n.node();
      b.append("\n  ").append(n.id).append(" length=").append(node.length()).append(" head=")
          .append(node.head().shortHex()).append(" queued=").append(node.queued())
          .append(" quiet=").append(n.quiet()).append(" ready=").append(node.ready())
          .append("\n    marks=").append(node.marks().snapshot());
    }
    b.append("\n  clients waiting: ").append(clients.waitingCount()).append(clients.waitingSummary());
    return b.toString();
  }

  // ---------------------------------------------------------------- nodes

  private void boot(SimNode n) {
    clock.newIncarnation(n.index);
    try {
      n.start(random.nextLong());
    } catch (RuntimeException e) {
      SimFailure f = new SimFailure("restart", n.id + " could not rebuild from its disk: " + e);
      f.initCause(e);
      throw f;
    }
    trace(n.id, "start", "length=" + n.node().length() + " records=" + n.disk.issued());
    checkers.restarted(n);
    step(n, new Input.Tick(clock.monoMs(n.index, events.nowMs())));
    scheduleTick(n, n.incarnation);
  }

  private void scheduleTick(SimNode n, int incarnation) {
    long delay = options.tickMinMs + random.nextLong(options.tickMaxMs - options.tickMinMs + 1);
    events.after(delay, () -> {
      if (n.up() && n.incarnation == incarnation) {
        step(n, new Input.Tick(clock.monoMs(n.index, events.nowMs())));
        scheduleTick(n, incarnation);
      }
    });
  }

  private void randomCrash() {
    SimNode n = nodes.get(random.nextInt(nodes.size()));
    if (n.up()) {
      crash(n);
    }
  }

  private void crash(SimNode n) {
    if (liveness) {
      return;
    }
    crashes++;
    collect(n.node());
    int lost = n.crash();
    trace(n.id, "crash", "lost " + lost + " unsynced records");
    clients.crashed(n);
    long down = random.nextLong(options.downMaxMs + 1);
    events.after(down, () -> {
      if (!n.up()) {
        boot(n);
      }
    });
  }

  private void deliver(Message m) {
    SimNode to = nodes.get(SimNetwork.index(m.to()));
    if (to.up()) {
      step(to, new Input.Receive(m));
    }
  }

  /**
   * Steps one node and checks. The trace line comes after the step so it can show the step's
   * effects; ticks that did nothing are left out (they would fill the trace).
   */
  @Override
  public void step(SimNode n, Input in) {
    steps++;
    Effects fx;
    try {
      fx = n.step(in);
    } catch (SimFailure f) {
      trace.add(events.nowMs(), n.id, kind(in), in);
      throw f;
    } catch (RuntimeException e) {
      trace.add(events.nowMs(), n.id, kind(in), in);
      SimFailure f = new SimFailure("node-invariant", n.id + " threw " + e);
      f.initCause(e);
      throw f;
    }
    if (!(in instanceof Input.Tick) || !fx.isEmpty()) {
      trace.add(events.nowMs(), n.id, kind(in), in,
          Trace.effects(fx.persist.size(), fx.send.size(), fx.committed.size(), fx.client.size()));
    }
    checkers.check(n);
  }

  private static String kind(Input in) {
    if (in instanceof Input.Receive) {
      return "recv";
    } else if (in instanceof Input.Tick) {
      return "tick";
    } else if (in instanceof Input.Submit) {
      return "submit";
    }
    return "read";
  }

  // ---------------------------------------------------------------- the shell's sink

  @Override
  public void send(SimNode from, Message m) {
    network.send(m);
  }

  @Override
  public void committed(SimNode n, List<LogEntry> entries) {
    LogEntry first = entries.get(0);
    trace(n.id, "commit", "[" + first.index() + ".." + entries.get(entries.size() - 1).index()
        + "] " + first.hash().shortHex());
    clients.onCommitted(n, entries);
  }

  @Override
  public void client(SimNode n, ClientEvent e) {
    trace.add(events.nowMs(), n.id, "client", e);
    clients.onClientEvent(n, e);
  }

  @Override
  public void changed(SimNode n) {
    checkers.check(n);
  }

  @Override
  public Checkers checkers() {
    return checkers;
  }

  @Override
  public long wallMs(SimNode n) {
    return clock.wallMs(n.index, events.nowMs());
  }

  // ---------------------------------------------------------------- reporting

  private void trace(String node, String kind, String detail) {
    trace.add(events.nowMs(), node, kind, detail);
  }

  private void collect(Node node) {
    if (node != null) {
      node.marks().snapshot().forEach((k, v) -> marks.merge(k, v, Long::sum));
    }
  }

  private void collectMarks() {
    for (SimNode n : nodes) {
      collect(n.node());
    }
  }

  private Verdict.Stats stats() {
    return new Verdict.Stats(events.nowMs(), steps, checkers.chainLength(), clients.submits,
        checkers.ackCount(), checkers.reads, crashes, network.sent, network.dropped);
  }
}
