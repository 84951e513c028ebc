package raftsimple.log;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.security.SecureRandom;
import java.util.function.Supplier;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.core.DurableState;
import raftsimple.core.Node;
import raftsimple.core.NodeSettings;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;

/**
 * The log / hash-chain verticle: owns the protocol core ({@link Node}) and drives it from the event
 * bus and a timer, confined to one event loop. Inputs: client submits and read barriers from the
 * ingress, peer messages from the transport, and a periodic tick with the monotonic clock (the head
 * timeout of seed 16a is one of the core's deadlines, checked on every tick). Outputs go through
 * {@link WriteGate}: records to the write-ahead log on a single storage worker, then messages to the
 * transport, committed entries to the state machine, answers to clients.
 */
public final class LogVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(LogVerticle.class.getName());
  static final long TICK_MS = 10;

  private final NodeConfig config;
  private final Supplier<RecordStore> storeFactory;
  private final MeterRegistry registry;
  private final long startNanos = System.nanoTime();
  private RecordStore store;
  private WorkerExecutor worker;
  private Node node;
  private WriteGate gate;
  private Applier applier;
  private final ClientWaiters clients = new ClientWaiters();
  private final java.util.Map<Long, Message<Object>> reads = new java.util.HashMap<>();
  private LogQueries queries;
  private long nextRef;
  private long visibleLength;
  private long timerId = -1;
  private Counter committedCounter;
  private DistributionSummary batchEntries;

  public LogVerticle(NodeConfig config, Supplier<RecordStore> storeFactory, MeterRegistry registry) {
    this.config = config;
    this.storeFactory = storeFactory;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    LocalCodec.registerAll(vertx.eventBus());
    worker = vertx.createSharedWorkerExecutor("raftsimple-wal-" + config.nodeId(), 1);
    queries = new LogQueries(config);
    return worker.executeBlocking(this::openAndReplay, true).compose(state -> {
      node = new Node(settings(), state, new SecureRandom().nextLong());
      gate = new WriteGate(store, worker, this::release, registry);
      applier = new Applier(vertx.eventBus(), this::onOutcome);
      registerMetrics();
      visibleLength = node.length();
      // Rebuild the state machine from the replayed log before serving anything.
      applier.committed(node.log().range(node.log().firstIndex(), Integer.MAX_VALUE));
      Future<Void> replayed = Future.future(p -> applier.whenIdle(p::complete));
      return replayed.onSuccess(v -> {
        registerConsumers();
        timerId = vertx.setPeriodic(TICK_MS, id -> step(new Input.Tick(nowMs())));
        step(new Input.Tick(nowMs()));
        LOG.log(System.Logger.Level.INFO, "node {0}: log at length {1}, head {2}, voters {3}",
            config.nodeId(), node.length(), node.head().hex(), node.voters());
      });
    });
  }

  private DurableState openAndReplay() {
    store = storeFactory.get();
    DurableState state = new DurableState();
    try {
      store.replay(state::apply);
    } catch (IllegalStateException e) {
      throw new ReplayFailedException("node " + config.nodeId() + ": the write-ahead log in "
          + config.dataDir() + " does not replay to a consistent state: " + e.getMessage(), e);
    }
    return state;
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
    bus.<BusApi.ReadBarrier>localConsumer(Addresses.LOG_READ_BARRIER, this::onReadBarrier);
    bus.<BusApi.Query>localConsumer(Addresses.LOG_QUERY, this::onQuery);
    bus.<raftsimple.core.msg.Message>localConsumer(Addresses.PEER_IN,
        m -> step(new Input.Receive(m.body())));
  }

  private long nowMs() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** Runs one input through the core; a failed invariant stops the node (STYLE rule 7). */
  private void step(Input in) {
    Effects fx;
    try {
      fx = node.step(in);
    } catch (RuntimeException e) {
      Fatal.stop(Fatal.INTERNAL, "protocol core failed on " + in.getClass().getSimpleName(), e);
      return;
    }
    if (in instanceof Input.Tick t) {
      clients.expire(t.nowMs(), "no quorum committed the entry within "
          + config.limits().requestTimeoutMs() + " ms; it may still commit later");
    }
    if (!fx.isEmpty()) {
      gate.submit(fx);
    }
  }

  @SuppressWarnings("unchecked")
  private void onSubmit(Message<BusApi.Submit> m) {
    long ref = ++nextRef;
    clients.add(ref, (Message<Object>) (Message<?>) m, nowMs() + config.limits().requestTimeoutMs());
    BusApi.Submit s = m.body();
    step(new Input.Submit(ref, s.wallMs(), s.payload(), s.idempotencyKey()));
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
      case LOG -> m.reply(queries.log(node, visibleLength, q.from(), q.limit()));
      case CLUSTER -> m.reply(queries.cluster(node, visibleLength, nowMs()));
      case READY -> m.reply(queries.ready(node, visibleLength, applier.appliedIndex()));
      case ENTRY -> {
        Object body = Hash.isHex(q.txid())
            ? queries.entryStatus(node, visibleLength, Hash.parse(q.txid())) : null;
        m.reply(body == null ? BusApi.NONE : body);
      }
      default -> m.fail(400, "unknown query " + q.kind());
    }
  }

  /** Effects whose records are durable: send, apply, answer. */
  private void release(Effects fx) {
    EventBus bus = vertx.eventBus();
    for (raftsimple.core.msg.Message m : fx.send) {
      bus.send(Addresses.PEER_OUT, m);
    }
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

  private void onClientEvent(ClientEvent e) {
    if (e instanceof ClientEvent.Assigned a) {
      clients.assigned(a.ref(), a.txid());
    } else if (e instanceof ClientEvent.Refused r) {
      clients.refused(r.ref(), r.code(), r.reason());
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
    }
  }

  private void onOutcome(LogEntry entry, BusApi.Outcome outcome) {
    clients.complete(entry.txid(), BusApi.SubmitOutcome.of(outcome));
  }

  private void registerMetrics() {
    committedCounter = Counter.builder("raftsimple_entries_committed")
        .description("Entries committed to this node's log (durable)").register(registry);
    batchEntries = DistributionSummary.builder("raftsimple_commit_batch_entries")
        .description("Entries per committed batch (one consensus instance)")
        .publishPercentiles(0.5, 0.99).register(registry);
    Gauge.builder("raftsimple_log_length", this, v -> v.visibleLength)
        .description("Committed log length").register(registry);
    Gauge.builder("raftsimple_queued_entries", this, v -> v.node == null ? 0 : v.node.queued())
        .description("This node's client entries waiting to commit").register(registry);
    Gauge.builder("raftsimple_waiting_clients", this, v -> v.clients.size())
        .description("Client requests waiting for an outcome").register(registry);
  }

  @Override
  public Future<?> stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    if (gate == null) {
      return closeStore();
    }
    return gate.drain().compose(v -> {
      clients.failAll("the node is shutting down; the entry may still commit");
      for (Message<Object> m : reads.values()) {
        m.fail(503, "the node is shutting down");
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

  /** For tests: the core, to inspect (never to step from outside the event loop). */
  Node node() {
    return node;
  }

  /** For tests and metrics: how many committed entries are visible. */
  long visibleLength() {
    return visibleLength;
  }
}
