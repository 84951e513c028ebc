package raftsimple.log;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import java.io.ByteArrayOutputStream;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.core.Membership;
import raftsimple.core.Node;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;
import raftsimple.storage.SnapshotStore;

/**
 * Snapshots and log compaction (docs/PROTOCOL.md §12), on the log verticle's event loop.
 *
 * <ul>
 *   <li><b>Taking.</b> After an applied batch that ends on an instance boundary, once
 *       {@code snapshotEveryEntries} entries or {@code snapshotEveryBytes} payload bytes came since
 *       the last snapshot, the state machine captures its state (cheaply) and serializes it off the
 *       event loop; the file is written on its own worker, so neither commits nor applies wait.
 *       Then the core drops entries before it from memory and the WAL drops covered segments.
 *   <li><b>Serving.</b> A peer behind our compacted log reads our newest snapshot file in 1 MiB
 *       chunks ({@code SnapshotRead} → {@code SnapshotData}).
 *   <li><b>Installing.</b> When the core asks (a peer offered its snapshot), we read it in chunks,
 *       verify its SHA-256 and chain position, make it durable, restore the state machine from it,
 *       and only then tell the core.
 * </ul>
 */
final class Snapshots {
  private static final System.Logger LOG = System.getLogger(Snapshots.class.getName());
  static final int CHUNK_BYTES = 1 << 20;
  private static final long CHUNK_TIMEOUT_MS = 10_000;

  interface Host {
    Node node();

    void step(Input in);

    /** Deletes WAL segments a durable snapshot of {@code length} covers (on the WAL worker). */
    void compactWal(long length);

    Applier applier();
  }

  private final Vertx vertx;
  private final NodeConfig config;
  private final SnapshotStore store;
  private final WorkerExecutor worker;
  private final Host host;
  private final Timer takeTimer;
  private long entriesSince;
  private long bytesSince;
  private boolean taking;
  private byte[] served;
  private long servedLength;
  private Incoming incoming;

  /** A transfer in progress from {@code peer}. */
  private static final class Incoming {
    final String peer;
    final long length;
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long total = -1;
    long timerId = -1;

    Incoming(String peer, long length) {
      this.peer = peer;
      this.length = length;
    }
  }

  Snapshots(Vertx vertx, NodeConfig config, SnapshotStore store, Host host, MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.host = host;
    this.worker = vertx.createSharedWorkerExecutor("raftsimple-snapshot-" + config.nodeId(), 1);
    this.takeTimer = Timer.builder("raftsimple_snapshot_duration")
        .description("Time to take one snapshot (capture, serialize, write, compact)")
        .register(registry);
  }

  SnapshotStore store() {
    return store;
  }

  /** Counts applied entries; called by the applier after each batch, before it sends the next. */
  void applied(java.util.List<LogEntry> batch, long appliedIndex) {
    for (LogEntry e : batch) {
      entriesSince++;
      bytesSince += e.entry().payload().length;
    }
    NodeConfig.Limits l = config.limits();
    boolean due = entriesSince >= l.snapshotEveryEntries() || bytesSince >= l.snapshotEveryBytes();
    // No node yet: the log replayed at start is being re-applied; the first batch after it has
    // been built takes the snapshot if one is due.
    if (due && !taking && host.node() != null && host.node().log().isBoundary(appliedIndex)) {
      take(appliedIndex);
    }
  }

  private void take(long length) {
    taking = true;
    long started = System.nanoTime();
    Node node = host.node();
    LogEntry last = node.log().get(length);
    Hash head = last != null ? last.hash() : node.log().baseHash();
    Membership membership = node.membershipAt(length);
    // Sent before the applier's next batch, so the state machine captures exactly `length`.
    vertx.eventBus().<BusApi.SnapshotBytes>request(Addresses.SM_SNAPSHOT, new BusApi.TakeSnapshot(),
            Addresses.local(600_000))
        .compose(reply -> {
          BusApi.SnapshotBytes b = reply.body();
          if (b.appliedIndex() != length) {
            return Future.failedFuture("state machine snapshot is at " + b.appliedIndex() + ", not " + length);
          }
          return worker.executeBlocking(() -> {
            store.write(length, head.toBytes(), MembershipJson.encode(membership), b.data());
            store.retain(2);
            return b.data().length;
          }, true);
        })
        .onComplete(ar -> {
          taking = false;
          if (ar.failed()) {
            LOG.log(Level.WARNING, "snapshot at {0} failed (will retry later): {1}", length,
                String.valueOf(ar.cause()));
            return;
          }
          entriesSince = 0;
          bytesSince = 0;
          served = null;
          host.step(new Input.SnapshotTaken(length, config.limits().snapshotRetainEntries()));
          host.compactWal(length);
          takeTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          LOG.log(Level.INFO, "node {0}: snapshot at length {1} ({2} bytes of state) in {3} ms",
              config.nodeId(), length, ar.result(), (System.nanoTime() - started) / 1_000_000);
        });
  }

  // ---------------------------------------------------------------- serving

  void onRead(Message.SnapshotRead r) {
    loadServed().onComplete(ar -> {
      Node node = host.node();
      byte[] bytes = ar.succeeded() ? ar.result() : null;
      boolean ok = bytes != null && servedLength == r.snapshotLength() && r.offset() >= 0
          && r.offset() <= bytes.length;
      if (!ok) {
        send(new Message.SnapshotData(config.nodeId(), r.from(), node.length(), node.head(),
            r.snapshotLength(), r.offset(), 0, new byte[0]));
        return;
      }
      int n = (int) Math.min(Math.min(Math.max(1, r.max()), CHUNK_BYTES), bytes.length - r.offset());
      byte[] chunk = Arrays.copyOfRange(bytes, (int) r.offset(), (int) r.offset() + n);
      send(new Message.SnapshotData(config.nodeId(), r.from(), node.length(), node.head(),
          r.snapshotLength(), r.offset(), bytes.length, chunk));
    });
  }

  /** The newest snapshot file's bytes, read once and kept until the next snapshot replaces it. */
  private Future<byte[]> loadServed() {
    if (served != null) {
      return Future.succeededFuture(served);
    }
    return worker.executeBlocking(() -> {
      java.util.List<Long> lengths = store.lengths();
      if (lengths.isEmpty()) {
        return (Object[]) null;
      }
      long length = lengths.get(lengths.size() - 1);
      return new Object[] {length, store.bytes(length)};
    }, true).map(pair -> {
      if (pair == null) {
        return null;
      }
      servedLength = (Long) pair[0];
      served = (byte[]) pair[1];
      return served;
    });
  }

  // ---------------------------------------------------------------- installing

  /** The core asks for a peer's snapshot: start reading it (one transfer at a time). */
  void fetch(Effects.SnapshotFetch f) {
    if (incoming != null) {
      return;
    }
    LOG.log(Level.INFO, "node {0}: behind {1}''s compacted log; fetching its snapshot at length {2}",
        config.nodeId(), f.peer(), f.length());
    incoming = new Incoming(f.peer(), f.length());
    requestNext();
  }

  private void requestNext() {
    Incoming in = incoming;
    Node node = host.node();
    send(new Message.SnapshotRead(config.nodeId(), in.peer, node.length(), node.head(), in.length,
        in.bytes.size(), CHUNK_BYTES));
    vertx.cancelTimer(in.timerId);
    in.timerId = vertx.setTimer(CHUNK_TIMEOUT_MS, id -> {
      if (incoming == in) {
        LOG.log(Level.WARNING, "snapshot transfer from {0} stalled; the core will ask again", in.peer);
        incoming = null;
      }
    });
  }

  void onData(Message.SnapshotData d) {
    Incoming in = incoming;
    if (in == null || !d.from().equals(in.peer) || d.snapshotLength() != in.length
        || d.offset() != in.bytes.size()) {
      return; // stale or duplicate chunk
    }
    if (d.total() <= 0 || d.data().length == 0 || d.total() > Integer.MAX_VALUE - 64) {
      LOG.log(Level.WARNING, "peer {0} no longer has snapshot {1}", in.peer, in.length);
      vertx.cancelTimer(in.timerId);
      incoming = null;
      return;
    }
    in.total = d.total();
    in.bytes.write(d.data(), 0, d.data().length);
    if (in.bytes.size() < in.total) {
      requestNext();
      return;
    }
    vertx.cancelTimer(in.timerId);
    install(in);
  }

  /**
   * Verifies and installs a complete transfer: the durable file, then — with the applier paused and
   * only if the state machine has not already applied past it — the state machine, then the core
   * (only if its log has not passed the snapshot meanwhile, e.g. by fetching from another peer).
   * Either way the state machine ends at the snapshot's length or beyond it, never behind what it
   * had applied (simulator planted bug (e)).
   */
  private void install(Incoming in) {
    byte[] bytes = in.bytes.toByteArray();
    Applier applier = host.applier();
    worker.executeBlocking(() -> {
      store.install(in.length, bytes); // verifies the SHA-256 and the header
      return SnapshotStore.decode(bytes, store.directory());
    }, true).compose(snap -> Future.<Void>future(p -> applier.pause(p::complete)).map(snap))
        .compose(snap -> applier.appliedIndex() >= snap.length()
            ? Future.succeededFuture(snap)
            : vertx.eventBus().<Long>request(Addresses.SM_RESTORE, new BusApi.Restore(snap.data()),
                Addresses.local(600_000)).map(r -> {
                  applier.resetTo(snap.length());
                  return snap;
                }))
        .onComplete(ar -> {
          incoming = null;
          applier.resume();
          if (ar.failed()) {
            LOG.log(Level.WARNING, "installing the snapshot from {0} failed: {1}", in.peer,
                String.valueOf(ar.cause()));
            return;
          }
          SnapshotStore.Snapshot snap = ar.result();
          served = null;
          entriesSince = 0;
          bytesSince = 0;
          if (host.node().length() >= snap.length()) {
            LOG.log(Level.INFO, "node {0}: caught up past the snapshot at {1} while fetching it",
                config.nodeId(), snap.length());
            return;
          }
          Membership m = MembershipJson.decode(snap.meta());
          host.step(new Input.SnapshotInstalled(snap.length(), Hash.of(snap.head()), m));
          host.compactWal(snap.length());
          LOG.log(Level.INFO, "node {0}: installed the snapshot at length {1} from {2}",
              config.nodeId(), snap.length(), in.peer);
        });
  }

  private void send(Message m) {
    vertx.eventBus().send(Addresses.PEER_OUT, m, Addresses.LOCAL);
  }

  void close() {
    worker.close();
  }
}
