package raftsimple.sim;

import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;
import raftsimple.chain.LogEntry;
import raftsimple.core.DurableState;
import raftsimple.core.Node;
import raftsimple.core.NodeSettings;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * The simulated shell around one {@link Node}: it owns the node's disk and carries out its effects
 * by THE SHELL RULE (docs/PROTOCOL.md, durability order): a step's records are written after every
 * earlier record, and everything else the step produced (messages, committed entries, client
 * events) is released only once every record issued so far is durable. Effects wait in a FIFO, so
 * release order is step order. A crash discards the process (the node and its held effects) and
 * the disk keeps what {@link SimDisk} says survives.
 */
final class SimNode {
  /** Where released effects go (the network, the clients, the checkers). */
  interface Sink {
    void send(SimNode from, Message m);

    void committed(SimNode node, List<LogEntry> entries);

    void client(SimNode node, ClientEvent e);

    /** An fsync finished or other state changed outside a step: run the after-step checks. */
    void changed(SimNode node);
  }

  private record Held(int barrier, Effects fx) {}

  final int index;
  final String id;
  final NodeSettings settings;
  final SimDisk disk = new SimDisk();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private final EventQueue events;
  private final SplittableRandom random;
  private final SwarmOptions options;
  private final Sabotage sabotage;
  private Sink sink;
  private Runnable crashHook;
  private Node node;
  /** Bumped by every crash and restart, so that events of a dead process are ignored. */
  int incarnation;

  SimNode(String id, SwarmOptions options, EventQueue events, SplittableRandom random,
      Sabotage sabotage) {
    this.index = SimNetwork.index(id);
    this.id = id;
    this.settings = options.settings(id);
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

  /** Starts (or restarts) the process from what the disk holds. */
  void start(long seed) {
    DurableState recovered = disk.replay();
    node = new Node(settings, recovered, seed);
    incarnation++;
  }

  /** The process dies now; returns how many unsynced records the disk lost. */
  int crash() {
    node = null;
    held.clear();
    incarnation++;
    return disk.crash(random);
  }

  /** Feeds one input to the node and carries out the effects. Exceptions escape to the simulation. */
  Effects step(Input in) {
    Effects fx = node.step(in);
    int barrier = disk.write(fx.persist);
    if (sabotage == Sabotage.SEND_BEFORE_DURABLE) {
      releaseMessages(fx.send, m -> true);
    } else if (sabotage == Sabotage.PROMISE_REPORTS_DURABLE_ONLY) {
      stripPromises(fx.send);
      releaseMessages(fx.send, m -> m instanceof Message.Promise);
    }
    held.addLast(new Held(barrier, fx));
    if (!fx.persist.isEmpty() && random.nextDouble() < options.crashAfterPersistRate) {
      // Scheduled before the fsync below, so even a zero-latency fsync comes too late.
      int inc = incarnation;
      events.after(0, () -> crashIfStill(inc));
    }
    syncIfNeeded();
    releaseDurable();
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
            accepted ? p.acceptedValue() : null, p.decided()));
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
      releaseDurable();
      syncIfNeeded();
      sink.changed(this);
    });
  }

  private void releaseDurable() {
    int inc = incarnation;
    while (!held.isEmpty() && held.peekFirst().barrier <= disk.synced() && inc == incarnation) {
      Effects fx = held.pollFirst().fx;
      for (Message m : fx.send) {
        sink.send(this, m);
      }
      if (!fx.committed.isEmpty()) {
        sink.committed(this, fx.committed);
      }
      for (ClientEvent e : fx.client) {
        sink.client(this, e);
      }
    }
  }

  /** True when every record is durable and every effect released. */
  boolean quiet() {
    return held.isEmpty() && disk.synced() == disk.issued();
  }
}
