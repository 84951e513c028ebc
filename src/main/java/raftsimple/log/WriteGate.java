package raftsimple.log;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Message;

/**
 * Carries out the core's effects in the order docs/PROTOCOL.md §6 asks for, with zero-linger group
 * commit. Records are written on the single storage worker, at most one write in flight; every
 * record issued during one event-loop turn, and while a write is in flight, goes in the next write
 * and shares its fsync. What an {@link Effects} says may leave now leaves now; its
 * {@code sendAfterPersist} messages wait until every record issued up to and including their step
 * is durable. When a write completes the core is told first ({@code Persisted}, which may release
 * what it held), then the waiting messages leave in step order.
 *
 * <p>Confined to the log verticle's event loop; only {@link RecordStore#appendAndSync} runs on the
 * worker.
 */
final class WriteGate {
  /** Messages that leave once record {@code barrier} is durable. */
  private record Held(long barrier, List<Message> messages) {}

  private final RecordStore store;
  private final WorkerExecutor worker;
  private final Context context;
  private final Consumer<Effects> releaseNow;
  private final Consumer<List<Message>> sendLater;
  private final LongConsumer persisted;
  private final Timer fsyncTimer;
  private final DistributionSummary writeRecords;
  private List<DurableRecord> pending = new ArrayList<>();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** Records issued by the core so far, and how many of them are durable (the core's numbering). */
  private long issued;
  private long durable;
  private boolean writing;
  private boolean flushScheduled;
  private Promise<Void> drained;

  /**
   * @param releaseNow carries out an effect's sends, entries to apply and client events now
   * @param sendLater sends messages whose records became durable
   * @param persisted tells the core how many records are durable ({@code Input.Persisted})
   */
  WriteGate(RecordStore store, WorkerExecutor worker, Context context, Consumer<Effects> releaseNow,
      Consumer<List<Message>> sendLater, LongConsumer persisted, MeterRegistry registry) {
    this.store = store;
    this.worker = worker;
    this.context = context;
    this.releaseNow = releaseNow;
    this.sendLater = sendLater;
    this.persisted = persisted;
    this.fsyncTimer = Timer.builder("raftsimple_wal_fsync")
        .description("Time to fsync one group-committed write to the write-ahead log")
        .serviceLevelObjectives(raftsimple.metrics.Buckets.FSYNC).register(registry);
    this.writeRecords = DistributionSummary.builder("raftsimple_wal_write_records")
        .description("Durable records per group-committed write (group-commit batch size)")
        .serviceLevelObjectives(raftsimple.metrics.Buckets.COUNT).register(registry);
  }

  void submit(Effects fx) {
    if (!fx.persist.isEmpty()) {
      pending.addAll(fx.persist);
      issued += fx.persist.size();
      scheduleFlush();
    }
    releaseNow.accept(fx);
    if (!fx.sendAfterPersist.isEmpty()) {
      if (issued <= durable) {
        sendLater.accept(fx.sendAfterPersist);
      } else {
        held.addLast(new Held(issued, fx.sendAfterPersist));
      }
    }
  }

  /** Zero linger: the write starts at the end of this event-loop turn, with everything issued in it. */
  private void scheduleFlush() {
    if (!flushScheduled && !writing) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        flush();
      });
    }
  }

  private void flush() {
    if (writing || pending.isEmpty()) {
      if (!writing && drained != null && pending.isEmpty()) {
        drained.tryComplete();
      }
      return;
    }
    writing = true;
    List<DurableRecord> batch = pending;
    pending = new ArrayList<>();
    long upTo = issued;
    worker.executeBlocking(() -> store.appendAndSync(batch), true)
        .onComplete(ar -> {
          writing = false;
          if (ar.failed()) {
            Fatal.stop(Fatal.IO, "writing the write-ahead log failed", ar.cause());
            return;
          }
          fsyncTimer.record(ar.result(), TimeUnit.NANOSECONDS);
          writeRecords.record(batch.size());
          durable = upTo;
          persisted.accept(durable);
          while (!held.isEmpty() && held.peekFirst().barrier <= durable) {
            sendLater.accept(held.pollFirst().messages);
          }
          flush();
        });
  }

  /** Completes once every record submitted so far is durable and its messages released. */
  Future<Void> drain() {
    drained = Promise.promise();
    flush();
    return drained.future();
  }
}
