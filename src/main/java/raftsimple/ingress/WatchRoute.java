package raftsimple.ingress;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import raftsimple.config.NodeConfig;

/**
 * {@code GET /watch[?from=N][&key=K | &prefix=P]}: committed entries as Server-Sent Events, one
 * event per entry ({@code id:} its index, {@code data:} its {@code GET /log} JSON). Where it starts:
 *
 * <ul>
 *   <li>{@code from=N}: at index N (410 {@code COMPACTED} with {@code firstIndex} when N is below
 *       the retained log, as {@code GET /log});
 *   <li>header {@code Last-Event-ID: I} (sent by a reconnecting EventSource): after index I. With
 *       {@code from} too, the later of the two: a stream never shows entries before {@code from},
 *       and never one the client has already seen;
 *   <li>neither: after the current end of the log (new entries only).
 * </ul>
 *
 * Parameters are checked here (400 naming the bad one); {@link Watcher} runs the stream.
 */
final class WatchRoute {
  static final String PATH = "/watch";
  static final String LAST_EVENT_ID = "Last-Event-ID";
  /** Highest accepted index: far beyond any log, and safe from overflow when one is added. */
  static final long INDEX_MAX = Long.MAX_VALUE / 4;

  private final NodeConfig config;
  private final Bus bus;
  private final WatchFeed feed;

  WatchRoute(NodeConfig config, Bus bus, WatchFeed feed) {
    this.config = config;
    this.bus = bus;
    this.feed = feed;
  }

  void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, PATH).handler(this::watch);
  }

  private void watch(RoutingContext ctx) {
    Long from;
    WatchFilter filter;
    try {
      from = start(ctx);
      filter = WatchFilter.of(ctx.queryParam("key"), ctx.queryParam("prefix"));
    } catch (IllegalArgumentException e) {
      Replies.send(ctx, Errors.badRequest(e.getMessage()));
      return;
    }
    Watcher w = new Watcher(feed, bus, ctx, filter, config.limits().requestTimeoutMs());
    feed.ready().onComplete(ar -> {
      if (ar.failed()) {
        Replies.send(ctx, Errors.unavailable("the node is not ready to stream its log"));
      } else {
        w.start(from);
      }
    });
  }

  /** The first index to send, or null for "after the current end". */
  static Long start(RoutingContext ctx) {
    long from = ReadRoutes.longParam(ctx, "from", -1, 1, INDEX_MAX);
    String header = ctx.request().getHeader(LAST_EVENT_ID);
    long resume = -1;
    if (header != null && !header.isBlank()) {
      try {
        resume = Long.parseLong(header.trim()) + 1;
      } catch (NumberFormatException e) {
        resume = -1;
      }
      if (resume < 1 || resume > INDEX_MAX) {
        throw new IllegalArgumentException(LAST_EVENT_ID + " must be the id of an event of this "
            + "stream: a log index from 0 to " + (INDEX_MAX - 1));
      }
    }
    long start = Math.max(from, resume);
    return start < 1 ? null : start;
  }
}
