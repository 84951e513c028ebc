package raftsimple.log;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.statemachine.Json;
import raftsimple.storage.SnapshotFile;
import raftsimple.storage.SnapshotStore;

/**
 * Snapshots and log compaction (docs/PROTOCOL.md §12), on the log verticle's event loop.
 *
 * <ul>
 *   <li><b>Taking.</b> After an applied batch that ends on an instance boundary, once
 *       {@code snapshotEveryEntries} entries or {@code snapshotEveryBytes} payload bytes came since
 *       the last snapshot, the state machine captures its state (in constant time for the KV
 *       machine) and the snapshot worker streams it straight into the file, so neither commits nor
 *       applies wait and no copy of the whole state is ever made. Then the core drops entries
 *       before it from memory and the WAL drops covered segments.
 *   <li><b>Serving.</b> A peer behind our compacted log downloads a snapshot file with {@code GET
 *       /peer/snapshots/<length>} ({@code ingress/PeerSnapshotRoute}); we only say where the file
 *       is ({@link #onFileQuery}).
 *   <li><b>Installing.</b> When the core asks (a peer offered its snapshot), {@link
 *       SnapshotDownload} streams the peer's file to disk, verifying its SHA-256 as it arrives; then
 *       the state machine restores from the file as a stream, on a worker thread, and only then is
 *       the core told.
 * </ul>
 *
 * The transfer goes over HTTP(S) to the peer's URL for every peer transport (the URL is in every
 * configuration, the client port serves every node, and mutual TLS authenticates both ends), so a
 * transport carries only protocol messages and its batches never hold tens of MB; the core's
 * {@code SnapshotRead}/{@code SnapshotData} messages are no longer used.
 */
final class Snapshots {
  private static final System.Logger LOG = System.getLogger(Snapshots.class.getName());
  /** A download that receives nothing for this long has failed; the core asks again. */
  static final long DOWNLOAD_IDLE_TIMEOUT_MS = 10_000;

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
  private final HttpClient client;
  private final SnapshotDownload download;
  private long entriesSince;
  private long bytesSince;
  private boolean taking;
  /** The peer whose snapshot is being fetched and installed, or null. */
  private String incoming;

  Snapshots(Vertx vertx, NodeConfig config, SnapshotStore store, Host host, MeterRegistry registry,
      HttpClientOptions peerClientOptions) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.host = host;
    this.worker = vertx.createSharedWorkerExecutor("raftsimple-snapshot-" + config.nodeId(), 1);
    this.takeTimer = Timer.builder("raftsimple_snapshot_duration")
        .description("Time to take one snapshot (capture, serialize, write, compact)")
        .serviceLevelObjectives(raftsimple.metrics.Buckets.LONG).register(registry);
    this.client = vertx.createHttpClient(new HttpClientOptions(peerClientOptions)
        .setConnectTimeout(3_000).setKeepAlive(false));
    this.download = new SnapshotDownload(vertx, client, worker, store, DOWNLOAD_IDLE_TIMEOUT_MS);
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

  /** Requests for a snapshot now (GET /snapshot), answered when the one being taken is durable. */
  private final java.util.List<io.vertx.core.Promise<BusApi.SnapshotReady>> onDemand =
      new java.util.ArrayList<>();

  /**
   * {@code LOG_SNAPSHOT} (GET /snapshot): a durable snapshot of everything applied when asked. If
   * one is being taken, the request waits for it; else the applier is paused (only until the state
   * machine has captured its state), and the newest snapshot file is answered when it is at the
   * applied index, or one is taken there.
   */
  void onSnapshotNow(Message<BusApi.SnapshotNow> m) {
    io.vertx.core.Promise<BusApi.SnapshotReady> p = io.vertx.core.Promise.promise();
    p.future().onSuccess(m::reply).onFailure(e -> m.fail(503, "no snapshot can be taken now: "
        + e.getMessage()));
    onDemand.add(p);
    if (taking) {
      return;
    }
    taking = true;
    Applier applier = host.applier();
    applier.pause(() -> worker.executeBlocking(store::lengths, true).onComplete(ar -> {
      long at = applier.appliedIndex();
      java.util.List<Long> lengths = ar.succeeded() ? ar.result() : java.util.List.of();
      if (ar.succeeded() && !lengths.isEmpty() && lengths.get(lengths.size() - 1) == at) {
        applier.resume();
        taking = false;
        answerOnDemand(at, store.file(at), null);
      } else if (ar.failed() || !host.node().log().isBoundary(at)) {
        applier.resume();
        taking = false;
        answerOnDemand(at, null, ar.failed() ? ar.cause()
            : new IllegalStateException("the applied index " + at + " ends no batch; try again"));
      } else {
        take(at, applier::resume);
      }
    }));
  }

  private void answerOnDemand(long length, java.nio.file.Path file, Throwable failure) {
    Node node = host.node();
    LogEntry last = node.log().get(length);
    Hash head = last != null ? last.hash() : node.log().baseHash();
    for (io.vertx.core.Promise<BusApi.SnapshotReady> p : onDemand) {
      if (failure == null) {
        p.complete(new BusApi.SnapshotReady(length, head.hex(), file.toString()));
      } else {
        p.fail(failure);
      }
    }
    onDemand.clear();
  }

  private void take(long length) {
    take(length, () -> { });
  }

  /** Takes a snapshot at {@code length}; {@code captured} runs once the state machine has it. */
  private void take(long length, Runnable captured) {
    taking = true;
    long started = System.nanoTime();
    Node node = host.node();
    LogEntry last = node.log().get(length);
    Hash head = last != null ? last.hash() : node.log().baseHash();
    Membership membership = node.membershipAt(length);
    // Sent before the applier's next batch, so the state machine captures exactly `length`.
    vertx.eventBus().<BusApi.SnapshotCapture>request(Addresses.SM_SNAPSHOT, new BusApi.TakeSnapshot(),
            Addresses.local(60_000))
        .onComplete(ar -> captured.run())
        .compose(reply -> {
          BusApi.SnapshotCapture c = reply.body();
          if (c.appliedIndex() != length) {
            return Future.failedFuture("state machine snapshot is at " + c.appliedIndex() + ", not " + length);
          }
          return worker.executeBlocking(() -> {
            SnapshotFile f = store.write(length, head.toBytes(), MembershipJson.encode(membership),
                c.writer()::writeTo);
            store.retain(2);
            return f;
          }, true);
        })
        .onComplete(ar -> {
          taking = false;
          answerOnDemand(length, ar.succeeded() ? ar.result().file() : null,
              ar.failed() ? ar.cause() : null);
          if (ar.failed()) {
            LOG.log(Level.WARNING, "snapshot at {0} failed (will retry later): {1}", length,
                String.valueOf(ar.cause()));
            return;
          }
          entriesSince = 0;
          bytesSince = 0;
          host.step(new Input.SnapshotTaken(length, config.limits().snapshotRetainEntries()));
          host.compactWal(length);
          takeTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          LOG.log(Level.INFO, "node {0}: snapshot at length {1} ({2} bytes of state) in {3} ms",
              config.nodeId(), length, ar.result().dataLength(), (System.nanoTime() - started) / 1_000_000);
        });
  }

  // ---------------------------------------------------------------- serving

  /** Where the snapshot file at the asked length is, for {@code GET /peer/snapshots/<length>}. */
  void onFileQuery(Message<BusApi.SnapshotFileQuery> m) {
    long length = m.body().length();
    worker.executeBlocking(() -> {
      java.nio.file.Path f = store.file(length);
      return Files.isRegularFile(f) ? new BusApi.SnapshotFileInfo(f, Files.size(f)) : null;
    }, false).onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        m.reply(ar.result());
        return;
      }
      com.fasterxml.jackson.databind.node.ObjectNode body = Json.NODES.objectNode();
      body.put("code", "NOT_FOUND");
      body.put("error", "node " + config.nodeId() + " holds no snapshot at length " + length
          + (ar.failed() ? ": " + ar.cause() : "; ask for its newest"));
      m.fail(404, body.toString());
    });
  }

  // ---------------------------------------------------------------- installing

  /** The core asks for a peer's snapshot: download it (one transfer at a time), then install it. */
  void fetch(Effects.SnapshotFetch f) {
    if (incoming != null) {
      return;
    }
    String url = urlOf(f.peer());
    if (url == null) {
      LOG.log(Level.WARNING, "node {0}: cannot fetch the snapshot of {1}: its URL is unknown",
          config.nodeId(), f.peer());
      return;
    }
    LOG.log(Level.INFO, "node {0}: behind {1}''s compacted log; fetching its snapshot at length {2}",
        config.nodeId(), f.peer(), f.length());
    incoming = f.peer();
    long started = System.nanoTime();
    download.fetch(url, f.length()).onComplete(ar -> {
      if (ar.failed()) {
        incoming = null;
        LOG.log(Level.WARNING, "node {0}: fetching the snapshot at {1} from {2} failed (the core will "
            + "ask again): {3}", config.nodeId(), f.length(), f.peer(), String.valueOf(ar.cause()));
        return;
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      LOG.log(Level.INFO, "node {0}: snapshot transfer from {1}: {2} bytes in {3} ms ({4} MB/s), "
          + "checksum verified", config.nodeId(), f.peer(), ar.result().size(), Math.round(seconds * 1000),
          Math.round(ar.result().size() / 1e6 / Math.max(seconds, 1e-3)));
      install(f.peer(), ar.result());
    });
  }

  /** A peer's URL: from the configuration at the head, else from this node's config file. */
  private String urlOf(String peer) {
    Membership.Member m = host.node().membership().get(peer);
    if (m != null && !m.url().isEmpty()) {
      return m.url();
    }
    for (NodeConfig.Peer p : config.peers()) {
      if (p.id().equals(peer)) {
        return p.url();
      }
    }
    return null;
  }

  /**
   * Installs a downloaded, verified and durable snapshot: with the applier paused and only if the
   * state machine has not already applied past it, the state machine (restored from the file as a
   * stream, on a worker thread), then the core (only if its log has not passed the snapshot
   * meanwhile, e.g. by fetching from another peer). Either way the state machine ends at the
   * snapshot's length or beyond it, never behind what it had applied (simulator planted bug (e)).
   */
  private void install(String peer, SnapshotFile snap) {
    Applier applier = host.applier();
    long started = System.nanoTime();
    Future.<Void>future(p -> applier.pause(p::complete))
        .compose(v -> applier.appliedIndex() >= snap.length()
            ? Future.succeededFuture()
            : vertx.eventBus().<Long>request(Addresses.SM_RESTORE, new BusApi.Restore(snap::openState),
                Addresses.local(600_000)).map(r -> {
                  applier.resetTo(snap.length());
                  return null;
                }))
        .onComplete(ar -> {
          incoming = null;
          applier.resume();
          if (ar.failed()) {
            LOG.log(Level.WARNING, "installing the snapshot from {0} failed: {1}", peer,
                String.valueOf(ar.cause()));
            return;
          }
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
          LOG.log(Level.INFO, "node {0}: installed the snapshot at length {1} from {2} (state restored "
              + "in {3} ms)", config.nodeId(), snap.length(), peer, (System.nanoTime() - started) / 1_000_000);
        });
  }

  void close() {
    client.close();
    worker.close();
  }
}
