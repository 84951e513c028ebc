package raftsimple.log;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;

/**
 * Carries out the core's effects in the durability order of docs/PROTOCOL.md §6 ("a message leaves
 * only after every write issued before it is durable"), with group commit: at most one write is in
 * flight on the single storage worker; records produced meanwhile wait and go together in the next
 * write, sharing one fsync. Everything else an {@link Effects} carries is held until every record
 * issued up to and including its own step is durable, then released in step order.
 *
 * <p>Confined to the log verticle's event loop; only {@link RecordStore#appendAndSync} runs on the
 * worker.
 */
final class WriteGate {
  private record Held(long seq, Effects effects) {}

  private final RecordStore store;
  private final WorkerExecutor worker;
  private final Consumer<Effects> release;
  private final Timer fsyncTimer;
  private final DistributionSummary writeRecords;
  private List<DurableRecord> pending = new ArrayList<>();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private long issued;
  private long durable;
  private boolean writing;
  private Promise<Void> drained;

  WriteGate(RecordStore store, WorkerExecutor worker, Consumer<Effects> release, MeterRegistry registry) {
    this.store = store;
    this.worker = worker;
    this.release = release;
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
      issued++;
    }
    boolean rest = !fx.send.isEmpty() || !fx.committed.isEmpty() || !fx.client.isEmpty();
    if (rest) {
      if (issued <= durable) {
        release.accept(fx);
      } else {
        held.addLast(new Held(issued, fx));
      }
    }
    flush();
  }

  private void flush() {
    if (writing || pending.isEmpty()) {
      if (!writing && drained != null) {
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
          while (!held.isEmpty() && held.peekFirst().seq <= durable) {
            release.accept(held.pollFirst().effects);
          }
          flush();
        });
  }

  /** Completes once every record submitted so far is durable and its effects released. */
  Future<Void> drain() {
    drained = Promise.promise();
    flush();
    return drained.future();
  }
}
