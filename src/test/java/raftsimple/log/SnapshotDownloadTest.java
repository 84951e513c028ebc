package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.storage.SnapshotFile;
import raftsimple.storage.SnapshotStore;

/**
 * {@link SnapshotDownload} against a peer that serves a snapshot file well, badly or not at all:
 * only a file whose every byte checks out is installed, and a failed download leaves nothing.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SnapshotDownloadTest {
  @TempDir Path dir;

  /** A file on the "peer": {@code stateBytes} of random state at length 42. */
  private byte[] peerFile(int stateBytes) throws Exception {
    byte[] state = new byte[stateBytes];
    new Random(stateBytes).nextBytes(state);
    SnapshotFile f = new SnapshotStore(dir.resolve("peer")).write(42, new byte[32], "{}".getBytes(), out -> out.write(state));
    return Files.readAllBytes(f.file());
  }

  private Future<HttpServer> serve(Vertx vertx, Consumer<HttpServerRequest> handler) {
    return vertx.createHttpServer().requestHandler(handler::accept).listen(0, "127.0.0.1");
  }

  private Future<SnapshotFile> download(Vertx vertx, HttpServer server, SnapshotStore into, long idleMs) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    WorkerExecutor worker = vertx.createSharedWorkerExecutor("test-snapshot", 1);
    return new SnapshotDownload(vertx, client, worker, into, idleMs)
        .fetch("http://127.0.0.1:" + server.actualPort() + "/", 42)
        .eventually(() -> client.close());
  }

  /**
   * 40 MB, sent as fast as loopback goes: more than the {@value SnapshotDownload#PENDING_BYTES_MAX}
   * bytes the worker may lag behind, so the response is paused and resumed on the way.
   */
  @Test
  void aWholeFileIsInstalledByteForByte(Vertx vertx, VertxTestContext tc) throws Exception {
    byte[] file = peerFile(40 << 20);
    SnapshotStore mine = new SnapshotStore(dir.resolve("mine"));
    serve(vertx, req -> {
      tc.verify(() -> assertEquals("/peer/snapshots/42", req.path()));
      req.response().putHeader("Content-Length", Integer.toString(file.length));
      for (int at = 0; at < file.length; at += 1 << 20) {
        req.response().write(Buffer.buffer(java.util.Arrays.copyOfRange(file, at, Math.min(file.length, at + (1 << 20)))));
      }
      req.response().end();
    }).compose(server -> download(vertx, server, mine, 10_000))
        .onComplete(tc.succeeding(got -> tc.verify(() -> {
          assertEquals(42, got.length());
          assertArrayEquals(file, Files.readAllBytes(got.file()));
          assertEquals(java.util.List.of(42L), mine.lengths());
          try (InputStream in = mine.read(42).openState()) {
            assertEquals((40 << 20), in.readAllBytes().length);
          }
          tc.completeNow();
        })));
  }

  @Test
  void aChangedByteFailsTheDownloadAndInstallsNothing(Vertx vertx, VertxTestContext tc) throws Exception {
    byte[] file = peerFile(100_000);
    file[60_000] ^= 1;
    SnapshotStore mine = new SnapshotStore(dir.resolve("mine"));
    serve(vertx, req -> req.response().putHeader("Content-Length", Integer.toString(file.length))
            .end(Buffer.buffer(file)))
        .compose(server -> download(vertx, server, mine, 10_000))
        .onComplete(tc.failing(e -> tc.verify(() -> {
          assertTrue(e.getMessage().contains("checksum mismatch"), e.toString());
          assertNothingInstalled(mine);
          tc.completeNow();
        })));
  }

  @Test
  void aPeerThatStopsHalfWayFailsTheDownload(Vertx vertx, VertxTestContext tc) throws Exception {
    byte[] file = peerFile(100_000);
    SnapshotStore mine = new SnapshotStore(dir.resolve("mine"));
    serve(vertx, req -> {
      req.response().putHeader("Content-Length", Integer.toString(file.length));
      req.response().write(Buffer.buffer(java.util.Arrays.copyOf(file, 50_000)))
          .onComplete(ar -> req.connection().close());
    }).compose(server -> download(vertx, server, mine, 10_000))
        .onComplete(tc.failing(e -> tc.verify(() -> {
          assertNothingInstalled(mine);
          tc.completeNow();
        })));
  }

  /** A peer that sends part of the file and then nothing: the idle timeout ends the wait. */
  @Test
  void aStalledPeerFailsTheDownloadAfterTheIdleTimeout(Vertx vertx, VertxTestContext tc) throws Exception {
    byte[] file = peerFile(100_000);
    SnapshotStore mine = new SnapshotStore(dir.resolve("mine"));
    serve(vertx, req -> {
      req.response().putHeader("Content-Length", Integer.toString(file.length));
      req.response().write(Buffer.buffer(java.util.Arrays.copyOf(file, 50_000)));
    }).compose(server -> download(vertx, server, mine, 300))
        .onComplete(tc.failing(e -> tc.verify(() -> {
          assertNothingInstalled(mine);
          tc.completeNow();
        })));
  }

  @Test
  void aRefusalNamesThePeersAnswer(Vertx vertx, VertxTestContext tc) {
    SnapshotStore mine = new SnapshotStore(dir.resolve("mine"));
    serve(vertx, req -> req.response().setStatusCode(404)
            .end("{\"code\":\"NOT_FOUND\",\"error\":\"node n1 holds no snapshot at length 42\"}"))
        .compose(server -> download(vertx, server, mine, 10_000))
        .onComplete(tc.failing(e -> tc.verify(() -> {
          assertTrue(e.getMessage().contains("answered 404") && e.getMessage().contains("no snapshot at length 42"),
              e.getMessage());
          assertNothingInstalled(mine);
          tc.completeNow();
        })));
  }

  /** A failed download reports its failure only after its temporary file is gone. */
  private static void assertNothingInstalled(SnapshotStore store) throws Exception {
    try (var files = Files.list(store.directory())) {
      assertEquals(java.util.List.of(), files.toList());
    }
  }
}
