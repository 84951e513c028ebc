package raftsimple.core;

import raftsimple.core.msg.Membership;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * A hand-driven cluster for hazard scenarios (etcd {@code interaction_test} style): the test decides
 * which message is delivered, dropped or held, when time moves, and who crashes. Every record is
 * durable at the end of the step that wrote it (an instant fsync: the shell reports
 * {@code Persisted} at once, then releases the step's {@code sendAfterPersist} messages), so a
 * crash keeps everything written and a restart rebuilds the node from it.
 */
final class TestCluster {
  final List<String> ids = new ArrayList<>();
  final Map<String, Node> nodes = new TreeMap<>();
  final Map<String, NodeSettings> settings = new TreeMap<>();
  final Map<String, List<DurableRecord>> disks = new TreeMap<>();
  final Map<String, Long> clockOffset = new TreeMap<>();
  /** Messages sent and not yet delivered or dropped, in send order. */
  final List<Message> wire = new ArrayList<>();
  final List<ClientEvent> clientEvents = new ArrayList<>();
  /** Client events by the node that released them. */
  final Map<String, List<ClientEvent>> eventsOf = new TreeMap<>();
  /** Each node's durable snapshot (the shell's file), if it took or installed one. */
  final Map<String, Snapshot> snapshots = new TreeMap<>();
  /** Snapshot requests the cores made ({@code Effects.snapshotFetch}), with the asking node. */
  final List<Map.Entry<String, Effects.SnapshotFetch>> snapshotFetches = new ArrayList<>();

  /** A snapshot as a shell keeps it: length, head, the configuration there (docs §12). */
  record Snapshot(long length, Hash head, Membership membership) {}
  final List<LogEntry> released = new ArrayList<>();
  long now = 1_000;
  /** Per node: how far its wall clock is from true time (H8); fed only into Submit.wallMs. */
  final Map<String, Long> wallSkew = new TreeMap<>();
  private long nextRef = 1;
  private long seq;
  /** Records each running process issued (the core numbers them from 1 per process). */
  private final Map<String, Long> issued = new TreeMap<>();

  TestCluster(int n, long headTimeoutMs) {
    this(n, id -> NodeSettings.of(id, names(n), headTimeoutMs));
  }

  TestCluster(int n, java.util.function.Function<String, NodeSettings> settingsOf) {
    this(names(n), settingsOf, null);
  }

  /**
   * A cluster founded with configuration {@code founding} (voters, learners, read-only members):
   * each shell writes it as its first record, as log/Bootstrap does.
   */
  TestCluster(Membership founding, long headTimeoutMs) {
    this(new ArrayList<>(founding.members().keySet()),
        id -> settingsFor(id, founding.voters(), headTimeoutMs), founding);
  }

  private TestCluster(List<String> names, java.util.function.Function<String, NodeSettings> settingsOf,
      Membership founding) {
    ids.addAll(names);
    for (String id : ids) {
      settings.put(id, settingsOf.apply(id));
      disks.put(id, new ArrayList<>());
      if (founding != null) {
        disks.get(id).add(new DurableRecord.ConfigRecord(founding));
      }
      clockOffset.put(id, 0L);
      wallSkew.put(id, 0L);
      start(id);
    }
  }

  /** Settings for {@code id} among founding {@code voters} (a non-voter is not "writable"). */
  static NodeSettings settingsFor(String id, List<String> voters, long headTimeoutMs) {
    NodeSettings d = NodeSettings.of(voters.get(0), voters, headTimeoutMs);
    return new NodeSettings(id, voters, !voters.contains(id), d.headTimeoutMs(), d.retransmitMs(),
        d.heartbeatMs(), d.readTimeoutMs(), d.batchEntriesMax(), d.batchBytesMax(),
        d.pendingEntriesMax(), d.catchUpEntriesMax());
  }

  /** A configuration of {@code voters} plus {@code others} with the given role, at version 0. */
  static Membership members(List<String> voters, Map<String, Membership.Role> others) {
    List<Membership.Member> ms = new ArrayList<>();
    for (String v : voters) {
      ms.add(new Membership.Member(v, "", Membership.Role.VOTER));
    }
    others.forEach((id, role) -> ms.add(new Membership.Member(id, "", role)));
    return new Membership(0, ms);
  }

  /**
   * A new node joins with an empty log and configuration {@code m}, which it got from the member it
   * asked (log/Joiner): its shell writes it as its first record.
   */
  void join(String id, Membership m) {
    ids.add(id);
    settings.put(id, settingsFor(id, settings.get(ids.get(0)).voters(),
        settings.get(ids.get(0)).headTimeoutMs()));
    disks.put(id, new ArrayList<>(List.of(new DurableRecord.ConfigRecord(m))));
    clockOffset.put(id, 0L);
    wallSkew.put(id, 0L);
    start(id);
  }

  /** Submits membership change {@code c} to {@code id} as a system entry; returns the ref. */
  long submitChange(String id, Membership.Change c) {
    long ref = nextRef++;
    step(id, new Input.Submit(ref, now + wallSkew.get(id), SystemEntries.encode(c), null));
    return ref;
  }

  /** {@code id}'s shell takes a snapshot at its head (an instance boundary) and tells the core. */
  Snapshot takeSnapshot(String id, int retainEntries) {
    Node n = nodes.get(id);
    Snapshot s = new Snapshot(n.length(), n.head(), n.membershipAt(n.length()));
    snapshots.put(id, s);
    step(id, new Input.SnapshotTaken(s.length(), retainEntries));
    return s;
  }

  /** {@code id}'s shell installed snapshot {@code s} (durable first, then the core is told). */
  Effects installSnapshot(String id, Snapshot s) {
    snapshots.put(id, s);
    return step(id, new Input.SnapshotInstalled(s.length(), s.head(), s.membership()));
  }

  /** The client events {@code id} released so far. */
  List<ClientEvent> events(String id) {
    return eventsOf.getOrDefault(id, List.of());
  }

  static List<String> names(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add("n" + i);
    }
    return out;
  }

  Node node(String id) {
    return nodes.get(id);
  }

  void start(String id) {
    Snapshot snap = snapshots.get(id);
    DurableState d = snap == null ? new DurableState()
        : new DurableState(snap.length(), snap.head(), snap.membership());
    for (DurableRecord r : disks.get(id)) {
      d.apply(r);
    }
    nodes.put(id, new Node(settings.get(id), d, 7 * (++seq) + id.hashCode()));
    issued.put(id, 0L);
    step(id, new Input.Tick(now + clockOffset.get(id)));
  }

  /** The process dies; everything it wrote is durable (instant fsync), its messages in flight stay. */
  void crash(String id) {
    nodes.remove(id);
  }

  /** Sees every step and its effects (the scenario runner prints them). */
  java.util.function.BiConsumer<String, Object[]> listener = (id, stepAndEffects) -> { };

  Effects step(String id, Input in) {
    Effects fx = nodes.get(id).step(in);
    listener.accept(id, new Object[] {in, fx});
    disks.get(id).addAll(fx.persist);
    wire.addAll(fx.sendNow);
    clientEvents.addAll(fx.client);
    eventsOf.computeIfAbsent(id, k -> new ArrayList<>()).addAll(fx.client);
    released.addAll(fx.committed);
    if (fx.snapshotFetch != null) {
      snapshotFetches.add(Map.entry(id, fx.snapshotFetch));
    }
    if (!fx.persist.isEmpty()) {
      long n = issued.merge(id, (long) fx.persist.size(), Long::sum);
      step(id, new Input.Persisted(n));
    }
    wire.addAll(fx.sendAfterPersist);
    return fx;
  }

  long submit(String id, String payload) {
    long ref = nextRef++;
    step(id, new Input.Submit(ref, now + wallSkew.get(id), payload.getBytes(StandardCharsets.UTF_8),
        null));
    return ref;
  }

  /** Delivers (once, in send order) every message on the wire matching {@code which}; returns how many. */
  int deliver(Predicate<Message> which) {
    List<Message> batch = new ArrayList<>();
    for (Iterator<Message> it = wire.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (which.test(m)) {
        it.remove();
        batch.add(m);
      }
    }
    for (Message m : batch) {
      if (nodes.containsKey(m.to())) {
        step(m.to(), new Input.Receive(m));
      }
    }
    return batch.size();
  }

  /** Delivers until the wire holds no matching message (bounded). */
  void deliverAll(Predicate<Message> which) {
    for (int i = 0; i < 10_000 && deliver(which) > 0; i++) {
      // keep going
    }
  }

  void deliverAll() {
    deliverAll(m -> true);
  }

  void drop(Predicate<Message> which) {
    wire.removeIf(which);
  }

  /** Advances time by {@code ms} in 10 ms ticks, delivering messages that pass {@code which} after each. */
  void tick(long ms, Predicate<Message> which) {
    for (long t = 0; t < ms; t += 10) {
      now += 10;
      for (String id : new ArrayList<>(nodes.keySet())) {
        step(id, new Input.Tick(now + clockOffset.get(id)));
      }
      deliverAll(which);
      drop(m -> !which.test(m));
    }
  }

  void tick(long ms) {
    tick(ms, m -> true);
  }

  /** Advances time by {@code ms}, ticking only {@code id} and delivering nothing. */
  void tickOnly(String id, long ms) {
    for (long t = 0; t < ms; t += 10) {
      now += 10;
      step(id, new Input.Tick(now + clockOffset.get(id)));
    }
  }

  /**
   * Ticks only {@code id}, 10 ms at a time and delivering nothing, until a message matching
   * {@code which} is on the wire (at most {@code maxMs}); returns the time it took.
   */
  long tickOnlyUntil(String id, Predicate<Message> which, long maxMs) {
    for (long t = 0; t < maxMs; t += 10) {
      if (wire.stream().anyMatch(which)) {
        return t;
      }
      now += 10;
      step(id, new Input.Tick(now + clockOffset.get(id)));
    }
    throw new AssertionError("no such message from " + id + " within " + maxMs + " ms: " + wire);
  }

  /** Removes and returns the first message on the wire matching {@code which}. */
  Message take(Predicate<Message> which) {
    for (Iterator<Message> it = wire.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (which.test(m)) {
        it.remove();
        return m;
      }
    }
    throw new AssertionError("no such message on the wire: " + wire);
  }

  /** Delivers one given message (possibly rewritten by the test). */
  void receive(Message m) {
    step(m.to(), new Input.Receive(m));
  }

  static Predicate<Message> from(String id) {
    return m -> m.from().equals(id);
  }

  static Predicate<Message> to(String id) {
    return m -> m.to().equals(id);
  }

  static Predicate<Message> between(String a, String b) {
    return m -> (m.from().equals(a) && m.to().equals(b)) || (m.from().equals(b) && m.to().equals(a));
  }

  static Predicate<Message> touching(String id) {
    return from(id).or(to(id));
  }

  static Predicate<Message> kind(Class<? extends Message> k) {
    return k::isInstance;
  }

  long marks(String mark) {
    long n = 0;
    for (Node node : nodes.values()) {
      n += node.marks().count(mark);
    }
    return n;
  }

  /** Every payload in {@code id}'s log (from its snapshot on), in order. */
  List<String> payloads(String id) {
    List<String> out = new ArrayList<>();
    CommittedLog log = nodes.get(id).log();
    for (long i = log.firstIndex(); i <= log.length(); i++) {
      out.add(new String(log.get(i).entry().payload(), StandardCharsets.UTF_8));
    }
    return out;
  }
}
