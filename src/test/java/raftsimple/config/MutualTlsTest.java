package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real mutual-TLS exchange with certificates from deploy/gen-certs.sh: the server uses
 * {@link TlsMaterial#serverOptions} (client auth REQUEST, trusting the cluster CA) and answers
 * with the verified peer certificate's subject, or "none".
 */
@ExtendWith(VertxExtension.class)
class MutualTlsTest {
  @TempDir static Path dir;
  private static Path cluster;
  private static Path stranger;

  private final AtomicInteger served = new AtomicInteger();

  @BeforeAll
  static void certificates() throws Exception {
    GenCerts.assumeOpenssl();
    cluster = dir.resolve("cluster");
    stranger = dir.resolve("stranger");
    GenCerts.generate(cluster, "n1", "n2");
    GenCerts.generate(stranger, "n9"); // another CA
  }

  private static NodeConfig node(String id) {
    return ConfigParser.parse(new JsonObject().put("nodeId", id).put("port", 0)
        .put("dataDir", dir.resolve("data-" + id).toString())
        .put("tls", new JsonObject()
            .put("certPath", cluster.resolve(id + ".crt").toString())
            .put("keyPath", cluster.resolve(id + ".key").toString())
            .put("caPath", cluster.resolve("ca.crt").toString())), Map.of(), dir);
  }

  private Future<HttpServer> server(Vertx vertx) {
    NodeConfig n1 = node("n1");
    TlsMaterial tls = TlsMaterial.load(n1);
    assertEquals(ClientAuth.REQUEST, tls.serverOptions(n1).getClientAuth());
    return vertx.createHttpServer(tls.serverOptions(n1))
        .requestHandler(req -> {
          served.incrementAndGet();
          req.response().end(TlsMaterial.verifiedPeer(req.connection())
              .map(c -> c.getSubjectX500Principal().getName())
              .orElse("none"));
        })
        .listen();
  }

  private static Future<HttpResponse<io.vertx.core.buffer.Buffer>> get(
      Vertx vertx, WebClientOptions options, HttpServer server, String host) {
    return WebClient.create(vertx, options).get(server.actualPort(), host, "/").send();
  }

  @Test
  void aPeerPresentingAClusterCertificateIsVerified(Vertx vertx, VertxTestContext ctx) {
    WebClientOptions n2 = TlsMaterial.load(node("n2")).peerClientOptions();
    server(vertx)
        .compose(s -> get(vertx, n2, s, "127.0.0.1")
            .compose(byIp -> get(vertx, n2, s, "localhost").map(byName -> {
              assertEquals("CN=n2", byIp.bodyAsString());
              return byName;
            })))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals("CN=n2", r.bodyAsString());
          ctx.completeNow();
        })));
  }

  /**
   * The server refuses a client certificate the cluster CA did not sign with the TLS alert
   * {@code certificate_unknown} (the JDK's answer to an untrusted client certificate), before any
   * request is read. Observed below HTTP ({@link TlsRefusal}): with TLS 1.3 an HTTP client only
   * sees the connection close, which any other failure would look like too.
   */
  @Test
  void aCertificateFromAnotherCaFailsTheHandshake(Vertx vertx, VertxTestContext ctx) {
    PemKeyCertOptions impostor = new PemKeyCertOptions()
        .setCertPath(stranger.resolve("n9.crt").toString())
        .setKeyPath(stranger.resolve("n9.key").toString());
    server(vertx)
        .compose(s -> TlsRefusal.observe(vertx, "127.0.0.1", s.actualPort(), impostor,
            new PemTrustOptions().addCertPath(cluster.resolve("ca.crt").toString())))
        .onComplete(ctx.succeeding(e -> ctx.verify(() -> {
          assertTrue(e.getMessage().contains("certificate_unknown"), "the TLS failure: " + e);
          assertEquals(0, served.get(), "the request never reached the handler");
          ctx.completeNow();
        })));
  }

  /** The control for the test above: the same probe with a cluster certificate gets an answer. */
  @Test
  void theProbeWithAClusterCertificateIsAnswered(Vertx vertx, VertxTestContext ctx) {
    PemKeyCertOptions member = new PemKeyCertOptions()
        .setCertPath(cluster.resolve("n2.crt").toString())
        .setKeyPath(cluster.resolve("n2.key").toString());
    server(vertx)
        .compose(s -> TlsRefusal.observe(vertx, "127.0.0.1", s.actualPort(), member,
            new PemTrustOptions().addCertPath(cluster.resolve("ca.crt").toString())))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertTrue(e.getMessage().startsWith("the server answered: HTTP/1.1 200"), "" + e);
          ctx.completeNow();
        })));
  }

  @Test
  void aClientWithoutCertificateIsServedWithoutPeerIdentity(Vertx vertx, VertxTestContext ctx) {
    WebClientOptions publicClient = new WebClientOptions()
        .setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(cluster.resolve("ca.crt").toString()));
    server(vertx)
        .compose(s -> get(vertx, publicClient, s, "127.0.0.1"))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals("none", r.bodyAsString());
          ctx.completeNow();
        })));
  }

  @Test
  void aClientThatDoesNotTrustTheCaRefusesTheServer(Vertx vertx, VertxTestContext ctx) {
    WebClientOptions other = TlsMaterial.load(ConfigParser.parse(new JsonObject()
        .put("dataDir", dir.resolve("self").toString()), Map.of(), dir)).peerClientOptions();
    server(vertx)
        .compose(s -> get(vertx, other, s, "127.0.0.1"))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          // The client's own check of the server's certificate, not any failure.
          assertNotNull(TlsRefusal.tlsCause(e), "not a TLS failure: " + e);
          String causes = TlsRefusal.causes(e);
          assertTrue(causes.contains("unable to find valid certification path"), causes);
          assertEquals(0, served.get(), "the request never reached the handler");
          ctx.completeNow();
        })));
  }

  @Test
  void aSelfSignedNodeTrustsItself(Vertx vertx, VertxTestContext ctx) {
    NodeConfig self = ConfigParser.parse(new JsonObject().put("port", 0)
        .put("dataDir", dir.resolve("self2").toString()), Map.of(), dir);
    TlsMaterial tls = TlsMaterial.load(self);
    vertx.createHttpServer(tls.serverOptions(self))
        .requestHandler(req -> req.response().end("ok"))
        .listen()
        .compose(s -> get(vertx, tls.peerClientOptions(), s, "localhost"))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals("ok", r.bodyAsString());
          ctx.completeNow();
        })));
  }
}
