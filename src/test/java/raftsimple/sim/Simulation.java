package raftsimple.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * One seeded run of a simulated cluster (TigerBeetle's VOPR, docs/SIMULATION.md): the seed draws
 * {@link SwarmOptions}, then drives the {@link Node}s through a fault phase (lossy, duplicating,
 * reordering, partitioned network; crashes that lose unsynced records; skewed, stepping clocks;
 * clients on every node; in the membership swarm also joins, removals, promotions and snapshots)
 * with {@link Checkers} after every step, then a liveness phase (heal everything, restart every
 * node, stop clients and membership changes) in which every request must resolve and every member
 * reach the same head within a bounded simulated time.
 *
 * <p>Everything random comes from one {@link SplittableRandom} per seed and every collection
 * iterates deterministically (STYLE rule 9), so a seed replays bit for bit.
 */
final class Simulation implements SimNode.Sink, SimClients.Host, SimOperator.Host,
    SimFailureDetector.Host {
  private static final long PROBE_MS = 50;

  final long seed;
  final SwarmOptions options;
  private final Sabotage sabotage;
  private final SplittableRandom random;
  private final EventQueue events = new EventQueue();
  private final SimClock clock;
  private final SimNetwork network;
  /** Every node created so far (founding members first, then joiners), in creation order. */
  private final List<SimNode> nodes = new ArrayList<>();
  private final SimNode[] byIndex;
  private final Membership founding;
  private final SimClients clients;
  private final SimOperator operator;
  private final SnapshotTransfers transfers;
  private final SimFailureDetector detector;
  private final Checkers checkers;
  private final Trace trace;
  private final Map<String, Long> marks = new TreeMap<>();
  private boolean liveness;
  /** Simulated times at which the cluster's log first reached each new length (index → ms). */
  private final List<long[]> commitTimes = new ArrayList<>();
  private long longestCommitted;
  private long stableSinceMs = -1;
  private long stableLength = -1;
  private long crashes;
  private long steps;
  private long joins;
  private long snapshots;
  private long installs;

  /** A classic-swarm run (the signature the planted-bug and regression tests use). */
  Simulation(long seed, Sabotage sabotage, Consumer<SwarmOptions> tweak, int traceLines, boolean echo) {
    this(seed, Swarm.CLASSIC, sabotage, tweak, traceLines, echo);
  }

  Simulation(long seed, Swarm swarm, Sabotage sabotage, Consumer<SwarmOptions> tweak,
      int traceLines, boolean echo) {
    this.seed = seed;
    this.sabotage = sabotage;
    this.random = new SplittableRandom(seed);
    this.options = swarm.draw(random);
    tweak.accept(options);
    this.clock = new SimClock(random, options);
    this.network = new SimNetwork(random, options, events);
    this.trace = new Trace(traceLines, echo);
    this.byIndex = new SimNode[options.idCount()];
    this.founding = foundingMembership(options);
    this.checkers = new Checkers(options.idCount(), founding);
    for (String id : options.foundingIds()) {
      create(id, founding);
    }
    this.clients = new SimClients(random, options, events, nodes, this);
    this.operator = new SimOperator(random, options, events, this);
    this.transfers = new SnapshotTransfers(events, network, this::node, trace);
    this.detector = new SimFailureDetector(random, options, events, network, this);
    network.onDeliver(this::deliver);
    if (sabotage == Sabotage.DOUBLE_VOTE) {
      network.tamper(Simulation::doubleVote);
    }
  }

  /** Every founding member as the shells write it in their first configuration record. */
  private static Membership foundingMembership(SwarmOptions o) {
    List<Membership.Member> ms = new ArrayList<>();
    for (String id : o.foundingIds()) {
      ms.add(new Membership.Member(id, "sim://" + id, o.nodeIds().contains(id)
          ? Membership.Role.VOTER : Membership.Role.READ_ONLY));
    }
    return new Membership(0, ms);
  }

  private SimNode create(String id, Membership startConfig) {
    raftsimple.core.NodeSettings settings = options.settings(id);
    if (sabotage.planted != null) {
      settings = settings.withPlanted(sabotage.planted);
    }
    SimNode n = new SimNode(id, settings, startConfig, options, events, random, sabotage);
    n.sink(this);
    n.onCrashAfterPersist(() -> crash(n));
    nodes.add(n);
    byIndex[n.index] = n;
    return n;
  }

  /** The planted H1 bug: voter n1's refusals leave as grants, so it votes for two proposals. */
  private static Message doubleVote(Message m) {
    if (m instanceof Message.Vote v && !v.granted() && v.from().equals("n1") && v.votedFor() != null) {
      return new Message.Vote(v.from(), v.to(), v.length(), v.head(), v.proposalId(), true, null, null,
          false);
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
      checkers.atEnd(members());
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
    for (SimNode n : new ArrayList<>(nodes)) {
      boot(n);
    }
    clients.start();
    recurring(options.partitionEveryMs, () -> {
      trace("net", "partition", network.repartition());
      detector.repartitioned();
    });
    recurring(options.falseSuspicionEveryMs, detector::suspectSomeone);
    recurring(options.crashEveryMs, this::randomCrash);
    recurring(options.wallStepBackEveryMs, () -> {
      SimNode n = nodes.get(random.nextInt(nodes.size()));
      trace(n.id, "wall-back", clock.stepBack(n.index) + "ms");
    });
    if (options.membership) {
      recurring(options.membershipEveryMs, operator::act);
    }
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
    trace("sim", "liveness", "heal, stop loss/dup, restart all, stop clients and changes");
    network.stopFaults();
    detector.repartitioned();
    clients.livenessMode();
    operator.livenessMode();
    for (SimNode n : new ArrayList<>(nodes)) {
      if (!n.up() && !n.decommissioned) {
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
      livenessChores();
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

  /**
   * What the operator and clients do once faults stop: finish joins the committed log already made,
   * and give up on requests waiting at nodes that are no longer members (their outcome is unknown).
   */
  private void livenessChores() {
    if (!options.membership) {
      return;
    }
    Membership committed = checkers.membership.current();
    operator.finishJoins(committed);
    for (SimNode n : nodes) {
      if (committed.get(n.id) == null) {
        clients.abandonAt(n);
        operator.abandonAt(n);
      }
    }
  }

  /** Grows whenever something moves: entries committed anywhere, queues drained, clients answered. */
  private long progressCount() {
    long p = checkers.chainLength() * 1_000_003L - clients.waitingCount();
    for (SimNode n : nodes) {
      if (n.up()) {
        p = p * 31 + n.node().length() - n.node().queued();
      }
    }
    return p * 31 + nodes.size();
  }

  /** The nodes of the members of the committed configuration (null for one never started). */
  private List<SimNode> members() {
    List<SimNode> out = new ArrayList<>();
    for (String id : checkers.membership.current().members().keySet()) {
      out.add(node(id));
    }
    return out;
  }

  /**
   * True once every member of the committed configuration is up and quiet, has no queued entries,
   * no learner is left unpromoted, no client waits and no membership change is in flight, all
   * members agree on length and head, and this has held long enough that any undecided instance
   * left over (an orphaned vote only recovery can finish) would have been finished by a head timeout.
   */
  private boolean settled() {
    boolean same = clients.waitingCount() == 0 && operator.idle();
    List<SimNode> members = members();
    Node first = members.get(0) == null || !members.get(0).up() ? null : members.get(0).node();
    same &= first != null;
    for (SimNode n : members) {
      Node node = n == null ? null : n.node();
      same &= node != null && n.quiet() && node.queued() == 0 && first != null
          && node.length() == first.length() && node.head().equals(first.head());
    }
    for (Membership.Member m : checkers.membership.current().members().values()) {
      same &= m.role() != Membership.Role.LEARNER;
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
      if (node == null) {
        b.append("\n  ").append(n.id).append(n.decommissioned ? " decommissioned" : " down");
        continue;
      }
      b.append("\n  ").append(n.id).append(" length=").append(node.length()).append(" head=")
          .append(node.head().shortHex()).append(" base=").append(node.log().baseLength())
          .append(" queued=").append(node.queued()).append(" quiet=").append(n.quiet())
          .append(n.quiet() ? "" : " (" + n.quietReport() + ")")
          .append(" ready=").append(node.ready()).append(" ").append(node.membership())
          .append("\n    marks=").append(node.marks().snapshot());
    }
    b.append("\n  committed configuration: ").append(checkers.membership.current());
    b.append("\n  operator:").append(operator.pending());
    b.append("\n  clients waiting: ").append(clients.waitingCount()).append(clients.waitingSummary());
    return b.toString();
  }

  // ---------------------------------------------------------------- nodes

  private void boot(SimNode n) {
    if (n.decommissioned) {
      return;
    }
    clock.newIncarnation(n.index);
    try {
      n.start(random.nextLong());
    } catch (RuntimeException e) {
      SimFailure f = new SimFailure("restart", n.id + " could not rebuild from its disk: " + e);
      f.initCause(e);
      throw f;
    }
    trace(n.id, "start", "length=" + n.node().length() + " base=" + n.node().log().baseLength()
        + " records=" + n.disk.issued() + " " + n.node().membership());
    checkers.restarted(n);
    step(n, new Input.Tick(clock.monoMs(n.index, events.nowMs())));
    detector.started(n);
  }

  /**
   * Ticks {@code n} at its core's next deadline (as log/LogVerticle arms its one timer), late by a
   * random [tickMinMs, tickMaxMs] as a busy event loop would be. Nothing else ticks a node, so a
   * timer the core forgets to report as a deadline shows up as a liveness failure.
   */
  private void scheduleTick(SimNode n) {
    long deadline = n.node().nextDeadlineMs();
    long mono = clock.monoMs(n.index, events.nowMs());
    long late = options.tickMinMs + random.nextLong(options.tickMaxMs - options.tickMinMs + 1);
    long at = events.nowMs() + Math.max(0, deadline - mono) + late;
    if (n.tickAtMs > events.nowMs() && n.tickAtMs <= at && n.tickIncarnation == n.incarnation) {
      return; // an earlier tick is already due
    }
    n.tickAtMs = at;
    n.tickIncarnation = n.incarnation;
    long token = ++n.tickToken;
    int incarnation = n.incarnation;
    events.after(at - events.nowMs(), () -> {
      if (n.up() && n.incarnation == incarnation && n.tickToken == token) {
        n.tickAtMs = -1;
        step(n, new Input.Tick(clock.monoMs(n.index, events.nowMs())));
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
    detector.crashed(n);
    if (options.correlatedIsolateRate > 0 && random.nextDouble() < options.correlatedIsolateRate) {
      isolateAnother(n);
    }
    clients.crashed(n);
    operator.crashed(n);
    long down = random.nextLong(options.downMaxMs + 1);
    events.after(down, () -> {
      if (!n.up()) {
        boot(n);
      }
    });
  }

  /**
   * A scripted fault for measurements (docs/SIMULATION.md, failover): {@code id} crashes at
   * {@code atMs} and starts again {@code downMs} later. {@code reported}: the transports tell the
   * others (a kill: connections refused); otherwise they see only silence (a paused process).
   */
  void scheduleCrash(String id, long atMs, long downMs, boolean reported) {
    events.after(atMs, () -> {
      SimNode n = node(id);
      if (n == null || !n.up()) {
        return;
      }
      crashes++;
      collect(n.node());
      trace(n.id, "crash", "scripted; lost " + n.crash() + " unsynced records");
      if (reported) {
        detector.crashed(n);
      }
      clients.crashed(n);
      operator.crashed(n);
      events.after(downMs, () -> boot(n));
    });
  }

  /**
   * The longest stretch in [{@code fromMs}, {@code toMs}] with no new entry committed anywhere (a
   * client-visible stall), in simulated ms.
   */
  long longestCommitGapMs(long fromMs, long toMs) {
    long prev = fromMs;
    long gap = 0;
    for (long[] c : commitTimes) {
      if (c[0] < fromMs) {
        continue;
      }
      if (c[0] > toMs) {
        break;
      }
      gap = Math.max(gap, c[0] - prev);
      prev = c[0];
    }
    return Math.max(gap, toMs - prev);
  }

  /** Every acknowledged write's latency (simulated ms), for the throughput tool. */
  List<Long> writeLatenciesMs() {
    return clients.latenciesMs;
  }

  /** The cluster's log length (the global chain). */
  long committedLength() {
    return checkers.chainLength();
  }

  /** A correlated fault: with {@code crashed}, another node is cut off for a while. */
  private void isolateAnother(SimNode crashed) {
    SimNode other = nodes.get(random.nextInt(nodes.size()));
    if (other == crashed) {
      return;
    }
    trace("net", "partition", network.isolate(other.index) + " (with " + crashed.id + "'s crash)");
    detector.repartitioned();
    events.after(1 + random.nextLong(options.partitionForMaxMs), () -> {
      if (!liveness) {
        network.heal();
        trace("net", "partition", "healed");
        detector.repartitioned();
      }
    });
  }

  private void deliver(Message m) {
    SimNode to = byIndex[SimNetwork.index(m.to())];
    if (to != null && to.up()) {
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
      fx = n.step(in, clock.monoMs(n.index, events.nowMs()));
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
          Trace.effects(fx.persist.size(), fx.sendNow.size() + fx.sendAfterPersist.size(),
              fx.committed.size(), fx.client.size()));
    }
    checkers.check(n);
    checkers.membership.produced(n.id, n.node(), fx.allSends());
    if (n.up()) {
      scheduleTick(n);
    }
  }

  private static String kind(Input in) {
    if (in instanceof Input.Receive) {
      return "recv";
    } else if (in instanceof Input.Tick) {
      return "tick";
    } else if (in instanceof Input.Submit) {
      return "submit";
    } else if (in instanceof Input.SnapshotTaken) {
      return "snap-taken";
    } else if (in instanceof Input.SnapshotInstalled) {
      return "snap-inst";
    } else if (in instanceof Input.Persisted) {
      return "durable";
    } else if (in instanceof Input.PeerDown) {
      return "peer-down";
    } else if (in instanceof Input.PeerUp) {
      return "peer-up";
    }
    return "read";
  }

  // ---------------------------------------------------------------- the shell's sink

  @Override
  public void send(SimNode from, Message m) {
    checkers.sent(from, m);
    network.send(m);
  }

  @Override
  public void committed(SimNode n, List<LogEntry> entries) {
    LogEntry first = entries.get(0);
    long last = entries.get(entries.size() - 1).index();
    if (last > longestCommitted) {
      longestCommitted = last;
      commitTimes.add(new long[] {events.nowMs(), last});
    }
    trace(n.id, "commit", "[" + first.index() + ".." + entries.get(entries.size() - 1).index()
        + "] " + first.hash().shortHex());
    clients.onCommitted(n, entries);
  }

  @Override
  public void client(SimNode n, ClientEvent e) {
    trace.add(events.nowMs(), n.id, "client", e);
    checkers.clientEvent(n, e);
    clients.onClientEvent(n, e);
    operator.onClientEvent(n, e);
  }

  @Override
  public void changed(SimNode n) {
    checkers.check(n);
  }

  @Override
  public void input(SimNode n, Input in) {
    if (in instanceof Input.SnapshotTaken) {
      snapshots++;
    } else if (in instanceof Input.SnapshotInstalled) {
      installs++;
    }
    step(n, in);
  }

  @Override
  public void snapshotFetch(SimNode n, Effects.SnapshotFetch f) {
    transfers.fetch(n, f);
  }

  @Override
  public void snapshotTaking(SimNode n, SimSnapshot s) {
    checkers.snapshotTaking(n, s);
  }

  @Override
  public Checkers checkers() {
    return checkers;
  }

  @Override
  public long wallMs(SimNode n) {
    return clock.wallMs(n.index, events.nowMs());
  }

  // ---------------------------------------------------------------- the operator's host

  @Override
  public void startJoiner(String id, Membership m) {
    if (node(id) != null) {
      return;
    }
    joins++;
    SimNode n = create(id, sabotage == Sabotage.JOINER_BELIEVES_VOTER ? asVoter(m, id) : m);
    trace(id, "joined", "with " + m);
    boot(n);
  }

  /** Planted bug: {@code m} with {@code id} as a voter. */
  private static Membership asVoter(Membership m, String id) {
    List<Membership.Member> ms = new ArrayList<>();
    for (Membership.Member x : m.members().values()) {
      ms.add(x.id().equals(id) ? new Membership.Member(id, x.url(), Membership.Role.VOTER) : x);
    }
    return new Membership(m.version(), ms);
  }

  @Override
  public void decommission(SimNode n) {
    if (n.decommissioned) {
      return;
    }
    trace(n.id, "decommission", "removed; stopped for good");
    if (n.up()) {
      crash(n);
    }
    n.decommissioned = true;
  }

  @Override
  public SimNode node(String id) {
    int i = SimNetwork.index(id);
    return i < byIndex.length ? byIndex[i] : null;
  }

  @Override
  public List<SimNode> nodes() {
    return nodes;
  }

  @Override
  public void trace(String node, String kind, String detail) {
    trace.add(events.nowMs(), node, kind, detail);
  }

  // ---------------------------------------------------------------- reporting

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
        checkers.ackCount(), checkers.reads, crashes, network.sent, network.dropped,
        operator.changes, joins, snapshots, installs, clients.unknown);
  }
}
