package raftsimple.ingress;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import raftsimple.bus.LocalCodec;
import raftsimple.config.NodeConfig;

/**
 * The client API over HTTP(S) (CONTRACT "Client API"), and the entrance for peer messages sent to
 * the client port. It parses and checks requests, asks the node's other verticles over the local
 * event bus (log: {@code LOG_SUBMIT}, {@code LOG_QUERY}, {@code LOG_READ_BARRIER}; state machine:
 * {@code SM_VALIDATE}, {@code SM_READ}, {@code SM_IDEMPOTENCY}; transport: {@code
 * PEER_HTTP_INBOUND}) and turns their answers into statuses and bodies. It holds no replicated
 * state: only the idempotency keys in flight here ({@link IdempotencyGate}) and meter caches, all
 * confined to its event loop. Deploy one instance per node (the gate is per instance).
 *
 * <p>Routes live in small classes ({@link EntriesRoutes}, {@link ReadRoutes}, {@link
 * ClusterRoutes}, {@link StatusRoutes}, {@link PeerRoute}, {@link PeerSnapshotRoute}, {@link
 * WatchRoute}, {@link UiRoutes}); every error body is built by {@link Errors}. Bodies are read only
 * on the routes that take one, each with its limit: the client limit {@code limits.bodyBytesMax}
 * (413 {@code TOO_LARGE} above; read by {@link RawBody}, whatever the Content-Type), or {@link
 * PeerRoute#BODY_BYTES_MAX} under {@code /peer/}. {@link VersionRoute} and {@link SnapshotRoute}
 * serve {@code /version} and {@code /snapshot}.
 */
public final class IngressVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(IngressVerticle.class.getName());

  /** Routing-context key holding the body limit of the current route, for the 413 message. */
  static final String BODY_LIMIT_KEY = "raftsimple.bodyLimit";

  /** Connections with no traffic for this long are closed, unless the given options set a timeout. */
  static final int IDLE_TIMEOUT_S_MIN = 60;

  private final NodeConfig config;
  private final HttpServerOptions serverOptions;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;
  /** Bounds of GET /watch streams; tests set smaller ones before deploying. */
  WatchLimits watchLimits = WatchLimits.DEFAULTS;

  /**
   * @param serverOptions host, port and TLS (with {@code ClientAuth.REQUEST} and the cluster CA as
   *     trust when peers authenticate); copied, then compression is turned off and an idle timeout
   *     is set if it has none
   * @param registry the node's registry: client meters are added to it and {@code GET /metrics}
   *     renders it
   */
  public IngressVerticle(NodeConfig config, HttpServerOptions serverOptions, PrometheusMeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.serverOptions = Objects.requireNonNull(serverOptions, "serverOptions");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public Future<?> start() {
    LocalCodec.registerAll(vertx.eventBus());
    HttpServerOptions options = options();
    server = vertx.createHttpServer(options)
        .requestHandler(router())
        .invalidRequestHandler(Errors::invalidRequest);
    return server.listen().onSuccess(s -> LOG.log(Level.INFO, "raftsimple node " + config.nodeId()
        + " serving the client API on " + (options.isSsl() ? "https" : "http") + "://"
        + options.getHost() + ":" + s.actualPort()));
  }

  /**
   * Stops accepting connections and lets requests in flight finish: a write waits at most the request
   * timeout for its outcome, so that (plus a margin) bounds the wait before connections are closed.
   */
  @Override
  public Future<?> stop() {
    if (server == null) {
      return Future.succeededFuture();
    }
    long graceMs = config.limits().requestTimeoutMs() + EntriesRoutes.SUBMIT_MARGIN_MS;
    return server.shutdown(graceMs, TimeUnit.MILLISECONDS);
  }

  /** The port the server is bound to (useful with port 0); 0 before {@link #start()} completed. */
  public int actualPort() {
    return server == null ? 0 : server.actualPort();
  }

  private HttpServerOptions options() {
    HttpServerOptions options = new HttpServerOptions(serverOptions)
        .setCompressionSupported(false)
        .setDecompressionSupported(false)
        // Peer streams (PeerStream): one envelope per WebSocket message, as large as a POST body.
        .setMaxWebSocketMessageSize(PeerRoute.BODY_BYTES_MAX)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
    if (options.getIdleTimeout() <= 0) {
      long requestS = (config.limits().requestTimeoutMs() + 999) / 1000;
      options.setIdleTimeout((int) Math.max(IDLE_TIMEOUT_S_MIN, 2 * requestS))
          .setIdleTimeoutUnit(TimeUnit.SECONDS);
    }
    return options;
  }

  private Router router() {
    Router router = Router.router(vertx);
    ClientMetrics metrics = new ClientMetrics(registry);
    router.route().handler(metrics::begin);
    RouteFactory routes = (method, template) -> tagged(router, method, template);

    Bus bus = new Bus(vertx.eventBus());
    WritableMembers writable = new WritableMembers(config, bus);
    IdempotencyGate gate = new IdempotencyGate(Math.max(1, config.limits().pendingEntriesMax()));
    // JSON bodies are read raw, whatever their Content-Type (RawBody says why not BodyHandler).
    Handler<RoutingContext> clientBody = new RawBody(config.limits().bodyBytesMax());

    new EntriesRoutes(config, bus, writable, gate).mount(routes, clientBody);
    new ReadRoutes(config, bus).mount(routes);
    new ClusterRoutes(config, bus, writable).mount(routes, clientBody);
    new StatusRoutes(config, bus, registry).mount(routes);
    new VersionRoute(config).mount(routes);
    new SnapshotRoute(config, bus).mount(routes);
    new PeerRoute(config, bus).mount(routes, bodyHandler(PeerRoute.BODY_BYTES_MAX));
    new WatchRoute(config, bus, new WatchFeed(vertx, watchLimits, registry)).mount(routes);
    new UiRoutes().mount(routes);
    new PeerSnapshotRoute(config, bus).mount(routes);

    for (int status = 400; status <= 599; status++) {
      router.errorHandler(status, Errors::routerError);
    }
    return router;
  }

  private static Route tagged(Router router, HttpMethod method, String template) {
    return router.route(method, template).handler(ctx -> {
      ClientMetrics.tag(ctx, template);
      ctx.next();
    });
  }

  /**
   * Reads the whole body, at most {@code limitBytes} (413 beyond, answered by {@link
   * Errors#routerError} with the limit). Must come before any asynchronous step of its route: the
   * request is not paused, so body data that arrives before this handler is lost.
   */
  private static Handler<RoutingContext> bodyHandler(int limitBytes) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(limitBytes);
    return ctx -> {
      ctx.put(BODY_LIMIT_KEY, limitBytes);
      body.handle(ctx);
    };
  }
}
