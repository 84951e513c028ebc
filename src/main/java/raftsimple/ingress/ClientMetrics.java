package raftsimple.ingress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Client API meters on the node's registry: {@code raftsimple_client_requests_total{route,status}}
 * and the latency timer {@code raftsimple_client_request_latency_seconds{route}}, a histogram with
 * the fixed buckets of {@link raftsimple.metrics.Buckets#LATENCY} (0.5 ms .. 60 s): quantiles come
 * from {@code histogram_quantile} over its buckets, which aggregate across nodes. {@code route} is
 * the path template ({@code /kv/:key}), or {@value #UNMATCHED} for requests no route took (404,
 * 405), so the number of series is bounded by the routes times the statuses they answer.
 *
 * <p>A streaming route ({@code GET /watch}) is counted when its stream ends but is not timed: how
 * long a client chose to watch is not a latency.
 *
 * <p>These replace Vert.x's own request meters ({@code vertx_http_server_requests_total},
 * {@code ..._response_time_seconds}), which {@code app.Metrics} turns off: those count by method
 * and status only and time as a summary, so they duplicate these and aggregate worse.
 *
 * <p>Meters are cached per verticle; all calls run on the ingress's event loop.
 */
final class ClientMetrics {
  static final String REQUESTS = "raftsimple.client.requests";
  static final String LATENCY = "raftsimple.client.request.latency";
  static final String UNMATCHED = "unmatched";
  /** Route templates whose responses are streams: counted, not timed. */
  static final java.util.Set<String> STREAMING = java.util.Set.of(WatchRoute.PATH);
  private static final String ROUTE_KEY = "raftsimple.route";

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new HashMap<>();
  private final Map<String, Timer> timers = new HashMap<>();

  ClientMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Labels the request with its route template; the first handler of every route. */
  static void tag(RoutingContext ctx, String template) {
    ctx.put(ROUTE_KEY, template);
  }

  /** The router's first handler: measures the request until its response ends (or fails). */
  void begin(RoutingContext ctx) {
    long startNanos = System.nanoTime();
    ctx.addEndHandler(done -> {
      String route = ctx.get(ROUTE_KEY, UNMATCHED);
      int status = ctx.response().getStatusCode();
      record(route, status, System.nanoTime() - startNanos);
    });
    ctx.next();
  }

  void record(String route, int status, long elapsedNanos) {
    String key = route + ' ' + status;
    counters.computeIfAbsent(key, k -> Counter.builder(REQUESTS)
            .description("Client API requests answered, by route template and HTTP status")
            .tags("route", route, "status", Integer.toString(status))
            .register(registry))
        .increment();
    if (STREAMING.contains(route)) {
      return;
    }
    timers.computeIfAbsent(route, r -> Timer.builder(LATENCY)
            .description("Client API request latency, by route template")
            .tags("route", r)
            .serviceLevelObjectives(raftsimple.metrics.Buckets.LATENCY)
            .register(registry))
        .record(elapsedNanos, TimeUnit.NANOSECONDS);
  }
}
