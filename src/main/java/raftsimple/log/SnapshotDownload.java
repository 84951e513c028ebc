package raftsimple.log;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import raftsimple.storage.SnapshotFile;
import raftsimple.storage.SnapshotStore;

/**
 * Downloads one snapshot file from a peer ({@code GET <peer url>/peer/snapshots/<length>}, served
 * by {@code ingress/PeerSnapshotRoute}) into {@link SnapshotStore#receive}: one streamed response,
 * its bytes handed to the snapshot worker as they arrive, which writes them to a temporary file
 * and feeds them through SHA-256 (docs/PROTOCOL.md §12). The connection is the peer client's, with
 * this node's certificate (mutual TLS), whatever the peer transport.
 *
 * <p>Back-pressure: at most {@value #PENDING_BYTES_MAX} bytes wait for the worker; beyond that the
 * response is paused until the worker has caught up to half of it, so a slow disk slows the
 * sender (TCP) instead of filling memory. A response that stalls for {@code idleTimeoutMs}, a
 * status other than 200, a missing size or a byte that does not check out fails the download and
 * leaves nothing behind. Runs on the log verticle's event loop; only the worker touches the file.
 */
final class SnapshotDownload {
  static final int PENDING_BYTES_MAX = 8 << 20;

  private final Vertx vertx;
  private final HttpClient client;
  private final WorkerExecutor worker;
  private final SnapshotStore store;
  private final long idleTimeoutMs;

  SnapshotDownload(Vertx vertx, HttpClient client, WorkerExecutor worker, SnapshotStore store,
      long idleTimeoutMs) {
    this.vertx = vertx;
    this.client = client;
    this.worker = worker;
    this.store = store;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** The verified, durable snapshot at {@code length} from the peer at {@code peerUrl}. */
  Future<SnapshotFile> fetch(String peerUrl, long length) {
    RequestOptions get = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(peerUrl.replaceAll("/+$", "") + "/peer/snapshots/" + length)
        .setIdleTimeout(idleTimeoutMs);
    return client.request(get).compose(req -> req.send().compose(resp -> {
          if (resp.statusCode() != 200) {
            return resp.body().transform(body -> Future.failedFuture(peerUrl + " answered "
                + resp.statusCode() + " to the snapshot request"
                + (body.succeeded() ? ": " + abbreviate(body.result()) : "")));
          }
          long size;
          try {
            size = Long.parseLong(resp.getHeader("Content-Length"));
          } catch (NumberFormatException | NullPointerException e) {
            return Future.failedFuture(peerUrl + " sent a snapshot without its size (Content-Length)");
          }
          // Every handler at once, before anything can be missed; the bytes wait (paused) until
          // the worker has opened the temporary file.
          Transfer t = new Transfer(req, resp);
          worker.executeBlocking(() -> store.receive(length, size), true).onComplete(t::opened);
          return t.done.future();
        }));
  }

  private static String abbreviate(Buffer body) {
    String s = body.toString();
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }

  /** One response's bytes on their way to the worker. Event-loop confined. */
  private final class Transfer {
    private final HttpClientRequest req;
    private final HttpClientResponse resp;
    private final Promise<SnapshotFile> done = Promise.promise();
    private SnapshotStore.Incoming incoming;
    private long pending;
    private boolean paused;
    private boolean failed;
    private boolean opened;
    private Throwable pendingCause;

    /** When the peer last sent bytes while we were reading (System.nanoTime). */
    private long lastDataNs = System.nanoTime();
    private long received;
    private final long watchdog;

    Transfer(HttpClientRequest req, HttpClientResponse resp) {
      this.req = req;
      this.resp = resp;
      resp.pause();
      resp.exceptionHandler(this::fail);
      resp.handler(this::onData);
      resp.endHandler(v -> onEnd());
      // The request's own idle timeout does not cover a response body that stops half-way, so the
      // transfer watches itself: no byte for idleTimeoutMs while we are reading fails it.
      watchdog = vertx.setPeriodic(Math.max(10, idleTimeoutMs / 4), id -> checkIdle());
      done.future().onComplete(ar -> vertx.cancelTimer(watchdog));
    }

    private void checkIdle() {
      if (failed || !opened || paused) {
        lastDataNs = System.nanoTime(); // waiting for our own worker is not the peer's stall
        return;
      }
      long idleMs = (System.nanoTime() - lastDataNs) / 1_000_000;
      if (idleMs >= idleTimeoutMs) {
        fail(new java.util.concurrent.TimeoutException("the peer sent no snapshot bytes for "
            + idleMs + " ms (" + received + " bytes received)"));
      }
    }


    void opened(io.vertx.core.AsyncResult<SnapshotStore.Incoming> ar) {
      opened = true;
      if (ar.failed()) {
        if (failed) {
          done.tryFail(pendingCause);
        } else {
          fail(ar.cause());
        }
        return;
      }
      incoming = ar.result();
      lastDataNs = System.nanoTime();
      if (failed) {
        abortThenReport(pendingCause); // the connection failed while the file was being opened
        return;
      }
      resp.resume();
    }

    private void onData(Buffer chunk) {
      if (failed) {
        return;
      }
      lastDataNs = System.nanoTime();
      byte[] bytes = chunk.getBytes();
      received += bytes.length;
      pending += bytes.length;
      if (pending >= PENDING_BYTES_MAX && !paused) {
        paused = true;
        resp.pause();
      }
      worker.executeBlocking(() -> {
        incoming.write(bytes, 0, bytes.length);
        return null;
      }, true).onComplete(ar -> {
        pending -= bytes.length;
        if (ar.failed()) {
          fail(ar.cause());
        } else if (paused && pending <= PENDING_BYTES_MAX / 2 && !failed) {
          paused = false;
          resp.resume();
        }
      });
    }

    private void onEnd() {
      if (failed) {
        return;
      }
      worker.executeBlocking(incoming::finish, true).onComplete(ar -> {
        if (ar.succeeded()) {
          done.tryComplete(ar.result());
        } else {
          fail(ar.cause());
        }
      });
    }

    private void fail(Throwable cause) {
      if (failed) {
        return;
      }
      failed = true;
      resp.handler(null);
      req.reset(); // closes the connection: the rest of the body is of no use
      if (incoming != null) {
        abortThenReport(cause);
      } else if (opened) {
        done.tryFail(cause); // no file was made
      } else {
        pendingCause = cause; // reported once the file being opened is removed again (opened)
      }
    }

    /**
     * Reports the failure once the temporary file is gone (after the writes queued before it), so
     * a failed download has left nothing behind by the time anyone hears of it.
     */
    private void abortThenReport(Throwable cause) {
      worker.executeBlocking(() -> {
        incoming.abort();
        return null;
      }, true).onComplete(ar -> done.tryFail(cause));
    }
  }
}
