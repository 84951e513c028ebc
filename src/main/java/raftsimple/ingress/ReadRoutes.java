package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.BusApi.Query;
import raftsimple.bus.BusApi.Read;
import raftsimple.bus.BusApi.ReadBarrier;
import raftsimple.bus.BusApi.ReadIndex;
import raftsimple.bus.BusApi.ReadResult;
import raftsimple.chain.Hash;
import raftsimple.config.NodeConfig;

/**
 * The read side of the client API (CONTRACT "Reads"): {@code GET /kv/{key}}, {@code GET
 * /entries/{txid}}, {@code GET /log}, {@code GET /head}. Parameters are checked here (400 naming
 * the parameter); the state machine and the log verticle answer.
 *
 * <p>A linearizable read first asks the log verticle for a read index ({@code LOG_READ_BARRIER}: the
 * log length that reflects every entry committed before the request arrived, anywhere), then reads
 * the state once it has applied that far ({@code SM_READ} with {@code minIndex}). Both steps share
 * one deadline of {@code requestTimeoutMs}.
 */
final class ReadRoutes {
  /** Longest key accepted, in UTF-8 bytes. */
  static final int KEY_BYTES_MAX = 1024;
  static final int LOG_LIMIT_MAX = 1000;
  static final int LOG_LIMIT_DEFAULT = 100;

  private final NodeConfig config;
  private final Bus bus;

  ReadRoutes(NodeConfig config, Bus bus) {
    this.config = config;
    this.bus = bus;
  }

  void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, "/kv/")
        .handler(ctx -> Replies.send(ctx, Errors.badRequest("the key is empty")));
    routes.route(HttpMethod.GET, "/kv/:key").handler(ctx -> Replies.send(ctx, kv(ctx)));
    routes.route(HttpMethod.GET, "/entries/:txid").handler(ctx -> Replies.send(ctx, entry(ctx)));
    routes.route(HttpMethod.GET, "/log").handler(ctx -> Replies.send(ctx, log(ctx)));
    routes.route(HttpMethod.GET, "/head")
        .handler(ctx -> Replies.send(ctx, query(new Query(Query.Kind.HEAD, null, 0, 0))));
  }

  private Future<Reply> kv(RoutingContext ctx) {
    String key = ctx.pathParam("key");
    if (key == null || key.isEmpty()) {
      return Future.succeededFuture(Errors.badRequest("the key is empty"));
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > KEY_BYTES_MAX) {
      return Future.succeededFuture(
          Errors.badRequest("the key is longer than " + KEY_BYTES_MAX + " bytes"));
    }
    List<String> consistency = ctx.queryParam("consistency");
    if (consistency.size() > 1) {
      return Future.succeededFuture(Errors.badRequest("consistency: give it at most once"));
    }
    String mode = consistency.isEmpty() ? "local" : consistency.get(0);
    if ("local".equals(mode)) {
      return read(key, 0, timeoutMs());
    }
    if ("linearizable".equals(mode)) {
      long deadlineNanos = System.nanoTime() + timeoutMs() * 1_000_000;
      return bus.request(Addresses.LOG_READ_BARRIER, new ReadBarrier(), timeoutMs(), ReadIndex.class)
          .compose(index -> read(key, index.length(), remainingMs(deadlineNanos)));
    }
    return Future.succeededFuture(
        Errors.badRequest("consistency must be \"local\" or \"linearizable\""));
  }

  private Future<Reply> read(String key, long minIndex, long timeoutMs) {
    return bus.request(Addresses.SM_READ, new Read(key, minIndex), timeoutMs, ReadResult.class)
        .map(r -> {
          if (r.value() == null) {
            return Errors.notFound("no value for this key");
          }
          ObjectNode body = Reply.object();
          body.put("key", key);
          body.set("value", r.value());
          body.put("index", r.index());
          return Reply.ok(body);
        });
  }

  private Future<Reply> entry(RoutingContext ctx) {
    String txid = ctx.pathParam("txid");
    if (!Hash.isHex(txid)) {
      return Future.succeededFuture(Errors.badRequest("txid must be 64 lower-case hex characters"));
    }
    return bus.request(Addresses.LOG_QUERY, new Query(Query.Kind.ENTRY, txid, 0, 0), timeoutMs())
        .map(reply -> reply instanceof BusApi.Nothing
            ? Errors.notFound("no entry with this txid is known to this node")
            : Reply.ok(Bus.expect(Addresses.LOG_QUERY, reply, ObjectNode.class)));
  }

  private Future<Reply> log(RoutingContext ctx) {
    long from;
    long limit;
    try {
      from = longParam(ctx, "from", 1, 1, Long.MAX_VALUE);
      limit = longParam(ctx, "limit", LOG_LIMIT_DEFAULT, 1, LOG_LIMIT_MAX);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(Errors.badRequest(e.getMessage()));
    }
    return query(new Query(Query.Kind.LOG, null, from, (int) limit));
  }

  /** A query the log verticle answers with the body to send. */
  private Future<Reply> query(Query q) {
    return bus.request(Addresses.LOG_QUERY, q, timeoutMs(), ObjectNode.class).map(Reply::ok);
  }

  /**
   * The integer query parameter {@code name}, {@code otherwise} when absent.
   *
   * @throws IllegalArgumentException naming the parameter when it is repeated, not an integer, or
   *     outside {@code min..max}
   */
  static long longParam(RoutingContext ctx, String name, long otherwise, long min, long max) {
    List<String> values = ctx.queryParam(name);
    if (values.isEmpty()) {
      return otherwise;
    }
    String range = max == Long.MAX_VALUE ? "an integer >= " + min : "an integer from " + min + " to " + max;
    if (values.size() > 1) {
      throw new IllegalArgumentException(name + ": give it at most once");
    }
    long v;
    try {
      v = Long.parseLong(values.get(0));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be " + range);
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " must be " + range);
    }
    return v;
  }

  private long timeoutMs() {
    return config.limits().requestTimeoutMs();
  }

  private static long remainingMs(long deadlineNanos) {
    return Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
  }
}
