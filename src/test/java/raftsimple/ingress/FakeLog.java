package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.EntryJson;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/**
 * Stands in for the log verticle of one node, as {@code GET /watch} sees it: it answers {@code
 * LOG_QUERY} HEAD and LOG like {@code log.LogQueries} (including 410 {@code COMPACTED} below the
 * first retained index) and publishes applied entries on {@code LOG_COMMITTED}. As in the real
 * node, an entry is visible to queries as soon as it is committed and is published a little later
 * (once applied); here both the query answers and the publishes may be delayed at random (seeded),
 * so that history pages and live batches race. Everything runs on one context of its own; the test
 * thread calls in with {@link #call}.
 */
final class FakeLog {
  private final Vertx vertx;
  private final Context context;
  private final SplittableRandom random;
  private int replyDelayMsMax;
  private int publishDelayMsMax;
  /** {@code entries.get(i)} has index {@code i + 1}; the first {@code visible} are committed. */
  private final List<LogEntry> entries = new ArrayList<>();
  private long visible;
  private long published;
  private long firstIndex = 1;
  private Future<Void> publishing = Future.succeededFuture();
  final AtomicInteger logQueries = new AtomicInteger();


  FakeLog(Vertx vertx, long seed, int replyDelayMsMax, int publishDelayMsMax) throws Exception {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.random = new SplittableRandom(seed);
    this.replyDelayMsMax = replyDelayMsMax;
    this.publishDelayMsMax = publishDelayMsMax;
    call(() -> vertx.eventBus().<BusApi.Query>localConsumer(Addresses.LOG_QUERY, this::onQuery).completion())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Runs {@code task} on the fake's context and waits for it. */
  <T> T call(Callable<T> task) throws Exception {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        p.complete(task.call());
      } catch (Exception e) {
        p.fail(e);
      }
    });
    return p.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** From now on, answers and publishes are delayed by at most these many milliseconds. */
  void delays(int replyMsMax, int publishMsMax) throws Exception {
    call(() -> {
      replyDelayMsMax = replyMsMax;
      publishDelayMsMax = publishMsMax;
      return null;
    });
  }

  /** Commits one entry per payload (visible at once) and publishes them as one batch, later. */
  List<LogEntry> commit(String... payloads) throws Exception {
    return call(() -> {
      List<LogEntry> batch = append(payloads);
      publishLater(batch);
      return batch;
    });
  }

  /** Commits {@code n} entries {@code {"op":"put","key":"k<index>","value":<index>}}. */
  List<LogEntry> commitPuts(int n) throws Exception {
    return call(() -> {
      List<LogEntry> batch = append(puts(n));
      publishLater(batch);
      return batch;
    });
  }

  /**
   * Commits {@code n} puts that this node never applies, as when it installs a snapshot covering
   * them: the log then starts after them, and they are never published.
   */
  void commitCoveredBySnapshot(int n) throws Exception {
    call(() -> {
      append(puts(n));
      firstIndex = entries.size() + 1;
      published = entries.size();
      return null;
    });
  }

  private String[] puts(int n) {
    String[] payloads = new String[n];
    for (int i = 0; i < n; i++) {
      long index = entries.size() + i + 1;
      payloads[i] = "{\"op\":\"put\",\"key\":\"k" + index + "\",\"value\":" + index + "}";
    }
    return payloads;
  }

  private List<LogEntry> append(String... payloads) {
    List<LogEntry> batch = new ArrayList<>();
    for (String p : payloads) {
      Hash prev = entries.isEmpty() ? Hash.ZERO : entries.get(entries.size() - 1).hash();
      Entry e = Entry.create(1_700_000_000_000L + entries.size(), "n1", p.getBytes(StandardCharsets.UTF_8), null);
      LogEntry le = LogEntry.chain(entries.size() + 1, prev, e);
      entries.add(le);
      batch.add(le);
    }
    visible = entries.size();
    return batch;
  }

  /** The last index published so far. */
  long published() throws Exception {
    return call(() -> published);
  }

  List<LogEntry> entries() throws Exception {
    return call(() -> List.copyOf(entries));
  }

  private void publishLater(List<LogEntry> batch) {
    long delay = publishDelayMsMax == 0 ? 0 : random.nextInt(publishDelayMsMax + 1);
    publishing = publishing.compose(v -> {
      Promise<Void> done = Promise.promise();
      Runnable publish = () -> {
        List<LogEntry> fresh = batch.stream().filter(e -> e.index() > published).toList();
        if (!fresh.isEmpty()) {
          published = fresh.get(fresh.size() - 1).index();
          vertx.eventBus().publish(Addresses.LOG_COMMITTED,
              new BusApi.Committed(Collections.unmodifiableList(fresh)), Addresses.LOCAL);
        }
        done.complete();
      };
      if (delay == 0) {
        context.runOnContext(x -> publish.run());
      } else {
        vertx.setTimer(delay, id -> publish.run());
      }
      return done.future();
    });
  }

  private void onQuery(Message<BusApi.Query> m) {
    BusApi.Query q = m.body();
    Runnable answer = () -> {
      if (q.kind() == BusApi.Query.Kind.HEAD) {
        ObjectNode o = Reply.object();
        o.put("head", head().hex()).put("length", visible).put("nodeId", "n1");
        m.reply(o);
      } else if (q.kind() == BusApi.Query.Kind.LOG) {
        logQueries.incrementAndGet();
        if (q.from() < firstIndex && firstIndex > 1) {
          ObjectNode c = Reply.object();
          c.put("code", "COMPACTED").put("error", "entries before index " + firstIndex
              + " were compacted into a snapshot").put("firstIndex", firstIndex);
          m.fail(410, c.toString());
          return;
        }
        ObjectNode o = Reply.object();
        ArrayNode list = o.putArray("entries");
        for (long i = Math.max(q.from(), firstIndex); i <= Math.min(visible, q.from() + q.limit() - 1); i++) {
          list.add(EntryJson.of(entries.get((int) i - 1)));
        }
        o.put("head", head().hex()).put("length", visible);
        m.reply(o);
      } else {
        m.fail(400, "the fake log answers HEAD and LOG only");
      }
    };
    long delay = replyDelayMsMax == 0 ? 0 : random.nextInt(replyDelayMsMax + 1);
    if (delay == 0) {
      answer.run();
    } else {
      vertx.setTimer(delay, id -> answer.run());
    }
  }

  private Hash head() {
    return visible == 0 ? Hash.ZERO : entries.get((int) visible - 1).hash();
  }
}
