package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.Query;
import raftsimple.config.NodeConfig;

/**
 * The operator's endpoints: {@code GET /health} (the process is up; touches nothing else),
 * {@code GET /ready} (the log verticle's {@code "ready"}: 200 when true, else 503 {@code
 * NOT_READY}, with its body either way) and {@code GET /metrics} (Prometheus text).
 */
final class StatusRoutes {
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final NodeConfig config;
  private final Bus bus;
  private final PrometheusMeterRegistry registry;

  StatusRoutes(NodeConfig config, Bus bus, PrometheusMeterRegistry registry) {
    this.config = config;
    this.bus = bus;
    this.registry = registry;
  }

  void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, "/health").handler(ctx -> Replies.send(ctx, health()));
    routes.route(HttpMethod.GET, "/ready").handler(ctx -> Replies.send(ctx, ready()));
    routes.route(HttpMethod.GET, "/metrics").handler(this::metrics);
  }

  private Reply health() {
    ObjectNode body = Reply.object();
    body.put("status", "up");
    body.put("nodeId", config.nodeId());
    return Reply.ok(body);
  }

  private Future<Reply> ready() {
    Query q = new Query(Query.Kind.READY, null, 0, 0);
    return bus.request(Addresses.LOG_QUERY, q, config.limits().requestTimeoutMs(), ObjectNode.class)
        .map(StatusRoutes::readyReply);
  }

  /** 200 with the log verticle's body when ready; else 503 with that body plus an error code. */
  static Reply readyReply(ObjectNode body) {
    if (body.path("ready").asBoolean(false)) {
      return Reply.ok(body);
    }
    ObjectNode notReady = body.deepCopy();
    notReady.put("error", body.path("reason").asText("the node is not ready"));
    notReady.put("code", "NOT_READY");
    return Reply.of(503, notReady);
  }

  /** Renders the registry; a few hundred series render in well under a millisecond on the loop. */
  private void metrics(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", PROMETHEUS_TEXT).end(registry.scrape());
  }
}
