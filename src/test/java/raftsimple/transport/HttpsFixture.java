package raftsimple.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;
import raftsimple.ingress.IngressVerticle;
import raftsimple.transport.https.HttpsTransportVerticle;

/**
 * Three nodes of the HTTPS transport: per node a Vert.x with the real ingress (which serves
 * {@code /peer/stream} and {@code /peer/messages} with mutual TLS, on a free port picked by the
 * first start and kept across restarts) and the HTTPS transport verticle. n4's URL points at a port
 * nobody listens on.
 */
final class HttpsFixture implements TransportFixture {
  private final Map<String, Vertx> vertxes = new TreeMap<>();
  private final Map<String, Integer> ports = new TreeMap<>();
  private final Map<String, MeterRegistry> registries = new TreeMap<>();
  private Path dir;
  private Path certs;
  private Path strangerCerts;

  @Override
  public void start(Path dir) throws Exception {
    this.dir = dir;
    certs = TestCerts.generate(dir.resolve("certs"), "n1", "n2", "n3", "n4");
    strangerCerts = TestCerts.generate(dir.resolve("stranger"), "n1"); // another CA, same name
    for (String n : RUNNING) {
      ports.put(n, startIngress(n, 0));
    }
    ports.put(DOWN, TestCerts.freePort());
    for (String n : RUNNING) {
      startTransport(n);
    }
  }

  /** {@code n}'s ingress on {@code port} (0: any; a new Vert.x if it has none); returns the port. */
  private int startIngress(String n, int port) throws Exception {
    Vertx v = vertxes.computeIfAbsent(n, k -> Vertx.vertx());
    NodeConfig serverConfig = config(n, new JsonArray(), port);
    IngressVerticle ingress = new IngressVerticle(serverConfig,
        TlsMaterial.load(serverConfig).serverOptions(serverConfig),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    await(v.deployVerticle(ingress));
    return ingress.actualPort();
  }

  private void startTransport(String n) throws Exception {
    JsonArray peers = new JsonArray();
    for (String p : ALL) {
      if (!p.equals(n)) {
        peers.add(new JsonObject().put("id", p).put("url", url(p)));
      }
    }
    NodeConfig c = config(n, peers, 0);
    MeterRegistry registry = new SimpleMeterRegistry();
    registries.put(n, registry);
    await(vertxes.get(n).deployVerticle(
        new HttpsTransportVerticle(c, TlsMaterial.load(c).peerClientOptions(), registry)));
  }

  private NodeConfig config(String n, JsonArray peers, int port) {
    return ConfigParser.parse(new JsonObject()
        .put("nodeId", n).put("host", "127.0.0.1").put("port", port)
        .put("dataDir", dir.resolve("data-" + n).toString())
        .put("peers", peers)
        .put("tls", new JsonObject()
            .put("certPath", certs.resolve(n + ".crt").toString())
            .put("keyPath", certs.resolve(n + ".key").toString())
            .put("caPath", certs.resolve("ca.crt").toString())), Map.of(), dir);
  }

  String url(String n) {
    return "https://127.0.0.1:" + ports.get(n);
  }

  int port(String n) {
    return ports.get(n);
  }

  Path certs() {
    return certs;
  }

  Path strangerCerts() {
    return strangerCerts;
  }

  @Override
  public Vertx vertx(String node) {
    return vertxes.get(node);
  }

  @Override
  public MeterRegistry registry(String node) {
    return registries.get(node);
  }

  @Override
  public void stop(String node) throws Exception {
    await(vertxes.remove(node).close());
  }

  /** As a node starts: the transport first, the ingress (and so the peer port) last. */
  @Override
  public void restart(String node) throws Exception {
    vertxes.put(node, Vertx.vertx());
    startTransport(node);
    startIngress(node, ports.get(node));
  }

  @Override
  public Future<Void> injectAsMember(String target, Buffer body) {
    return post(WebClient.create(vertx("n1"), memberOptions("n1")), target, body);
  }

  /** The peer-client options of {@code node}: its certificate, the cluster CA. */
  WebClientOptions memberOptions(String node) {
    return TlsMaterial.load(config(node, new JsonArray(), 0)).peerClientOptions();
  }

  /** Willing to talk (trusts any server) with a certificate for "n1" from another CA. */
  @Override
  public Future<Void> injectAsStranger(String target, Buffer body) {
    WebClientOptions options = new WebClientOptions().setSsl(true).setTrustAll(true)
        .setVerifyHost(false).setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(strangerCerts.resolve("n1.crt").toString())
            .setKeyPath(strangerCerts.resolve("n1.key").toString()));
    return post(WebClient.create(vertx("n1"), options), target, body)
        .compose(v -> post(WebClient.create(vertx("n1"),
            new WebClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)), target, body));
  }

  Future<Void> post(WebClient client, String target, Buffer body) {
    return client.postAbs(url(target) + "/peer/messages").timeout(5_000).sendBuffer(body)
        .eventually(() -> {
          client.close();
          return Future.succeededFuture();
        })
        .compose(r -> r.statusCode() / 100 == 2 ? Future.<Void>succeededFuture()
            : Future.failedFuture("answered " + r.statusCode() + " " + r.bodyAsString()));
  }

  /**
   * Opens a peer stream to {@code target} from n1's Vert.x, naming itself {@code claimedId},
   * with the TLS identity {@code keyCert} (null: no client certificate), trusting the cluster CA.
   */
  Future<WebSocket> openStream(String target, String claimedId, PemKeyCertOptions keyCert) {
    WebSocketClientOptions o = new WebSocketClientOptions().setSsl(true).setVerifyHost(false)
        .setTrustOptions(new PemTrustOptions().addCertPath(certs.resolve("ca.crt").toString()));
    if (keyCert != null) {
      o.setKeyCertOptions(keyCert);
    }
    WebSocketClient client = vertx("n1").createWebSocketClient(o);
    return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port(target))
            .setSsl(true).setURI("/peer/stream").addHeader("raftsimple-node", claimedId))
        .onFailure(e -> client.close());
  }

  PemKeyCertOptions keyCert(Path dir, String node) {
    return new PemKeyCertOptions().setCertPath(dir.resolve(node + ".crt").toString())
        .setKeyPath(dir.resolve(node + ".key").toString());
  }

  @Override
  public void close() throws Exception {
    for (Vertx v : vertxes.values()) {
      await(v.close());
    }
    vertxes.clear();
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
