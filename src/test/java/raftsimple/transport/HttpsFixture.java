package raftsimple.transport;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
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
 * {@code /peer/messages} with mutual TLS on port 0) and the HTTPS transport verticle. n4's URL
 * points at a port nobody listens on.
 */
final class HttpsFixture implements TransportFixture {
  private final Map<String, Vertx> vertxes = new TreeMap<>();
  private final Map<String, Integer> ports = new TreeMap<>();
  private Path dir;
  private Path certs;
  private Path strangerCerts;

  @Override
  public void start(Path dir) throws Exception {
    this.dir = dir;
    certs = TestCerts.generate(dir.resolve("certs"), "n1", "n2", "n3", "n4");
    strangerCerts = TestCerts.generate(dir.resolve("stranger"), "n1"); // another CA, same name
    for (String n : RUNNING) {
      Vertx v = Vertx.vertx();
      vertxes.put(n, v);
      NodeConfig serverConfig = config(n, new JsonArray());
      IngressVerticle ingress = new IngressVerticle(serverConfig,
          TlsMaterial.load(serverConfig).serverOptions(serverConfig),
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      await(v.deployVerticle(ingress));
      ports.put(n, ingress.actualPort());
    }
    ports.put(DOWN, TestCerts.freePort());
    for (String n : RUNNING) {
      JsonArray peers = new JsonArray();
      for (String p : ALL) {
        if (!p.equals(n)) {
          peers.add(new JsonObject().put("id", p).put("url", url(p)));
        }
      }
      NodeConfig c = config(n, peers);
      await(vertxes.get(n).deployVerticle(
          new HttpsTransportVerticle(c, TlsMaterial.load(c).peerClientOptions())));
    }
  }

  private NodeConfig config(String n, JsonArray peers) {
    return ConfigParser.parse(new JsonObject()
        .put("nodeId", n).put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", dir.resolve("data-" + n).toString())
        .put("peers", peers)
        .put("tls", new JsonObject()
            .put("certPath", certs.resolve(n + ".crt").toString())
            .put("keyPath", certs.resolve(n + ".key").toString())
            .put("caPath", certs.resolve("ca.crt").toString())), Map.of(), dir);
  }

  private String url(String n) {
    return "https://127.0.0.1:" + ports.get(n);
  }

  @Override
  public Vertx vertx(String node) {
    return vertxes.get(node);
  }

  @Override
  public Future<Void> injectAsMember(String target, Buffer body) {
    NodeConfig n1 = config("n1", new JsonArray());
    return post(WebClient.create(vertx("n1"), TlsMaterial.load(n1).peerClientOptions()), target, body);
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

  private Future<Void> post(WebClient client, String target, Buffer body) {
    return client.postAbs(url(target) + "/peer/messages").timeout(5_000).sendBuffer(body)
        .eventually(() -> {
          client.close();
          return Future.succeededFuture();
        })
        .compose(r -> r.statusCode() / 100 == 2 ? Future.<Void>succeededFuture()
            : Future.failedFuture("answered " + r.statusCode() + " " + r.bodyAsString()));
  }

  @Override
  public void close() throws Exception {
    for (Vertx v : vertxes.values()) {
      await(v.close());
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
