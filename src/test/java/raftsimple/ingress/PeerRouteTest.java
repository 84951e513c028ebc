package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.ingress.EntriesRoutesTest.assertError;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.PeerHttpBody;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class PeerRouteTest {
  static SelfSignedCertificate serverCert;
  static SelfSignedCertificate peerCert;

  @BeforeAll
  static void certificates() {
    serverCert = SelfSignedCertificate.create("localhost");
    peerCert = SelfSignedCertificate.create("peer-n2");
  }

  @AfterAll
  static void deleteCertificates() {
    serverCert.delete();
    peerCert.delete();
  }

  @Test
  void plainHttp_forwardsTheBodyAndAnswers204(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    List<PeerHttpBody> received = new CopyOnWriteArrayList<>();
    f.answer(Addresses.PEER_HTTP_INBOUND, b -> {
      received.add((PeerHttpBody) b);
      return 204;
    });
    f.start().compose(x -> f.post("/peer/messages", "{\"v\":1,\"type\":\"accept\"}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(204, r.statusCode());
          assertNull(r.body());
          assertEquals(1, received.size());
          assertEquals("{\"v\":1,\"type\":\"accept\"}", received.get(0).body().toString());
          assertNull(received.get(0).peerCertSubject());
          tc.completeNow();
        })));
  }

  @Test
  void peerBodiesAreNotHeldToTheClientLimit(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 2_000, 64, List.of()));
    AtomicInteger bytes = new AtomicInteger();
    f.answer(Addresses.PEER_HTTP_INBOUND, b -> {
      bytes.set(((PeerHttpBody) b).body().length());
      return 204;
    });
    f.start().compose(x -> f.client.post("/peer/messages").sendBuffer(Buffer.buffer(new byte[10_000])))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(204, r.statusCode());
          assertEquals(10_000, bytes.get());
          tc.completeNow();
        })));
  }

  @Test
  void transportStatuses_areAnsweredWithContractBodies(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.PEER_HTTP_INBOUND, b -> 400);
    f.start().compose(x -> f.post("/peer/messages", "garbage"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 400, "BAD_REQUEST");
          tc.completeNow();
        })));
  }

  @Test
  void noTransport_is503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> f.post("/peer/messages", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }

  private static HttpServerOptions tlsServer() {
    return new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
        .setKeyCertOptions(serverCert.keyCertOptions())
        .setTrustOptions(peerCert.trustOptions())
        .setClientAuth(ClientAuth.REQUEST);
  }

  private static WebClientOptions tlsClient() {
    return new WebClientOptions().setSsl(true).setTrustOptions(serverCert.trustOptions()).setVerifyHost(false);
  }

  @Test
  void tlsWithoutAClientCertificate_servesClientsButRefusesPeerMessages(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger forwarded = f.answer(Addresses.PEER_HTTP_INBOUND, b -> 204);
    f.start(tlsServer(), tlsClient())
        .compose(x -> f.get("/health").send())
        .compose(health -> {
          assertEquals(200, health.statusCode());
          return f.post("/peer/messages", "{}");
        })
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 403, "FORBIDDEN");
          assertEquals(0, forwarded.get());
          tc.completeNow();
        })));
  }

  @Test
  void tlsWithAVerifiedClientCertificate_forwardsWithItsSubject(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    List<PeerHttpBody> received = new CopyOnWriteArrayList<>();
    f.answer(Addresses.PEER_HTTP_INBOUND, b -> {
      received.add((PeerHttpBody) b);
      return 204;
    });
    f.start(tlsServer(), tlsClient().setKeyCertOptions(peerCert.keyCertOptions()))
        .compose(x -> f.post("/peer/messages", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(204, r.statusCode());
          assertTrue(received.get(0).peerCertSubject().contains("CN=peer-n2"), received.get(0).peerCertSubject());
          tc.completeNow();
        })));
  }
}
