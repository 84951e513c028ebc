package raftsimple.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.List;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.Query;

/**
 * One {@code GET /watch} stream (docs/WATCH.md). It sends every committed entry from index
 * {@code from} on, exactly once and in order, reading what it is missing from the log ({@code
 * LOG_QUERY} pages) and taking the rest from the live feed ({@link WatchFeed}).
 *
 * <p>Invariant: {@link #next} is the index of the next entry the client must see; every entry below
 * it was sent (or filtered out), none at or above it. An entry is sent only when its index equals
 * {@code next}, which then moves one on: nothing is sent twice, nothing skipped. Where the next
 * entry comes from does not matter: history pages and live batches may overlap or race in any order
 * (a live entry below {@code next} is dropped; a page entry below it too). When neither holds entry
 * {@code next} although the log is known to reach it ({@link #knownEnd}, from page replies and live
 * batches), the next page is asked for. This is what makes the hand-over from history to live free
 * of gaps and duplicates without ordering assumptions between the log's replies and its publishes.
 *
 * <p>Bounded: at most one history page, at most {@code heldEntriesMax} live entries (and
 * {@code heldBytesMax}); live entries beyond are dropped and later read from the log. Writing stops
 * while the response's write queue is full and resumes on drain; a connection that takes nothing
 * for {@code stallMsMax} is ended with {@code event: error} {@code SLOW_CONSUMER}.
 *
 * <p>Confined to the ingress's event loop.
 */
final class Watcher {
  private final WatchFeed feed;
  private final Bus bus;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final WatchFilter filter;
  private final WatchLimits limits;
  private final long timeoutMs;
  private final ArrayDeque<WatchEvent> history = new ArrayDeque<>();
  private final ArrayDeque<WatchEvent> live = new ArrayDeque<>();
  private long liveBytes;
  private long next;
  private long knownEnd;
  private boolean querying;
  private boolean streaming;
  private boolean closed;
  /** System.nanoTime() when writes were found blocked; 0 while they are not. */
  private long blockedSince;
  private long lastWriteNanos;

  Watcher(WatchFeed feed, Bus bus, RoutingContext ctx, WatchFilter filter, long timeoutMs) {
    this.feed = feed;
    this.bus = bus;
    this.ctx = ctx;
    this.response = ctx.response();
    this.filter = filter;
    this.limits = feed.limits();
    this.timeoutMs = timeoutMs;
  }

  /**
   * Starts the stream at {@code from}, or (null) after the current end of the log. Nothing is
   * written until the log has answered, so a refusal (410 {@code COMPACTED}, 503) is a plain HTTP
   * error.
   */
  void start(Long from) {
    feed.add(this);
    response.closeHandler(v -> gone("client_closed"));
    response.exceptionHandler(e -> gone("client_closed"));
    response.drainHandler(v -> onDrain());
    ctx.request().connection().shutdownHandler(v -> end(Errors.body("UNAVAILABLE",
        "the node is shutting down; reconnect with Last-Event-ID to this node or another"), "shutdown"));
    Future<Void> positioned = from != null ? Future.succeededFuture() : bus
        .request(Addresses.LOG_QUERY, new Query(Query.Kind.HEAD, null, 0, 0), timeoutMs, ObjectNode.class)
        .map(head -> {
          next = head.path("length").asLong() + 1;
          return null;
        });
    if (from != null) {
      next = from;
    }
    positioned.onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause());
      } else {
        query();
      }
    });
  }

  /** A live batch (contiguous, in order), shared with other watchers. */
  void onLive(List<WatchEvent> events) {
    if (closed) {
      return;
    }
    knownEnd = Math.max(knownEnd, events.get(events.size() - 1).index);
    for (WatchEvent e : events) {
      if (e.index >= next && (live.isEmpty() || e.index > live.peekLast().index)) {
        live.addLast(e);
        liveBytes += e.sizeBytes();
      }
    }
    if (live.size() > limits.heldEntriesMax() || liveBytes > limits.heldBytesMax()) {
      // Catching up, or the connection is not taking writes: the log still has them.
      live.clear();
      liveBytes = 0;
    }
    pump();
  }

  /** From the feed's timer: keep-alive, and the stalled-connection check. */
  void tick(long nowNanos) {
    if (closed || !streaming) {
      return;
    }
    if (blockedSince != 0) {
      if (!response.writeQueueFull()) {
        onDrain();
      } else if (nowNanos - blockedSince > limits.stallMsMax() * 1_000_000) {
        end(Errors.body("SLOW_CONSUMER", "the client took no data for " + limits.stallMsMax()
            + " ms; reconnect with Last-Event-ID to resume after the last event received"), "slow_consumer");
      }
      return;
    }
    if (nowNanos - lastWriteNanos >= limits.keepAliveMs() * 1_000_000) {
      write(Sse.KEEP_ALIVE);
    }
  }

  private void onDrain() {
    blockedSince = 0;
    pump();
  }

  /** Writes what can be written now, then asks for the next page if entry {@code next} is missing. */
  private void pump() {
    if (closed || !streaming) {
      return;
    }
    while (true) {
      if (response.writeQueueFull()) {
        if (blockedSince == 0) {
          blockedSince = System.nanoTime();
        }
        return;
      }
      WatchEvent e = nextEvent();
      if (e == null) {
        break;
      }
      next = e.index + 1;
      if (filter.matches(e)) {
        write(e.frame());
      }
    }
    if (!querying && history.isEmpty() && next <= knownEnd) {
      query();
    }
  }

  /** The held event with index {@link #next}, removed, or null; drops held events below it. */
  private WatchEvent nextEvent() {
    while (!history.isEmpty() && history.peekFirst().index < next) {
      history.pollFirst();
    }
    if (!history.isEmpty() && history.peekFirst().index == next) {
      return history.pollFirst();
    }
    history.clear(); // a page that does not continue at next is of no use
    while (!live.isEmpty() && live.peekFirst().index < next) {
      liveBytes -= live.pollFirst().sizeBytes();
    }
    if (!live.isEmpty() && live.peekFirst().index == next) {
      WatchEvent e = live.pollFirst();
      liveBytes -= e.sizeBytes();
      return e;
    }
    return null;
  }

  private void query() {
    querying = true;
    long from = next;
    bus.request(Addresses.LOG_QUERY, new Query(Query.Kind.LOG, null, from, limits.pageEntries()),
        timeoutMs, ObjectNode.class).onComplete(ar -> {
          querying = false;
          if (closed) {
            return;
          }
          if (ar.failed()) {
            fail(ar.cause());
          } else {
            onPage(from, ar.result());
          }
        });
  }

  private void onPage(long from, ObjectNode page) {
    long length = page.path("length").asLong();
    knownEnd = Math.max(knownEnd, length);
    JsonNode entries = page.path("entries");
    for (JsonNode n : entries) {
      WatchEvent e = WatchEvent.history((ObjectNode) n);
      if (e.index >= next) {
        history.addLast(e);
      }
    }
    if (entries.isEmpty() && from <= length) {
      // The log holds no entry at `from` although it reaches it: asking again would loop.
      end(Errors.body("UNAVAILABLE", "the log returned no entry at index " + from
          + " although its length is " + length), "failed");
      return;
    }
    if (!streaming) {
      begin();
    }
    pump();
  }

  private void begin() {
    streaming = true;
    response.setStatusCode(200).setChunked(true)
        .putHeader("Content-Type", Sse.CONTENT_TYPE)
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no"); // a buffering proxy would hold events back
    write(Sse.retry(limits.retryMs()));
  }

  private void write(String text) {
    lastWriteNanos = System.nanoTime();
    response.write(text);
  }

  /** A failed bus request: an HTTP error before the stream began, a final event after. */
  private void fail(Throwable cause) {
    Reply r = Errors.fromFailure(ctx, cause);
    String code = r.body() == null ? "" : r.body().path("code").asText();
    ObjectNode body = r.body() instanceof ObjectNode o ? o : Errors.body("UNAVAILABLE", "the log did not answer");
    if (!streaming) {
      closed = true;
      feed.remove(this, "COMPACTED".equals(code) ? "compacted" : "failed");
      Replies.send(ctx, r);
      return;
    }
    end(body, "COMPACTED".equals(code) ? "compacted" : "failed");
  }

  /**
   * Ends the stream with {@code event: error} and {@code body}; if the client does not take it
   * within {@code closeGraceMs}, the connection is closed.
   */
  private void end(ObjectNode body, String reason) {
    if (closed) {
      return;
    }
    closed = true;
    feed.remove(this, reason);
    history.clear();
    live.clear();
    if (!streaming) {
      Replies.send(ctx, Reply.of(503, body));
      return;
    }
    if (response.ended() || response.closed()) {
      return;
    }
    Future<Void> ended = response.end(Sse.error(body));
    long timer = feed.vertx().setTimer(limits.closeGraceMs(), id -> {
      if (!ended.isComplete()) {
        ctx.request().connection().close();
      }
    });
    ended.onComplete(ar -> feed.vertx().cancelTimer(timer));
  }

  private void gone(String reason) {
    if (!closed) {
      closed = true;
      feed.remove(this, reason);
      history.clear();
      live.clear();
    }
  }

  /** True while this stream reads from the log: a page asked for, or one not yet written. */
  boolean catchingUp() {
    return querying || !history.isEmpty();
  }

  /** Entries held for this stream (a history page's rest and live ones), for the meter. */
  int held() {
    return history.size() + live.size();
  }
}
