package raftsimple.ingress;

import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger.Level;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.SnapshotFileInfo;
import raftsimple.bus.BusApi.SnapshotFileQuery;
import raftsimple.config.NodeConfig;

/**
 * {@code GET /peer/snapshots/{length}}: a peer that is behind this node's compacted log downloads
 * the snapshot file at {@code length} (docs/PROTOCOL.md §12, docs/TRANSPORTS.md §1.7), whatever
 * the node's peer transport: the file's raw bytes in one streamed response, with its size in
 * {@code Content-Length}. The receiver verifies the SHA-256 as the bytes arrive.
 *
 * <p>Like {@code /peer/messages} ({@link PeerRoute}), with TLS on the connection must carry a
 * client certificate the cluster CA signed (403 {@code FORBIDDEN} otherwise). The log verticle says
 * where the file is ({@code LOG_SNAPSHOT_FILE}; 404 {@code NOT_FOUND} when this node no longer
 * holds a snapshot at that length, after which the peer asks again for the newest). The file is
 * read through an {@link AsyncFile} (Vert.x reads it on a worker thread) and piped into the
 * response, so back-pressure from a slow peer pauses the reads and the event loop never touches the
 * disk.
 */
final class PeerSnapshotRoute {
  private static final System.Logger LOG = System.getLogger(PeerSnapshotRoute.class.getName());
  static final String PATH = "/peer/snapshots/:length";
  static final int READ_BUFFER_BYTES = 256 << 10;

  private final NodeConfig config;
  private final Bus bus;

  PeerSnapshotRoute(NodeConfig config, Bus bus) {
    this.config = config;
    this.bus = bus;
  }

  void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, PATH).handler(this::serve);
  }

  private void serve(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String peer = null;
    if (request.isSSL()) {
      peer = PeerRoute.verifiedSubject(request);
      if (peer == null) {
        Replies.send(ctx, Errors.reply(403, "FORBIDDEN",
            "snapshots are served to peers with a client certificate signed by the cluster CA"));
        return;
      }
    }
    long length;
    try {
      length = Long.parseLong(ctx.pathParam("length"));
    } catch (NumberFormatException e) {
      length = -1;
    }
    if (length < 1) {
      Replies.send(ctx, Errors.badRequest("the snapshot length must be a positive integer, got "
          + ctx.pathParam("length")));
      return;
    }
    String who = peer == null ? request.remoteAddress().toString() : peer;
    long at = length;
    bus.request(Addresses.LOG_SNAPSHOT_FILE, new SnapshotFileQuery(length), config.limits().requestTimeoutMs(),
            SnapshotFileInfo.class)
        .onFailure(e -> Replies.send(ctx, Errors.fromFailure(ctx, e)))
        .onSuccess(info -> ctx.vertx().fileSystem().open(info.file().toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
            .onSuccess(file -> stream(ctx, file, info, who, at))
            // Deleted since the log named it (a newer snapshot replaced it): the peer asks again.
            .onFailure(e -> Replies.send(ctx, Errors.notFound("the snapshot at length " + at
                + " is no longer on this node"))));
  }

  private static void stream(RoutingContext ctx, AsyncFile file, SnapshotFileInfo info, String who, long length) {
    HttpServerResponse response = ctx.response();
    response.setStatusCode(200)
        .putHeader("Content-Type", "application/octet-stream")
        .putHeader("Content-Length", Long.toString(info.size()));
    file.setReadBufferSize(READ_BUFFER_BYTES);
    long started = System.nanoTime();
    LOG.log(Level.INFO, "serving the snapshot at length {0} ({1} bytes) to {2}", length, info.size(), who);
    file.pipeTo(response).onComplete(ar -> {
      file.close();
      if (ar.failed()) {
        LOG.log(Level.WARNING, "sending the snapshot at length {0} to {1} failed: {2}", length, who,
            String.valueOf(ar.cause()));
        response.reset();
      } else {
        LOG.log(Level.INFO, "sent the snapshot at length {0} to {1} in {2} ms", length, who,
            (System.nanoTime() - started) / 1_000_000);
      }
    });
  }
}
