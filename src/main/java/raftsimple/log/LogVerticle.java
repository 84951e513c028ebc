package raftsimple.log;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.ext.web.client.WebClientOptions;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.core.DurableState;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;
import raftsimple.core.NodeSettings;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.storage.SnapshotFile;
import raftsimple.storage.SnapshotStore;

/**
 * The log / hash-chain verticle: owns the protocol core ({@link Node}) and drives it from the event
 * bus and a timer, confined to one event loop. Inputs: client submits, membership changes and read
 * barriers from the ingress, peer messages and peer up/down reports from the transport, storage
 * reports from {@link WriteGate}, and a tick at the core's next deadline
 * ({@link Node#nextDeadlineMs}: the head timeout, retransmits, heartbeats — no fixed-rate timer,
 * so an idle node wakes only for its heartbeats). Outputs go through {@link WriteGate}: records to
 * the write-ahead log on a single storage worker, messages to the transport (at once or behind
 * their records), committed entries to the state machine, answers to clients.
 * {@link Snapshots} takes, serves and installs snapshots; {@link Joiner} joins a cluster.
 */
public final class LogVerticle extends VerticleBase implements Snapshots.Host {
  private static final System.Logger LOG = System.getLogger(LogVerticle.class.getName());
  private static final DeliveryOptions LOCAL = Addresses.LOCAL;

  private final NodeConfig config;
  private final Supplier<RecordStore> storeFactory;
  private final MeterRegistry registry;
  private final WebClientOptions peerClientOptions;
  private final long startNanos = System.nanoTime();
  private RecordStore store;
  private WorkerExecutor worker;
  private Node node;
  private WriteGate gate;
  private Applier applier;
  private Snapshots snapshots;
  private final ClientWaiters clients = new ClientWaiters();
  private final PendingKeys pendingKeys = new PendingKeys();
  private final RetryAttach retries = new RetryAttach(pendingKeys, clients);
  private final Duplicates duplicates = new Duplicates();
  private ParkedLogQueries parkedLogs;
  private final Map<Long, Message<Object>> reads = new HashMap<>();
  private LogQueries queries;
  private long nextRef;
  private long visibleLength;
  private long timerId = -1;
  /** When the armed timer fires (Long.MAX_VALUE: none armed). */
  private long timerAtMs = Long.MAX_VALUE;
  private boolean stopped;
  private Counter committedCounter;
  private DistributionSummary batchEntries;

  /** Test constructor: no joining (no peer client). */
  public LogVerticle(NodeConfig config, Supplier<RecordStore> storeFactory, MeterRegistry registry) {
    this(config, storeFactory, registry, new WebClientOptions());
  }

  public LogVerticle(NodeConfig config, Supplier<RecordStore> storeFactory, MeterRegistry registry,
      WebClientOptions peerClientOptions) {
    this.config = config;
    this.storeFactory = storeFactory;
    this.registry = registry;
    this.peerClientOptions = peerClientOptions;
  }

  /**
   * Starts without blocking the event loop (issue 10): the newest snapshot is read and the WAL
   * replayed on the WAL worker, the core built there too (it walks the whole log); the state
   * machine is restored and re-applies the log on a worker of its own, fed each commit record as
   * soon as the replay has verified it, so replay and re-apply overlap. Done once the state machine
   * has caught up with the replayed log: the transport and the ingress start after this.
   */
  @Override
  public Future<?> start() {
    LocalCodec.registerAll(vertx.eventBus());
    worker = vertx.createSharedWorkerExecutor("raftsimple-wal-" + config.nodeId(), 1);
    queries = new LogQueries(config);
    SnapshotStore snapshotStore = new SnapshotStore(config.dataDir().resolve("snapshots"));
    applier = new Applier(vertx.eventBus(), this::onOutcome);
    snapshots = new Snapshots(vertx, config, snapshotStore, this, registry, peerClientOptions);
    parkedLogs = new ParkedLogQueries(queries, duplicates, config.limits().requestTimeoutMs() / 2);
    applier.afterBatch = (batch, index) -> {
      snapshots.applied(batch, index);
      if (node != null) { // null while the log replayed at start is re-applied
        parkedLogs.applied(node, visibleLength, index);
      }
    };
    long t0 = System.nanoTime();
    return worker.executeBlocking(() -> snapshotStore.latest().orElse(null), true)
        .compose(snap -> {
          Future<Void> restored = restoreSnapshot(snap);
          return worker.executeBlocking(() -> Bootstrap.open(config, storeFactory, snap,
                  entries -> context.runOnContext(v -> applier.replayed(entries))), true)
              .compose(this::withMembership)
              .compose(boot -> worker.executeBlocking(() -> new Node(settings(), boot.state(),
                  new SecureRandom().nextLong(), boot.created()), true).map(n -> {
                    node = n;
                    return boot;
                  }))
              .compose(boot -> {
                LOG.log(System.Logger.Level.INFO, "node {0}: {1} in {2} ms", config.nodeId(),
                    boot.summary(), (System.nanoTime() - t0) / 1_000_000);
                store = boot.store();
                gate = new WriteGate(store, worker, context, this::release, this::sendAll,
                    records -> step(new Input.Persisted(records)), registry);
                registerMetrics();
                visibleLength = node.length();
                return restored.compose(v -> Future.<Void>future(p -> applier.whenIdle(p::complete)));
              });
        })
        .onSuccess(v -> {
          registerConsumers();
          publishMembers();
          step(new Input.Tick(nowMs()));
          LOG.log(System.Logger.Level.INFO, "node {0}: log at length {1}, head {2}, members {3}; "
              + "state machine caught up {4} ms after the log verticle started", config.nodeId(),
              node.length(), node.head().hex(), node.membership(), (System.nanoTime() - t0) / 1_000_000);
        });
  }

  /**
   * The configuration to start from: the one in the WAL or snapshot; else a founding member's from
   * its config file, or (with {@code join}, or read-only with peers) the cluster's, by joining.
   * A new one is made durable before the node is built.
   */
  private Future<Bootstrap.Opened> withMembership(Bootstrap.Opened boot) {
    if (boot.state().membership() != null) {
      return Future.succeededFuture(boot);
    }
    Future<Membership> m = config.joins() ? new Joiner(vertx, config, peerClientOptions).join()
        : Future.succeededFuture(Bootstrap.founding(config));
    return m.compose(membership -> worker.executeBlocking(() -> {
      boot.store().appendAndSync(List.of(new DurableRecord.ConfigRecord(membership)));
      boot.state().apply(new DurableRecord.ConfigRecord(membership));
      return boot.asCreated();
    }, true)).recover(e -> {
      boot.store().close();
      return Future.failedFuture(e);
    });
  }

  /**
   * Restores the state machine from the snapshot, if any (on the state machine's worker; the
   * replayed entries sent meanwhile wait behind it there), and tells the applier where the log
   * after it starts.
   */
  private Future<Void> restoreSnapshot(SnapshotFile snap) {
    if (snap == null) {
      return Future.succeededFuture();
    }
    applier.resetTo(snap.length());
    return vertx.eventBus().<Long>request(Addresses.SM_RESTORE, new BusApi.Restore(snap::openState),
        Addresses.local(600_000)).mapEmpty();
  }

  private NodeSettings settings() {
    long head = config.headTimeoutMs();
    NodeConfig.Limits l = config.limits();
    return new NodeSettings(config.nodeId(), config.initialVoters(), config.readOnly(), head,
        Math.max(20, head / 5), l.heartbeatMs(), Math.max(l.requestTimeoutMs(), 2 * head),
        l.batchEntriesMax(), l.batchBytesMax(), l.pendingEntriesMax(), l.catchUpEntriesMax());
  }

  private void registerConsumers() {
    EventBus bus = vertx.eventBus();
    bus.<BusApi.Submit>localConsumer(Addresses.LOG_SUBMIT, this::onSubmit);
    bus.<BusApi.Attach>localConsumer(Addresses.LOG_ATTACH, this::onAttach);
    bus.<BusApi.MembershipChange>localConsumer(Addresses.LOG_MEMBERSHIP, this::onMembership);
    bus.<BusApi.ReadBarrier>localConsumer(Addresses.LOG_READ_BARRIER, this::onReadBarrier);
    bus.<BusApi.Query>localConsumer(Addresses.LOG_QUERY, this::onQuery);
    bus.<BusApi.SnapshotNow>localConsumer(Addresses.LOG_SNAPSHOT, m -> snapshots.onSnapshotNow(m));
    bus.<BusApi.SnapshotFileQuery>localConsumer(Addresses.LOG_SNAPSHOT_FILE, snapshots::onFileQuery);
    bus.<raftsimple.core.msg.Message>localConsumer(Addresses.PEER_IN, m -> onPeer(m.body()));
    // The transport's view of its links becomes an input: failure is a hint the core acts on at
    // once (docs/PROTOCOL.md §15), never a fact it relies on.
    bus.<BusApi.PeerReachability>localConsumer(Addresses.PEER_REACHABILITY, m -> step(
        m.body().reachable() ? new Input.PeerUp(m.body().peerId())
            : new Input.PeerDown(m.body().peerId(), "transport")));
  }

  private void onPeer(raftsimple.core.msg.Message m) {
    // Snapshots travel over HTTP(S) (log/SnapshotDownload); the core only asks for one (docs §12).
    // These two messages of the former transfer are not for the core: an older peer's are dropped.
    if (!(m instanceof raftsimple.core.msg.Message.SnapshotRead)
        && !(m instanceof raftsimple.core.msg.Message.SnapshotData)) {
      step(new Input.Receive(m));
    }
  }

  private long nowMs() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** Runs one input through the core; a failed invariant stops the node: it is a bug, never to limp on. */
  @Override
  public void step(Input in) {
    if (stopped) {
      return;
    }
    long now = nowMs();
    Effects fx;
    try {
      fx = node.step(now, in);
    } catch (RuntimeException e) {
      Fatal.stop(Fatal.INTERNAL, "protocol core failed on " + in.getClass().getSimpleName(), e);
      return;
    }
    exportMarks();
    if (in instanceof Input.Tick) {
      clients.expire(now, "no quorum committed the entry within "
          + config.limits().requestTimeoutMs() + " ms; it may still commit later");
      parkedLogs.expire(now, applier.appliedIndex());
    }
    if (fx.snapshotFetch != null) {
      snapshots.fetch(fx.snapshotFetch);
    }
    followMembership();
    if (!fx.isEmpty()) {
      gate.submit(fx);
    }
    armTimer(now);
  }

  /**
   * Arms a one-shot timer for the core's next deadline (or the next client's request timeout, or
   * the next parked {@code /log} query's),
   * unless one fires sooner already. Each tick re-arms it, so a deadline that moved later costs
   * one early wake-up at most.
   */
  private void armTimer(long now) {
    long at = Math.min(Math.min(node.nextDeadlineMs(), clients.nextDeadlineMs()),
        parkedLogs == null ? Long.MAX_VALUE : parkedLogs.nextDeadlineMs());
    if (at >= timerAtMs) {
      return;
    }
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    timerAtMs = at;
    timerId = vertx.setTimer(Math.max(1, at - now), id -> {
      timerId = -1;
      timerAtMs = Long.MAX_VALUE;
      step(new Input.Tick(nowMs()));
    });
  }

  /**
   * A client entry. One with an idempotency key that is already in flight here joins that entry
   * (the ingress asks {@link #onAttach} first; this covers a submit that raced it); otherwise its
   * key is pending from now until the entry's outcome is applied (docs/PROTOCOL.md §10).
   */
  @SuppressWarnings("unchecked")
  private void onSubmit(Message<BusApi.Submit> m) {
    long ref = ++nextRef;
    long deadline = nowMs() + config.limits().requestTimeoutMs();
    BusApi.Submit s = m.body();
    Message<Object> reply = (Message<Object>) (Message<?>) m;
    if (s.idempotencyKey() != null) {
      Hash bodyHash = raftsimple.chain.Hashing.sha256(s.payload());
      if (retries.attach(s.idempotencyKey(), bodyHash, reply, deadline)) {
        return;
      }
      pendingKeys.submitted(ref, s.idempotencyKey(), bodyHash);
    }
    clients.add(ref, reply, deadline);
    step(new Input.Submit(ref, s.wallMs(), s.payload(), s.idempotencyKey()));
  }

  /** A retry: wait for the entry in flight with its key, or hear {@code NONE} at once. */
  @SuppressWarnings("unchecked")
  private void onAttach(Message<BusApi.Attach> m) {
    Message<Object> reply = (Message<Object>) (Message<?>) m;
    if (!retries.attach(m.body().key(), m.body().bodyHash(), reply,
        nowMs() + config.limits().requestTimeoutMs())) {
      m.reply(BusApi.NONE);
    }
  }

  /** A membership change becomes a system entry, committed like any other (docs §11). */
  @SuppressWarnings("unchecked")
  private void onMembership(Message<BusApi.MembershipChange> m) {
    Membership.Change change;
    try {
      change = MembershipRequests.toChange(m.body(), node.membership());
    } catch (MembershipRequests.Refusal e) {
      m.reply(new BusApi.SubmitOutcome(BusApi.SubmitOutcome.Kind.REFUSED, null, 0, null, null,
          e.code, e.getMessage()));
      return;
    }
    if (change == null) { // already so: answer with the current membership, write nothing
      m.reply(MembershipRequests.committed(null, node.membership()));
      return;
    }
    long ref = ++nextRef;
    clients.add(ref, (Message<Object>) (Message<?>) m, nowMs() + config.limits().requestTimeoutMs());
    step(new Input.Submit(ref, System.currentTimeMillis(),
        raftsimple.core.SystemEntries.encode(change), null));
  }

  @SuppressWarnings("unchecked")
  private void onReadBarrier(Message<BusApi.ReadBarrier> m) {
    long ref = ++nextRef;
    reads.put(ref, (Message<Object>) (Message<?>) m);
    step(new Input.ReadBarrier(ref));
  }

  private void onQuery(Message<BusApi.Query> m) {
    BusApi.Query q = m.body();
    switch (q.kind()) {
      case HEAD -> m.reply(queries.head(node, visibleLength));
      case LOG -> {
        if (q.from() < node.log().firstIndex() && node.log().baseLength() > 0) {
          m.fail(410, queries.compacted(node).toString());
        } else {
          long now = nowMs();
          parkedLogs.answer(m, node, visibleLength, applier.appliedIndex(), q.from(), q.limit(), now);
          armTimer(now); // a parked query's deadline may be the next one
        }
      }
      case CLUSTER -> m.reply(queries.cluster(node, visibleLength, nowMs()));
      case READY -> m.reply(queries.ready(node, visibleLength, applier.appliedIndex()));
      case ENTRY -> {
        Object body = Hash.isHex(q.txid())
            ? queries.entryStatus(node, visibleLength, Hash.parse(q.txid()), duplicates) : null;
        m.reply(body == null ? BusApi.NONE : body);
      }
      default -> m.fail(400, "unknown query " + q.kind());
    }
  }

  /** What an effect releases at once: messages to send now, entries to apply, client events. */
  private void release(Effects fx) {
    sendAll(fx.sendNow);
    if (!fx.committed.isEmpty()) {
      visibleLength = fx.committed.get(fx.committed.size() - 1).index();
      committedCounter.increment(fx.committed.size());
      batchEntries.record(fx.committed.size());
      applier.committed(fx.committed);
    }
    for (ClientEvent e : fx.client) {
      onClientEvent(e);
    }
  }

  private void sendAll(List<raftsimple.core.msg.Message> messages) {
    EventBus bus = vertx.eventBus();
    for (raftsimple.core.msg.Message m : messages) {
      bus.send(Addresses.PEER_OUT, m, LOCAL);
    }
  }

  private void onClientEvent(ClientEvent e) {
    if (e instanceof ClientEvent.Assigned a) {
      clients.assigned(a.ref(), a.txid());
      pendingKeys.assigned(a.ref(), a.txid());
    } else if (e instanceof ClientEvent.Refused r) {
      clients.refused(r.ref(), r.code(), r.reason());
      pendingKeys.refused(r.ref());
    } else if (e instanceof ClientEvent.ReadReady r) {
      Message<Object> m = reads.remove(r.ref());
      if (m != null) {
        m.reply(new BusApi.ReadIndex(r.length()));
      }
    } else if (e instanceof ClientEvent.ReadFailed f) {
      Message<Object> m = reads.remove(f.ref());
      if (m != null) {
        m.fail(503, f.reason());
      }
    } else if (e instanceof ClientEvent.SystemApplied s) {
      onSystemApplied(s);
    } else if (e instanceof ClientEvent.QueueDropped d) {
      for (Hash txid : d.txids()) {
        pendingKeys.released(txid); // its fate is unknown here: a retry may stamp a new entry
        clients.complete(txid, new BusApi.SubmitOutcome(BusApi.SubmitOutcome.Kind.UNAVAILABLE, txid,
            0, null, null, "UNAVAILABLE", "this node dropped its uncommitted entries (it installed a "
                + "snapshot, or left the voters); the entry may still commit: poll its status"));
      }
    }
  }

  private void onSystemApplied(ClientEvent.SystemApplied s) {
    clients.complete(s.txid(), s.ok()
        ? MembershipRequests.committed(s, node.membershipAt(s.index()))
        : new BusApi.SubmitOutcome(BusApi.SubmitOutcome.Kind.REJECTED, s.txid(), s.index(), null,
            null, "MEMBERSHIP_CONFLICT", s.reason()));
  }

  private long publishedMembership = -1;

  /**
   * The configuration at the head changed (a membership entry was appended, or a snapshot
   * installed): tell the transport at once rather than when the change is confirmed, so that new
   * members are reachable while the change itself is being confirmed (docs/PROTOCOL.md §11).
   */
  private void followMembership() {
    Membership m = node.membership();
    if (m.version() == publishedMembership) {
      return;
    }
    LOG.log(System.Logger.Level.INFO, "node {0}: membership is now {1}", config.nodeId(), m);
    if (m.get(config.nodeId()) == null) {
      LOG.log(System.Logger.Level.WARNING, "node {0} was removed from the cluster; it no longer "
          + "takes part (GET /ready answers 503)", config.nodeId());
    }
    publishMembers();
  }

  /** Tells the transport and ingress (this node only) who the members are. */
  private void publishMembers() {
    Membership m = node.membership();
    publishedMembership = m.version();
    vertx.eventBus().publish(Addresses.MEMBERS,
        new BusApi.Members(m.version(), List.copyOf(m.members().values())), LOCAL);
  }

  /**
   * An entry's outcome was applied: answer its clients (a duplicate's get the original outcome),
   * note a duplicate for {@code GET /log}, and free its key, which the replicated table now knows.
   */
  private void onOutcome(LogEntry entry, BusApi.Outcome outcome) {
    duplicates.applied(entry, outcome);
    if (!raftsimple.core.SystemEntries.isSystem(entry.entry().payload())) {
      clients.complete(entry.txid(), BusApi.SubmitOutcome.of(outcome));
      pendingKeys.released(entry.txid());
    }
  }

  @Override
  public Node node() {
    return node;
  }

  @Override
  public Applier applier() {
    return applier;
  }

  @Override
  public void compactWal(long length) {
    duplicates.dropBefore(node.log().firstIndex()); // those entries are no longer served
    // An installed snapshot moves the applied index without a batch: answer the pages it covers.
    parkedLogs.applied(node, visibleLength, applier.appliedIndex());
    worker.executeBlocking(() -> store.compactBefore(length), true).onComplete(ar -> {
      if (ar.failed()) {
        LOG.log(System.Logger.Level.WARNING, "compacting the WAL failed: {0}", String.valueOf(ar.cause()));
      } else if (ar.result() > 0) {
        LOG.log(System.Logger.Level.INFO, "node {0}: deleted {1} WAL segment(s) covered by the snapshot at {2}",
            config.nodeId(), ar.result(), length);
      }
    });
  }

  private final java.util.Set<String> exportedMarks = new java.util.HashSet<>();

  /**
   * The core's coverage marks (docs/SIMULATION.md) as {@code raftsimple_protocol_events_total
   * {event}}: how often each protocol path ran (splits, recoveries, catch-ups, forwards, ...), which
   * is what an operator needs to see why commits slow down. Registered as they first appear.
   */
  /**
   * Registers a counter for every mark hit for the first time. Called after every step (an int
   * comparison when nothing is new): ticks come only at deadlines, so a mark first hit between
   * them (e.g. a snapshot installed) would otherwise be missing from /metrics for a while.
   */
  private void exportMarks() {
    if (node.marks().distinct() == exportedMarks.size()) {
      return;
    }
    for (String mark : node.marks().snapshot().keySet()) {
      if (exportedMarks.add(mark)) {
        io.micrometer.core.instrument.FunctionCounter.builder("raftsimple_protocol_events", node,
                n -> n.marks().count(mark))
            .description("Protocol events by kind (the core's coverage marks)")
            .tag("event", mark).register(registry);
      }
    }
  }

  private void registerMetrics() {
    committedCounter = Counter.builder("raftsimple_entries_committed")
        .description("Entries committed to this node's log (durable)").register(registry);
    batchEntries = DistributionSummary.builder("raftsimple_commit_batch_entries")
        .description("Entries per committed batch (one consensus instance)")
        .serviceLevelObjectives(raftsimple.metrics.Buckets.COUNT).register(registry);
    applier.registerMetrics(registry);
    Gauge.builder("raftsimple_log_length", this, v -> v.visibleLength)
        .description("Committed log length").register(registry);
    Gauge.builder("raftsimple_log_first_index", this, v -> v.node == null ? 0 : v.node.log().firstIndex())
        .description("First log index still held (entries before it are in a snapshot)").register(registry);
    Gauge.builder("raftsimple_queued_entries", this, v -> v.node == null ? 0 : v.node.queued())
        .description("This node's client entries waiting to commit").register(registry);
    Gauge.builder("raftsimple_waiting_clients", this, v -> v.clients.size())
        .description("Client requests waiting for an outcome").register(registry);
    Gauge.builder("raftsimple_pending_idempotency_keys", this, v -> v.pendingKeys.size())
        .description("Idempotency keys of this node's entries in flight (retries attach to them)")
        .register(registry);
  }

  @Override
  public Future<?> stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    if (snapshots != null) {
      snapshots.close();
    }
    if (gate == null) {
      return closeStore();
    }
    return gate.drain().compose(v -> {
      // Nothing steps the core any more: its records could no longer be written.
      stopped = true;
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
        timerId = -1;
      }
      clients.failAll("the node is shutting down; the entry may still commit");
      for (Message<Object> m : reads.values()) {
        m.fail(503, "the node is shutting down");
      }
      if (parkedLogs != null) {
        parkedLogs.failAll("the node is shutting down");
      }
      reads.clear();
      return closeStore();
    });
  }

  private Future<?> closeStore() {
    if (store == null) {
      return Future.succeededFuture();
    }
    return worker.executeBlocking(() -> {
      store.close();
      return null;
    }, true).eventually(() -> worker.close());
  }

  /** For tests and metrics: how many committed entries are visible. */
  long visibleLength() {
    return visibleLength;
  }
}
