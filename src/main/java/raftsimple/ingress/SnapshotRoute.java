package raftsimple.ingress;

import io.vertx.core.Future;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger.Level;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.config.NodeConfig;

/**
 * {@code GET /snapshot}: a backup, streamed. The log verticle first makes sure a durable snapshot
 * covers every entry this node had applied when the request arrived ({@code LOG_SNAPSHOT}: the
 * newest snapshot file if it already does, else one taken now); then that file is streamed as it
 * is on disk, from a non-blocking {@link AsyncFile} piped into the response with back-pressure, so
 * neither the event loop nor the heap holds it. The body is the snapshot file format of
 * {@code storage/SnapshotStore} (state, membership, the length and head it reflects, SHA-256), also
 * given in the headers {@value #LENGTH_HEADER} and {@value #HEAD_HEADER}. {@code raftsimplectl
 * snapshot save} verifies it; {@code raftsimplectl snapshot restore} makes a data dir of it.
 */
final class SnapshotRoute {
  private static final System.Logger LOG = System.getLogger(SnapshotRoute.class.getName());
  static final String LENGTH_HEADER = "X-Raftsimple-Snapshot-Length";
  static final String HEAD_HEADER = "X-Raftsimple-Snapshot-Head";
  /** Taking a snapshot of a large state serializes and writes it all: allow for that. */
  static final long TAKE_TIMEOUT_MS = 300_000;

  private final NodeConfig config;
  private final Bus bus;

  SnapshotRoute(NodeConfig config, Bus bus) {
    this.config = config;
    this.bus = bus;
  }

  void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, "/snapshot").handler(this::snapshot);
  }

  private void snapshot(RoutingContext ctx) {
    bus.request(Addresses.LOG_SNAPSHOT, new BusApi.SnapshotNow(), TAKE_TIMEOUT_MS,
            BusApi.SnapshotReady.class)
        .onFailure(e -> Replies.send(ctx, Errors.fromFailure(ctx, e)))
        .onSuccess(ready -> open(ctx, ready));
  }

  private void open(RoutingContext ctx, BusApi.SnapshotReady ready) {
    ctx.vertx().fileSystem().open(ready.file(), new OpenOptions().setRead(true).setWrite(false))
        .compose(file -> file.size().map(size -> stream(ctx, ready, file, size))
            .onFailure(e -> file.close()))
        .onFailure(e -> {
          // Only if two newer snapshots replaced it between the answer and the open (retain 2).
          LOG.log(Level.WARNING, "cannot open snapshot " + ready.file() + ": " + e);
          Replies.send(ctx, Errors.unavailable("the snapshot at length " + ready.length()
              + " was replaced while opening it; try again"));
        });
  }

  private Void stream(RoutingContext ctx, BusApi.SnapshotReady ready, AsyncFile file, long size) {
    HttpServerResponse response = ctx.response();
    response.putHeader("Content-Type", "application/octet-stream")
        .putHeader("Content-Length", Long.toString(size))
        .putHeader("Content-Disposition", "attachment; filename=\"raftsimple-" + config.nodeId()
            + "-" + ready.length() + ".snap\"")
        .putHeader(LENGTH_HEADER, Long.toString(ready.length()))
        .putHeader(HEAD_HEADER, ready.head());
    file.pipeTo(response).onComplete(ar -> {
      file.close(); // the pipe ends the response, not the file; a client that left must not leak it
      if (ar.failed()) {
        LOG.log(Level.INFO, "streaming snapshot " + ready.file() + " to "
            + ctx.request().remoteAddress() + " ended early: " + ar.cause());
      }
    });
    return null;
  }
}
