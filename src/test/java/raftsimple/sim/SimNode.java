package raftsimple.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.CommittedLog;
import raftsimple.core.DurableState;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;
import raftsimple.core.NodeSettings;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * The simulated shell around one {@link Node}: it owns the node's disk and state machine and
 * carries out its effects by THE SHELL RULE (docs/PROTOCOL.md, durability order): a step's records
 * are written after every earlier record, and everything else the step produced (messages,
 * committed entries, client events) is released only once every record issued so far is durable.
 * Effects wait in a FIFO, so release order is step order. A crash discards the process (the node,
 * its held effects, a snapshot being written) and the disk keeps what {@link SimDisk} says
 * survives.
 *
 * <p>Like the real shell (log/Bootstrap, log/Snapshots) it writes a configuration record before
 * the node's first start (the founding configuration, or the one a joiner was given), applies
 * released entries to its state machine, snapshots every {@code snapshotEveryEntries} applied
 * entries at an instance boundary, and installs a peer's snapshot when the core asks for one.
 */
final class SimNode {
  /** Where released effects go (the network, the clients, the checkers), and how to step. */
  interface Sink {
    void send(SimNode from, Message m);

    void committed(SimNode node, List<LogEntry> entries);

    void client(SimNode node, ClientEvent e);

    /** An fsync finished or other state changed outside a step: run the after-step checks. */
    void changed(SimNode node);

    /** Feeds an input produced by the shell itself (snapshot taken or installed). */
    void input(SimNode node, Input in);

    /** The core asks for a peer's snapshot. */
    void snapshotFetch(SimNode node, Effects.SnapshotFetch f);

    /** A snapshot is about to be written from this node's state (the checkers look at it). */
    void snapshotTaking(SimNode node, SimSnapshot s);
  }

  private record Held(int barrier, List<Message> messages) {}

  final int index;
  final String id;
  final NodeSettings settings;
  final SimDisk disk = new SimDisk();
  final SimStateMachine state = new SimStateMachine();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private final EventQueue events;
  private final SplittableRandom random;
  private final SwarmOptions options;
  private final Sabotage sabotage;
  /** The configuration written before the first start: founding, or received when joining. */
  final Membership startConfig;
  private Sink sink;
  private Runnable crashHook;
  private Node node;
  /** Bumped by every crash and restart, so that events of a dead process are ignored. */
  int incarnation;
  /** Removed from the cluster and stopped for good by the operator: never restarted. */
  boolean decommissioned;
  /** A snapshot transfer for this incarnation is running (one at a time, like log/Snapshots). */
  boolean transferring;
  private boolean snapshotWriting;
  private long lastSnapshotLength;
  /** The next scheduled tick (sim ms, -1: none), for which incarnation, and its token. */
  long tickAtMs = -1;
  int tickIncarnation = -1;
  long tickToken;
  /** The disk position where this process's records start (the core numbers them from 1). */
  private int recordBase;

  SimNode(String id, NodeSettings settings, Membership startConfig, SwarmOptions options,
      EventQueue events, SplittableRandom random, Sabotage sabotage) {
    this.index = SimNetwork.index(id);
    this.id = id;
    this.settings = settings;
    this.startConfig = startConfig;
    this.events = events;
    this.random = random;
    this.options = options;
    this.sabotage = sabotage;
  }

  void sink(Sink sink) {
    this.sink = sink;
  }

  boolean up() {
    return node != null;
  }

  Node node() {
    return node;
  }

  /**
   * Starts (or restarts) the process from what the disk holds, as log/Bootstrap does: a first start
   * writes the configuration record durably before the node is built; the state machine is
   * restored from the snapshot and re-applies the log after it.
   */
  void start(long seed) {
    boolean created = disk.isEmpty();
    if (created) {
      disk.writeDurable(new DurableRecord.ConfigRecord(startConfig));
    }
    DurableState recovered = disk.replay();
    node = new Node(settings, recovered, seed, created);
    recordBase = disk.issued();
    incarnation++;
    transferring = false;
    snapshotWriting = false;
    SimSnapshot snap = disk.snapshot();
    if (snap != null) {
      state.restore(snap);
    } else {
      state.reset();
    }
    lastSnapshotLength = snap == null ? 0 : snap.length();
    CommittedLog log = node.log();
    state.apply(id, log.range(log.firstIndex(), (int) (log.length() - log.baseLength())));
  }

  /** The process dies now; returns how many unsynced records the disk lost. */
  int crash() {
    node = null;
    held.clear();
    incarnation++;
    return disk.crash(random);
  }

  /**
   * Feeds one input to the node at monotonic time {@code monoMs} and carries out the effects.
   * Exceptions escape to the simulation.
   */
  Effects step(Input in, long monoMs) {
    Effects fx = node.step(monoMs, in);
    int barrier = disk.write(fx.persist);
    List<Message> later = fx.sendAfterPersist;
    if (sabotage == Sabotage.SEND_BEFORE_DURABLE) {
      releaseMessages(later, m -> true);
    } else if (sabotage == Sabotage.PROMISE_REPORTS_DURABLE_ONLY) {
      stripPromises(later);
      releaseMessages(later, m -> m instanceof Message.Promise);
    }
    for (Message m : fx.sendNow) {
      sink.send(this, m);
    }
    // Assignments first: a single voter decides a submit in the step that queued it, and the
    // real shell's apply outcome reaches the client only after its assignment (the applier runs
    // asynchronously), so the client always knows its txid before the commit.
    for (ClientEvent e : fx.client) {
      if (e instanceof ClientEvent.Assigned) {
        sink.client(this, e);
      }
    }
    if (!fx.committed.isEmpty()) {
      state.apply(id, fx.committed);
      sink.committed(this, fx.committed);
      maybeSnapshot();
    }
    for (ClientEvent e : fx.client) {
      if (!(e instanceof ClientEvent.Assigned)) {
        sink.client(this, e);
      }
    }
    if (!later.isEmpty()) {
      held.addLast(new Held(barrier, new ArrayList<>(later)));
      releaseDurable();
    }
    boolean revealed = disk.synced() < disk.issued() && fx.sendNow.stream()
        .anyMatch(m -> m instanceof Message.Propose || m instanceof Message.Commit);
    if ((!fx.persist.isEmpty() && random.nextDouble() < options.crashAfterPersistRate)
        || (revealed && random.nextDouble() < options.crashAfterRevealRate)) {
      // Scheduled before the fsync below, so even a zero-latency fsync comes too late.
      int inc = incarnation;
      events.after(0, () -> crashIfStill(inc));
    }
    syncIfNeeded();
    if (fx.snapshotFetch != null) {
      // A request to read, revealing nothing: like log/LogVerticle, not held behind the records.
      sink.snapshotFetch(this, fx.snapshotFetch);
    }
    return fx;
  }

  /** The simulation's crash procedure, used for crashes right after a persist. */
  void onCrashAfterPersist(Runnable crashHook) {
    this.crashHook = crashHook;
  }

  private void crashIfStill(int inc) {
    if (inc == incarnation && node != null && crashHook != null) {
      crashHook.run();
    }
  }

  private void releaseMessages(List<Message> send, java.util.function.Predicate<Message> early) {
    for (java.util.Iterator<Message> it = send.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (early.test(m)) {
        it.remove();
        sink.send(this, m);
      }
    }
  }

  /** Planted bug: promises report only the vote and accepted value already durable on disk. */
  private void stripPromises(List<Message> send) {
    for (int i = 0; i < send.size(); i++) {
      if (send.get(i) instanceof Message.Promise p && p.ok()) {
        boolean vote = p.round0Vote() != null && disk.durableVote(p.length(), p.head());
        boolean accepted = p.acceptedValue() != null
            && disk.durableAccept(p.length(), p.head(), p.acceptedBallot());
        send.set(i, new Message.Promise(p.from(), p.to(), p.length(), p.head(), p.ballot(), true,
            null, vote ? p.round0Vote() : null, accepted ? p.acceptedBallot() : null,
            accepted ? p.acceptedValue() : null, p.restarted()));
      }
    }
  }

  private void syncIfNeeded() {
    if (!disk.needsSync()) {
      return;
    }
    int target = disk.startSync();
    int inc = incarnation;
    long latency = options.fsyncMinMs + random.nextLong(options.fsyncMaxMs - options.fsyncMinMs + 1);
    events.after(latency, () -> {
      if (inc != incarnation) {
        return;
      }
      disk.syncDone(target);
      // The core first (it may release what it held), then the messages that waited for the write.
      sink.input(this, new Input.Persisted(disk.synced() - recordBase));
      releaseDurable();
      syncIfNeeded();
      sink.changed(this);
    });
  }

  private void releaseDurable() {
    int inc = incarnation;
    while (!held.isEmpty() && held.peekFirst().barrier <= disk.synced() && inc == incarnation) {
      for (Message m : held.pollFirst().messages) {
        sink.send(this, m);
      }
    }
  }

  // ---------------------------------------------------------------- snapshots (docs/PROTOCOL.md §12)

  /**
   * Takes a snapshot of the applied state once {@code snapshotEveryEntries} entries were applied
   * since the last one, at an instance boundary (as log/Snapshots does). The file becomes durable
   * after a random write time; only then is the core told, and the WAL compacted.
   */
  private void maybeSnapshot() {
    long length = state.applied();
    CommittedLog log = node.log();
    if (options.snapshotEveryEntries == 0 || snapshotWriting
        || length - lastSnapshotLength < options.snapshotEveryEntries
        || length < log.baseLength() || length > log.length() || !log.isBoundary(length)) {
      return;
    }
    Hash head = length == log.baseLength() ? log.baseHash() : log.get(length).hash();
    SimSnapshot s = new SimSnapshot(length, head, node.membershipAt(length), state.digest());
    sink.snapshotTaking(this, s);
    snapshotWriting = true;
    int inc = incarnation;
    events.after(snapshotWriteMs(), () -> {
      if (inc != incarnation) {
        return; // crashed while writing: the file never became durable
      }
      snapshotWriting = false;
      disk.snapshotDurable(s);
      lastSnapshotLength = Math.max(lastSnapshotLength, s.length());
      sink.input(this, new Input.SnapshotTaken(s.length(), options.snapshotRetainEntries));
      if (options.compactWal) {
        disk.compact();
      }
    });
  }

  private long snapshotWriteMs() {
    return options.snapshotWriteMinMs
        + random.nextLong(options.snapshotWriteMaxMs - options.snapshotWriteMinMs + 1);
  }

  /** Our newest durable snapshot if it is the one asked for (a newer one replaces it, as in log/Snapshots). */
  SimSnapshot serve(long length) {
    SimSnapshot s = disk.snapshot();
    return up() && s != null && s.length() == length ? s : null;
  }

  /**
   * A peer's snapshot arrived: write it durably, then restore the state machine and tell the core.
   * If the log caught up past it meanwhile, it is not installed: restoring an older state under a
   * longer log would lose applied entries.
   */
  void install(SimSnapshot s) {
    boolean planted = sabotage == Sabotage.INSTALL_AFTER_CATCHING_UP;
    if (!up() || (node.length() >= s.length() && !planted)) {
      transferring = false;
      return;
    }
    int inc = incarnation;
    events.after(snapshotWriteMs(), () -> {
      if (inc != incarnation) {
        return;
      }
      transferring = false;
      if (node.length() >= s.length() && !planted) {
        return;
      }
      disk.snapshotDurable(s);
      state.restore(s);
      lastSnapshotLength = Math.max(lastSnapshotLength, s.length());
      sink.input(this, new Input.SnapshotInstalled(s.length(), s.head(), s.membership()));
      if (options.compactWal) {
        disk.compact();
      }
    });
  }

  /** Why {@link #quiet} is false (for the stuck report). */
  String quietReport() {
    return "held=" + held.size() + " issued=" + disk.issued() + " synced=" + disk.synced()
        + " deadline=" + (node == null ? "-" : node.nextDeadlineMs());
  }

  /** True when every record is durable and every effect released. */
  boolean quiet() {
    return held.isEmpty() && disk.synced() == disk.issued();
  }
}
