package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.Verdict;

/**
 * An ingress on port 0 with plain HTTP, scripted fakes in place of the log, state machine and
 * transport verticles, and a {@link WebClient} pointed at it. Fakes are local consumers that answer
 * (or hold, or fail) each request as the test says.
 */
final class IngressFixture {
  final Vertx vertx;
  final NodeConfig config;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  IngressVerticle ingress;
  /** The bounds of GET /watch streams the ingress is deployed with. */
  WatchLimits watchLimits = WatchLimits.DEFAULTS;
  WebClient client;

  IngressFixture(Vertx vertx, NodeConfig config) {
    this.vertx = vertx;
    this.config = config;
    LocalCodec.registerAll(vertx.eventBus());
  }

  IngressFixture(Vertx vertx) {
    this(vertx, config(false, 2_000, 1 << 20, List.of()));
  }

  static NodeConfig config(boolean readOnly, long requestTimeoutMs, int bodyBytesMax, List<NodeConfig.Peer> peers) {
    NodeConfig.Limits d = NodeConfig.Limits.defaults();
    NodeConfig.Limits limits = new NodeConfig.Limits(requestTimeoutMs, bodyBytesMax, d.batchEntriesMax(),
        d.batchBytesMax(), d.pendingEntriesMax(), d.idempotencyKeysMax(), d.catchUpEntriesMax(),
        d.heartbeatMs(), d.walSegmentBytes(), d.snapshotEveryEntries(), d.snapshotEveryBytes(),
        d.snapshotRetainEntries(), d.eventLoops());
    return new NodeConfig("n1", "127.0.0.1", 0, Path.of("data"), readOnly, peers, null, "https", "kv",
        1_500, new NodeConfig.Tls(false, null, null, null), null, limits);
  }

  Future<IngressFixture> start() {
    return start(new HttpServerOptions().setHost("127.0.0.1").setPort(0), new WebClientOptions());
  }

  Future<IngressFixture> start(HttpServerOptions server, WebClientOptions clientOptions) {
    if (!faked.contains(Addresses.LOG_ATTACH)) {
      answer(Addresses.LOG_ATTACH, b -> raftsimple.bus.BusApi.NONE); // no entry in flight by default
    }
    ingress = new IngressVerticle(config, server, registry);
    ingress.watchLimits = watchLimits;
    return vertx.deployVerticle(ingress).map(id -> {
      client = WebClient.create(vertx, clientOptions.setDefaultHost("127.0.0.1")
          .setDefaultPort(ingress.actualPort()));
      return this;
    });
  }

  HttpRequest<Buffer> get(String uri) {
    return client.get(uri);
  }

  Future<io.vertx.ext.web.client.HttpResponse<Buffer>> post(String uri, String body) {
    return client.post(uri).sendBuffer(Buffer.buffer(body.getBytes(StandardCharsets.UTF_8)));
  }

  /** Addresses a test gave a fake of its own (the fixture's defaults stay off them). */
  private final java.util.Set<String> faked = new java.util.HashSet<>();

  /** A fake that answers every request at {@code address} with {@code answer(body)}; counts calls. */
  AtomicInteger answer(String address, Function<Object, Object> answer) {
    faked.add(address);
    AtomicInteger calls = new AtomicInteger();
    vertx.eventBus().localConsumer(address, (Message<Object> m) -> {
      calls.incrementAndGet();
      m.reply(answer.apply(m.body()));
    });
    return calls;
  }

  /** A fake that hands each request to {@code handler} (to hold, fail or inspect it). */
  void handle(String address, Consumer<Message<Object>> handler) {
    faked.add(address);
    vertx.eventBus().<Object>localConsumer(address, handler::accept);
  }

  AtomicInteger acceptAll() {
    return answer(Addresses.SM_VALIDATE, body -> Verdict.accept());
  }

  static Hash hash(String seed) {
    return Hashing.sha256(seed.getBytes(StandardCharsets.UTF_8));
  }

  static SubmitOutcome committed(Hash txid, long index, Hash head, com.fasterxml.jackson.databind.JsonNode result) {
    return new SubmitOutcome(SubmitOutcome.Kind.COMMITTED, txid, index, head, result, null, null);
  }

  static ObjectNode json(String text) {
    try {
      return (ObjectNode) Payloads.MAPPER.readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
