package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static raftsimple.ingress.EntriesRoutesTest.assertError;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.SnapshotFileInfo;
import raftsimple.bus.BusApi.SnapshotFileQuery;

/** {@code GET /peer/snapshots/{length}}: the file the log names, byte for byte, to peers only. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class PeerSnapshotRouteTest {
  @TempDir Path dir;

  @Test
  void streamsTheFileTheLogNames_withItsSize(Vertx vertx, VertxTestContext tc) throws Exception {
    byte[] bytes = new byte[3 * PeerSnapshotRoute.READ_BUFFER_BYTES + 17];
    new Random(5).nextBytes(bytes);
    Path file = Files.write(dir.resolve("snap"), bytes);
    IngressFixture f = new IngressFixture(vertx);
    List<Long> asked = new CopyOnWriteArrayList<>();
    f.answer(Addresses.LOG_SNAPSHOT_FILE, q -> {
      asked.add(((SnapshotFileQuery) q).length());
      return new SnapshotFileInfo(file, bytes.length);
    });
    f.start().compose(x -> f.get("/peer/snapshots/1200").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertEquals("application/octet-stream", r.getHeader("Content-Type"));
          assertEquals(Integer.toString(bytes.length), r.getHeader("Content-Length"));
          assertArrayEquals(bytes, r.body().getBytes());
          assertEquals(List.of(1200L), asked);
          tc.completeNow();
        })));
  }

  @Test
  void noSuchSnapshot_is404_andABadLength400(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger asked = new AtomicInteger();
    f.handle(Addresses.LOG_SNAPSHOT_FILE, m -> {
      asked.incrementAndGet();
      m.fail(404, "{\"code\":\"NOT_FOUND\",\"error\":\"node n1 holds no snapshot at length 5\"}");
    });
    f.start().compose(x -> f.get("/peer/snapshots/5").send())
        .compose(r1 -> f.get("/peer/snapshots/x").send().map(r2 -> List.of(r1, r2)))
        .compose(rs -> f.get("/peer/snapshots/0").send().map(r3 -> List.of(rs.get(0), rs.get(1), r3)))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertError(rs.get(0), 404, "NOT_FOUND");
          assertEquals("node n1 holds no snapshot at length 5", rs.get(0).bodyAsJsonObject().getString("error"));
          assertError(rs.get(1), 400, "BAD_REQUEST");
          assertError(rs.get(2), 400, "BAD_REQUEST");
          assertEquals(1, asked.get());
          tc.completeNow();
        })));
  }

  /** A file the log named but that is gone by the time it is opened (a newer snapshot replaced it). */
  @Test
  void aFileDeletedMeanwhile_is404(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.LOG_SNAPSHOT_FILE, q -> new SnapshotFileInfo(dir.resolve("gone"), 10));
    f.start().compose(x -> f.get("/peer/snapshots/5").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 404, "NOT_FOUND");
          tc.completeNow();
        })));
  }

  @Test
  void withTlsOnlyAPeerWithAVerifiedCertificateGetsIt(Vertx vertx, VertxTestContext tc) throws Exception {
    SelfSignedCertificate serverCert = SelfSignedCertificate.create("localhost");
    SelfSignedCertificate peerCert = SelfSignedCertificate.create("n2");
    Path file = Files.write(dir.resolve("snap"), new byte[] {1, 2, 3});
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger asked = f.answer(Addresses.LOG_SNAPSHOT_FILE, q -> new SnapshotFileInfo(file, 3));
    HttpServerOptions server = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
        .setKeyCertOptions(serverCert.keyCertOptions()).setTrustOptions(peerCert.trustOptions())
        .setClientAuth(ClientAuth.REQUEST);
    WebClientOptions anonymous = new WebClientOptions().setSsl(true).setTrustOptions(serverCert.trustOptions())
        .setVerifyHost(false);
    f.start(server, anonymous).compose(x -> f.get("/peer/snapshots/5").send())
        .compose(refused -> {
          tc.verify(() -> {
            assertError(refused, 403, "FORBIDDEN");
            assertEquals(0, asked.get());
          });
          io.vertx.ext.web.client.WebClient peer = io.vertx.ext.web.client.WebClient.create(vertx,
              new WebClientOptions(anonymous).setKeyCertOptions(peerCert.keyCertOptions())
                  .setDefaultHost("127.0.0.1").setDefaultPort(f.ingress.actualPort()));
          return peer.get("/peer/snapshots/5").send();
        })
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertArrayEquals(new byte[] {1, 2, 3}, r.body().getBytes());
          serverCert.delete();
          peerCert.delete();
          tc.completeNow();
        })));
  }
}
