package raftsimple.log;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.chain.LogEntry;

/**
 * Feeds durable committed entries to the state-machine verticle in log order, one batch in flight at a time so that batches form under load, and hands each entry's
 * outcome to {@code onOutcome}. A failing state machine stops the node: replicas that skip an entry
 * would diverge.
 *
 * <p>Each applied batch is published on {@link Addresses#LOG_COMMITTED} (node-local) before its
 * outcomes are handed on, so a {@code GET /watch} stream shows an entry no later than its client's
 * reply, and a local read made after seeing it reflects it.
 */
final class Applier {
  private static final int BATCH_MAX = 4_096;
  private static final DeliveryOptions OPTIONS = Addresses.local(120_000);

  private final EventBus bus;
  private final BiConsumer<LogEntry, BusApi.Outcome> onOutcome;
  private final ArrayDeque<LogEntry> waiting = new ArrayDeque<>();
  private boolean inFlight;
  private long appliedIndex;
  /** Index of the last entry handed over (queued or in flight). */
  private long lastQueued;
  /** Entries up to here were committed before this process started ({@link #replayed}). */
  private long replayedUpTo;
  private Runnable onIdle;
  private boolean paused;
  private Runnable onStopped;
  /** When each hand-over was made: {@code (last index handed over, System.nanoTime())}, oldest first. */
  private final ArrayDeque<long[]> handedOver = new ArrayDeque<>();
  private Timer applyLag;
  /** Told about every applied batch before the next one is sent (snapshots hook in here). */
  BiConsumer<List<LogEntry>, Long> afterBatch = (batch, index) -> { };

  Applier(EventBus bus, BiConsumer<LogEntry, BusApi.Outcome> onOutcome) {
    this.bus = bus;
    this.onOutcome = onOutcome;
  }

  /** Hands over newly committed entries; ones already applied (or covered by a snapshot) are skipped. */
  void committed(List<LogEntry> entries) {
    long before = lastQueued;
    for (LogEntry e : entries) {
      if (e.index() > lastQueued) {
        waiting.addLast(e);
        lastQueued = e.index();
      }
    }
    if (lastQueued > before) {
      handedOver.addLast(new long[] {lastQueued, System.nanoTime()});
    }
    pump();
  }

  /**
   * {@code raftsimple_apply_lag_seconds}, a histogram: how long committed entries waited until the
   * state machine had applied them (per hand-over; queueing behind earlier batches included), and
   * {@code raftsimple_apply_pending_entries}: entries committed here and not yet applied.
   */
  void registerMetrics(MeterRegistry registry) {
    applyLag = Timer.builder("raftsimple_apply_lag")
        .description("Time from an entry's commit on this node until the state machine applied it")
        .serviceLevelObjectives(raftsimple.metrics.Buckets.LATENCY).register(registry);
    Gauge.builder("raftsimple_apply_pending_entries", this, a -> a.lastQueued - a.appliedIndex)
        .description("Entries committed on this node and not yet applied by its state machine")
        .register(registry);
  }

  /**
   * Hands over entries committed before this process started (the log replayed at start): applied
   * like the others, in batches of their own, but nobody waits for their outcomes, so the state
   * machine computes none (and applies them on a worker).
   */
  void replayed(List<LogEntry> entries) {
    if (!entries.isEmpty()) {
      replayedUpTo = Math.max(replayedUpTo, entries.get(entries.size() - 1).index());
    }
    committed(entries);
  }

  /**
   * The state machine was restored from a snapshot of the first {@code length} entries (only while
   * idle): entries up to it are no longer to be applied.
   */
  void resetTo(long length) {
    appliedIndex = Math.max(appliedIndex, length);
    lastQueued = Math.max(lastQueued, length);
    while (!waiting.isEmpty() && waiting.peekFirst().index() <= appliedIndex) {
      waiting.pollFirst();
    }
    while (!handedOver.isEmpty() && handedOver.peekFirst()[0] <= appliedIndex) {
      handedOver.pollFirst(); // skipped by the snapshot, never applied: no lag to record
    }
  }

  long appliedIndex() {
    return appliedIndex;
  }

  boolean idle() {
    return !inFlight && waiting.isEmpty();
  }

  /** Runs {@code r} once everything handed over so far has been applied. */
  void whenIdle(Runnable r) {
    if (idle()) {
      r.run();
    } else {
      onIdle = r;
    }
  }

  /**
   * Stops handing batches to the state machine (entries keep queueing) and runs {@code r} once the
   * batch in flight, if any, has been applied: the state machine is then quiet, e.g. to be
   * restored from a snapshot. {@link #resume} starts again.
   */
  void pause(Runnable r) {
    paused = true;
    if (!inFlight) {
      r.run();
    } else {
      onStopped = r;
    }
  }

  void resume() {
    paused = false;
    pump();
  }

  private void pump() {
    if (paused || inFlight || waiting.isEmpty()) {
      return;
    }
    boolean replay = waiting.peekFirst().index() <= replayedUpTo;
    List<LogEntry> batch = new ArrayList<>(Math.min(waiting.size(), BATCH_MAX));
    while (!waiting.isEmpty() && batch.size() < BATCH_MAX
        && (waiting.peekFirst().index() <= replayedUpTo) == replay) {
      batch.add(waiting.pollFirst());
    }
    inFlight = true;
    bus.<BusApi.ApplyResults>request(Addresses.SM_APPLY, new BusApi.ApplyBatch(batch, replay), OPTIONS)
        .onComplete(ar -> {
          if (ar.failed()) {
            Fatal.stop(Fatal.INTERNAL, "applying entries " + batch.get(0).index() + ".."
                + batch.get(batch.size() - 1).index() + " to the state machine failed", ar.cause());
            return;
          }
          BusApi.ApplyResults r = ar.result().body();
          appliedIndex = r.appliedIndex();
          recordLag();
          bus.publish(Addresses.LOG_COMMITTED,
              new BusApi.Committed(Collections.unmodifiableList(batch)), Addresses.LOCAL);
          // A replayed batch's outcomes are empty, or null but for its duplicates (their marks).
          for (int i = 0; i < batch.size() && i < r.outcomes().size(); i++) {
            if (r.outcomes().get(i) == null) {
              continue;
            }
            onOutcome.accept(batch.get(i), r.outcomes().get(i));
          }
          inFlight = false;
          afterBatch.accept(batch, appliedIndex);
          if (onStopped != null) {
            Runnable stopped = onStopped;
            onStopped = null;
            stopped.run();
          }
          pump();
          if (idle() && onIdle != null) {
            Runnable r2 = onIdle;
            onIdle = null;
            r2.run();
          }
        });
  }

  private void recordLag() {
    long now = System.nanoTime();
    while (!handedOver.isEmpty() && handedOver.peekFirst()[0] <= appliedIndex) {
      long at = handedOver.pollFirst()[1];
      if (applyLag != null) {
        applyLag.record(now - at, TimeUnit.NANOSECONDS);
      }
    }
  }
}
