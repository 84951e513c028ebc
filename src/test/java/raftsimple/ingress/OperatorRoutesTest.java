package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.ingress.IngressFixture.committed;
import static raftsimple.ingress.IngressFixture.hash;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.build.BuildInfo;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;

/**
 * The operator-facing additions to the ingress: JSON bodies read whatever their Content-Type says
 * ({@link RawBody}), {@code GET /version} and {@code GET /snapshot}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class OperatorRoutesTest {
  static final int LIMIT = 64 * 1024;

  /** A put whose JSON text is exactly {@code bytes} long, with characters a form decoder would split on. */
  static String putOfSize(int bytes) {
    String head = "{\"op\":\"put\",\"key\":\"k\",\"value\":\"";
    String tail = "\"}";
    StringBuilder v = new StringBuilder();
    while (head.length() + v.length() + tail.length() < bytes) {
      v.append(v.length() % 10 == 0 ? '&' : v.length() % 10 == 5 ? '=' : 'x');
    }
    return head + v + tail;
  }

  private void postsAsCurlDoes(Vertx vertx, VertxTestContext tc, String contentType, int bytes) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 2_000, LIMIT, List.of()));
    f.acceptAll();
    AtomicReference<BusApi.Submit> submitted = new AtomicReference<>();
    f.answer(Addresses.LOG_SUBMIT, body -> {
      submitted.set((BusApi.Submit) body);
      return committed(hash("tx"), 1, hash("head"), null);
    });
    String body = putOfSize(bytes);
    assertEquals(bytes, body.length());
    f.start().compose(x -> f.client.post("/entries").putHeader("Content-Type", contentType)
            .sendBuffer(Buffer.buffer(body)))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          assertEquals(body, new String(submitted.get().payload(), StandardCharsets.UTF_8));
          tc.completeNow();
        })));
  }

  @Test
  void aJsonBodyOver1KiBLabelledAsAFormCommits(Vertx vertx, VertxTestContext tc) {
    // curl -d sends application/x-www-form-urlencoded; BodyHandler's form decoding refused > 1 KiB.
    postsAsCurlDoes(vertx, tc, "application/x-www-form-urlencoded", 5_000);
  }

  @Test
  void aJsonBodyJustUnderTheLimitLabelledAsAFormCommits(Vertx vertx, VertxTestContext tc) {
    postsAsCurlDoes(vertx, tc, "application/x-www-form-urlencoded", LIMIT);
  }

  @Test
  void aJsonBodyLabelledMultipartCommits(Vertx vertx, VertxTestContext tc) {
    postsAsCurlDoes(vertx, tc, "multipart/form-data; boundary=x", 2_000);
  }

  @Test
  void aFormLabelledBodyOverTheLimitIs413(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 2_000, LIMIT, List.of()));
    f.acceptAll();
    f.start().compose(x -> f.client.post("/entries")
            .putHeader("Content-Type", "application/x-www-form-urlencoded")
            .sendBuffer(Buffer.buffer(putOfSize(LIMIT + 1))))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          EntriesRoutesTest.assertError(r, 413, "TOO_LARGE");
          assertTrue(r.bodyAsJsonObject().getString("error").contains(Integer.toString(LIMIT)));
          tc.completeNow();
        })));
  }

  @Test
  void versionNamesTheBuild(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> f.get("/version").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          JsonObject v = r.bodyAsJsonObject();
          assertEquals(BuildInfo.current().version(), v.getString("version"));
          assertEquals(BuildInfo.current().commit(), v.getString("commit"));
          assertEquals("n1", v.getString("nodeId"));
          tc.completeNow();
        })));
  }

  @Test
  void snapshotStreamsTheFileTheLogVerticleNames(Vertx vertx, VertxTestContext tc, @TempDir Path dir)
      throws Exception {
    byte[] content = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31);
    }
    Path file = Files.write(dir.resolve("snap-00000000000000000042.snap"), content);
    String head = hash("h").hex();
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.LOG_SNAPSHOT, body -> new BusApi.SnapshotReady(42, head, file.toString()));
    f.start().compose(x -> f.get("/snapshot").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertEquals("42", r.getHeader(SnapshotRoute.LENGTH_HEADER));
          assertEquals(head, r.getHeader(SnapshotRoute.HEAD_HEADER));
          assertEquals("application/octet-stream", r.getHeader("Content-Type"));
          assertArrayEquals(content, r.body().getBytes());
          tc.completeNow();
        })));
  }

  @Test
  void snapshotWhenNoneCanBeTakenIs503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.handle(Addresses.LOG_SNAPSHOT, m -> m.fail(503, "no snapshot can be taken now: disk full"));
    f.start().compose(x -> f.get("/snapshot").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          EntriesRoutesTest.assertError(r, 503, "UNAVAILABLE");
          assertTrue(r.bodyAsJsonObject().getString("error").contains("disk full"), r.bodyAsString());
          tc.completeNow();
        })));
  }

  @Test
  void snapshotWhoseFileIsGoneIs503(Vertx vertx, VertxTestContext tc, @TempDir Path dir) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.LOG_SNAPSHOT, body -> new BusApi.SnapshotReady(42, hash("h").hex(),
        dir.resolve("gone.snap").toString()));
    f.start().compose(x -> f.get("/snapshot").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          EntriesRoutesTest.assertError(r, 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }
}
