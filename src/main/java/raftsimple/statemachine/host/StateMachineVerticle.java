package raftsimple.statemachine.host;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.BusApi.ApplyBatch;
import raftsimple.bus.BusApi.ApplyResults;
import raftsimple.bus.BusApi.IdempotencyHit;
import raftsimple.bus.BusApi.IdempotencyLookup;
import raftsimple.bus.BusApi.Outcome;
import raftsimple.bus.BusApi.Read;
import raftsimple.bus.BusApi.ReadResult;
import raftsimple.bus.BusApi.Validate;
import raftsimple.bus.LocalCodec;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.SnapshotWriter;
import raftsimple.statemachine.StateMachine;
import raftsimple.statemachine.StateMachines;

/**
 * Owns the node's {@link AppliedState} and serves it on the local event bus: {@link
 * Addresses#SM_VALIDATE}, {@link Addresses#SM_APPLY}, {@link Addresses#SM_READ} and {@link
 * Addresses#SM_IDEMPOTENCY}. All state is confined to this verticle's event loop, which gives the
 * user's machine the single thread its contract promises.
 *
 * <p>Consumers are registered with {@code localConsumer}: with the clustered event bus a plain
 * consumer would make these addresses cluster-wide.
 *
 * <p>Reads wait for {@code minIndex}: a read is answered once {@code appliedIndex >= minIndex}, with
 * {@code index = appliedIndex}. At most {@value #WAITING_READS_MAX} reads wait (503 beyond), each at
 * most {@code readWaitMs} (then 503), so neither a flood nor a read for an index that never comes
 * can grow memory without bound.
 *
 * <p>If applying throws (a broken or non-deterministic user machine, or an out-of-order batch), the
 * state can no longer be trusted: the apply request fails with 500 "state machine failed at index N:
 * ...", the error is logged, and from then on every request to this verticle fails with 500. The log
 * verticle must stop the node when it sees that failure.
 */
public final class StateMachineVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(StateMachineVerticle.class.getName());

  /**
   * Larger batches, and every replayed one, are applied on a worker ({@link #offLoop}): a batch
   * this size costs about a millisecond on the loop when warm.
   */
  static final int ON_LOOP_ENTRIES_MAX = 256;

  /** Most reads waiting for a future index at once. */
  public static final int WAITING_READS_MAX = 10_000;
  /** How long a read waits for its index when no config says otherwise. */
  public static final long READ_WAIT_MS_DEFAULT = 5_000;

  private final AppliedState state;
  private final long readWaitMs;
  /** Waiting reads by minIndex, then by their timeout timer's id (unique, so a timer finds its read). */
  private final TreeMap<Long, LinkedHashMap<Long, Message<Object>>> waiting = new TreeMap<>();
  private int waitingCount;
  /** Set once applying failed; every later request fails with it. */
  private String failure;
  /**
   * Requests that arrived while a snapshot is restored or a large batch applied on a worker thread
   * ({@link #offLoop}), answered in arrival order once it is done (the state is not to be touched
   * meanwhile); null when none is running.
   */
  private ArrayDeque<Runnable> held;

  /**
   * Resolves {@code config.stateMachine()} now, so a bad class name fails deployment at start.
   *
   * @throws IllegalArgumentException from {@link StateMachines#load}, naming the class and problem
   */
  public StateMachineVerticle(NodeConfig config) {
    this(
        StateMachines.load(config.stateMachine()),
        config.limits().idempotencyKeysMax(),
        config.limits().requestTimeoutMs());
  }

  public StateMachineVerticle(StateMachine machine, int idempotencyKeysMax) {
    this(machine, idempotencyKeysMax, READ_WAIT_MS_DEFAULT);
  }

  public StateMachineVerticle(StateMachine machine, int idempotencyKeysMax, long readWaitMs) {
    if (readWaitMs < 1) {
      throw new IllegalArgumentException("readWaitMs must be >= 1, got " + readWaitMs);
    }
    this.state = new AppliedState(machine, idempotencyKeysMax);
    this.readWaitMs = readWaitMs;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    LocalCodec.registerAll(bus);
    List<Future<Void>> ready = new ArrayList<>();
    ready.add(listen(bus, Addresses.SM_VALIDATE, this::onValidate));
    ready.add(listen(bus, Addresses.SM_APPLY, this::onApply));
    ready.add(listen(bus, Addresses.SM_READ, this::onRead));
    ready.add(listen(bus, Addresses.SM_IDEMPOTENCY, this::onIdempotency));
    ready.add(listen(bus, Addresses.SM_SNAPSHOT, this::onSnapshot));
    ready.add(listen(bus, Addresses.SM_RESTORE, this::onRestore));
    return Future.all(ready);
  }

  /** Answers waiting reads with 503: the verticle is going away and cannot serve them. */
  @Override
  public Future<?> stop() {
    failWaiting(503, "state machine is stopping");
    return Future.succeededFuture();
  }

  private interface Handler {
    void handle(Message<Object> m);
  }

  /** A local consumer that refuses everything once applying has failed. */
  private Future<Void> listen(EventBus bus, String address, Handler h) {
    MessageConsumer<Object> c =
        bus.localConsumer(
            address,
            m -> {
              if (held != null) {
                held.add(() -> dispatch(h, m));
              } else {
                dispatch(h, m);
              }
            });
    return c.completion();
  }

  private void dispatch(Handler h, Message<Object> m) {
    if (failure != null) {
      m.fail(500, failure);
    } else {
      h.handle(m);
    }
  }

  private void onValidate(Message<Object> m) {
    if (!(m.body() instanceof Validate v)) {
      m.fail(400, "expected " + Validate.class.getName() + ", got " + typeOf(m.body()));
      return;
    }
    try {
      m.reply(state.validate(v.payload()));
    } catch (Exception | Error e) {
      // validate changes nothing, so a failure there costs this request only.
      LOG.log(System.Logger.Level.ERROR, "state machine failed to validate a payload", e);
      m.fail(500, "state machine failed to validate: " + e);
    }
  }

  private void onApply(Message<Object> m) {
    if (!(m.body() instanceof ApplyBatch b)) {
      m.fail(400, "expected " + ApplyBatch.class.getName() + ", got " + typeOf(m.body()));
      return;
    }
    if (b.replayed() || b.entries().size() > ON_LOOP_ENTRIES_MAX) {
      // Re-applying the log at start (100k entries: seconds, cold), or a large catch-up: on a
      // worker, as a restore, with every other request held until it is done — the event loop
      // is shared with the log and the transport, which must not wait meanwhile.
      offLoop(() -> applyBatch(b), r -> {
        m.reply(r);
        answerReads();
      }, e -> failApply(m, e));
      return;
    }
    ApplyResults r;
    try {
      r = applyBatch(b);
    } catch (Exception | Error e) {
      failApply(m, e);
      return;
    }
    m.reply(r);
    answerReads();
  }

  private ApplyResults applyBatch(ApplyBatch b) {
    if (b.replayed()) {
      // Outcomes only where one is still read: a duplicate's (its mark), null elsewhere.
      return new ApplyResults(state.applyReplayed(b.entries()), state.appliedIndex());
    }
    return new ApplyResults(List.copyOf(state.apply(b.entries())), state.appliedIndex());
  }

  private void failApply(Message<Object> m, Throwable e) {
    // Errors too: a StackOverflowError or NoClassDefFoundError in user code leaves the state just as
    // untrustworthy, and the log verticle must hear about it rather than wait for a timeout.
    failure = "state machine failed at index " + (state.appliedIndex() + 1) + ": " + e;
    LOG.log(System.Logger.Level.ERROR, failure, e);
    m.fail(500, failure);
    failWaiting(500, failure);
  }

  /**
   * Runs {@code task} on a worker thread while every request that arrives meanwhile waits, then
   * answers those in arrival order: the user's machine is still called by one thread at a time, and
   * nothing sees the state half-way.
   */
  private <T> void offLoop(java.util.concurrent.Callable<T> task, java.util.function.Consumer<T> done,
      java.util.function.Consumer<Throwable> failed) {
    held = new ArrayDeque<>();
    vertx.executeBlocking(task, true).onComplete(ar -> {
      if (ar.succeeded()) {
        done.accept(ar.result());
      } else {
        failed.accept(ar.cause());
      }
      ArrayDeque<Runnable> waiting = held;
      held = null;
      while (!waiting.isEmpty()) {
        if (held != null) {
          // A held request went off the loop in turn (a restore, then a replayed batch): the
          // rest waits for it too, still in arrival order.
          held.addAll(waiting);
          break;
        }
        waiting.poll().run();
      }
    });
  }

  private void onRead(Message<Object> m) {
    if (!(m.body() instanceof Read r)) {
      m.fail(400, "expected " + Read.class.getName() + ", got " + typeOf(m.body()));
      return;
    }
    if (state.appliedIndex() >= r.minIndex()) {
      answer(m, r);
    } else if (waitingCount >= WAITING_READS_MAX) {
      m.fail(503, "too many reads waiting for the state to catch up (" + WAITING_READS_MAX + ")");
    } else {
      long timer = vertx.setTimer(readWaitMs, id -> onReadTimeout(id, r.minIndex()));
      waiting.computeIfAbsent(r.minIndex(), k -> new LinkedHashMap<>()).put(timer, m);
      waitingCount++;
    }
  }

  /**
   * Captures the state now, between two applied batches, and hands the log verticle what writes it;
   * the log writes it into the snapshot file on a worker while applies go on here.
   */
  private void onSnapshot(Message<Object> m) {
    long index = state.appliedIndex();
    SnapshotWriter writer;
    try {
      writer = state.snapshotWriter();
    } catch (Exception | Error e) {
      LOG.log(System.Logger.Level.ERROR, "state machine failed to snapshot at index " + index, e);
      m.fail(500, "state machine failed to snapshot: " + e);
      return;
    }
    m.reply(new BusApi.SnapshotCapture(index, writer::writeTo));
  }

  private void onRestore(Message<Object> m) {
    if (!(m.body() instanceof BusApi.Restore r)) {
      m.fail(400, "expected " + BusApi.Restore.class.getName() + ", got " + typeOf(m.body()));
      return;
    }
    // Decoding a large state takes seconds (a million KV keys): not on the event loop, which on a
    // small machine is shared with the ingress and the log. The state is read as a stream from the
    // snapshot file. The user's machine is still called by one thread at a time: every other
    // request waits until the restore is done.
    offLoop(() -> {
      try (java.io.InputStream in = r.source().open()) {
        state.restore(in);
      }
      return state.appliedIndex();
    }, index -> {
      m.reply(index);
      answerReads();
    }, e -> {
      if (e instanceof IllegalArgumentException) {
        m.fail(400, "snapshot refused: " + e.getMessage());
      } else if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
        // The snapshot could not be read; the machine checks its input before it changes anything.
        m.fail(400, "snapshot refused: it could not be read: " + e);
      } else {
        // Not a refusal of the bytes (checked before anything changes): the user's restore broke
        // part-way, so the state can no longer be trusted, as after a failed apply.
        LOG.log(System.Logger.Level.ERROR, "state machine failed to restore a snapshot", e);
        failure = "state machine failed to restore a snapshot: " + e;
        m.fail(500, failure);
      }
    });
  }

  private void onIdempotency(Message<Object> m) {
    if (!(m.body() instanceof IdempotencyLookup q)) {
      m.fail(400, "expected " + IdempotencyLookup.class.getName() + ", got " + typeOf(m.body()));
      return;
    }
    IdempotencyHit hit = state.lookup(q.key());
    m.reply(hit == null ? BusApi.NONE : hit);
  }

  private void answer(Message<Object> m, Read r) {
    ReadResult result;
    try {
      result = new ReadResult(r.key(), state.read(r.key()).orElse(null), state.appliedIndex());
    } catch (Exception | Error e) {
      // read changes nothing, so a failure there costs this request only.
      LOG.log(System.Logger.Level.ERROR, "state machine failed to read key " + r.key(), e);
      m.fail(500, "state machine failed to read: " + e);
      return;
    }
    m.reply(result);
  }

  /** Answers every waiting read whose index has been reached, lowest index first. */
  private void answerReads() {
    while (!waiting.isEmpty() && waiting.firstKey() <= state.appliedIndex()) {
      for (Map.Entry<Long, Message<Object>> w : waiting.pollFirstEntry().getValue().entrySet()) {
        vertx.cancelTimer(w.getKey());
        waitingCount--;
        answer(w.getValue(), (Read) w.getValue().body());
      }
    }
  }

  private void onReadTimeout(long timer, long minIndex) {
    LinkedHashMap<Long, Message<Object>> atIndex = waiting.get(minIndex);
    Message<Object> m = atIndex == null ? null : atIndex.remove(timer);
    if (m == null) {
      return; // answered in the meantime
    }
    if (atIndex.isEmpty()) {
      waiting.remove(minIndex);
    }
    waitingCount--;
    m.fail(503, "state has not reached index " + minIndex + " within " + readWaitMs + " ms (applied through "
        + state.appliedIndex() + ")");
  }

  private void failWaiting(int code, String why) {
    for (LinkedHashMap<Long, Message<Object>> atIndex : waiting.values()) {
      for (Map.Entry<Long, Message<Object>> w : atIndex.entrySet()) {
        vertx.cancelTimer(w.getKey());
        w.getValue().fail(code, why);
      }
    }
    waiting.clear();
    waitingCount = 0;
  }

  private static String typeOf(Object body) {
    return body == null ? "null" : body.getClass().getName();
  }
}
