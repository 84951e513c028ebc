package raftsimple.ingress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.chain.LogEntry;

/**
 * The live end of every {@code GET /watch} stream of this node: one consumer of {@link
 * Addresses#LOG_COMMITTED} that hands each applied batch to every open {@link Watcher}, and one
 * timer that lets each write its keep-alive and notice a stalled connection. Events are made once
 * per batch and shared. Meters: {@code raftsimple_watch_streams} (open streams), {@code
 * raftsimple_watch_streams_catching_up} (those reading from the log), {@code
 * raftsimple_watch_held_entries} (entries held for them, bounded per stream by {@link WatchLimits})
 * and {@code raftsimple_watch_streams_ended_total{reason}}. Confined to the ingress's event loop.
 */
final class WatchFeed {
  private final Vertx vertx;
  private final WatchLimits limits;
  private final MeterRegistry registry;
  private final MessageConsumer<BusApi.Committed> consumer;
  private final Set<Watcher> watchers = new LinkedHashSet<>();
  private final Map<String, Counter> ended = new HashMap<>();
  private long timerId = -1;

  WatchFeed(Vertx vertx, WatchLimits limits, MeterRegistry registry) {
    this.vertx = vertx;
    this.limits = limits;
    this.registry = registry;
    this.consumer = vertx.eventBus().localConsumer(Addresses.LOG_COMMITTED, m -> onCommitted(m.body()));
    Gauge.builder("raftsimple_watch_streams", watchers, Set::size)
        .description("Open GET /watch streams on this node").register(registry);
    Gauge.builder("raftsimple_watch_streams_catching_up", watchers,
            ws -> ws.stream().filter(Watcher::catchingUp).count())
        .description("GET /watch streams reading entries from the log (not yet, or no longer, live)")
        .register(registry);
    Gauge.builder("raftsimple_watch_held_entries", watchers,
            ws -> ws.stream().mapToInt(Watcher::held).sum())
        .description("Entries held in memory for GET /watch streams, waiting to be written")
        .register(registry);
  }

  /** Completes once the live consumer is registered: a watcher added after it misses nothing. */
  Future<Void> ready() {
    return consumer.completion();
  }

  WatchLimits limits() {
    return limits;
  }

  Vertx vertx() {
    return vertx;
  }

  void add(Watcher w) {
    watchers.add(w);
    if (timerId < 0) {
      long period = Math.max(10, Math.min(limits.keepAliveMs(), limits.stallMsMax()) / 4);
      timerId = vertx.setPeriodic(period, id -> tick());
    }
  }

  /** {@code reason} labels the end: client_closed, slow_consumer, compacted, shutdown, failed. */
  void remove(Watcher w, String reason) {
    if (!watchers.remove(w)) {
      return;
    }
    ended.computeIfAbsent(reason, r -> Counter.builder("raftsimple_watch_streams_ended")
            .description("GET /watch streams ended, by reason").tag("reason", r).register(registry))
        .increment();
    if (watchers.isEmpty() && timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  int size() {
    return watchers.size();
  }

  private void onCommitted(BusApi.Committed c) {
    if (watchers.isEmpty()) {
      return;
    }
    List<WatchEvent> events = new ArrayList<>(c.entries().size());
    for (LogEntry e : c.entries()) {
      events.add(WatchEvent.live(e));
    }
    for (Watcher w : List.copyOf(watchers)) {
      w.onLive(events);
    }
  }

  private void tick() {
    long now = System.nanoTime();
    for (Watcher w : List.copyOf(watchers)) {
      w.tick(now);
    }
  }
}
