package raftsimple.ingress;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.PeerHttpBody;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;

/**
 * {@code GET /peer/stream} (a peer's WebSocket, {@link PeerStream}) and {@code POST
 * /peer/messages} (one batch per request: what nodes of the previous version send, kept for rolling
 * upgrades): peer traffic that arrives on the client port (CONTRACT: "peer traffic may use the same
 * port (under {@code /peer/})"). The ingress only authenticates and forwards; the HTTPS transport
 * decodes ({@code PEER_HTTP_INBOUND}) and says which status to send.
 *
 * <p>With TLS on, the connection must carry a client certificate the server verified against the
 * cluster CA (the server asks with {@code ClientAuth.REQUEST}, so API clients without one are still
 * served elsewhere); without one the request is refused with 403 {@code FORBIDDEN} before its body
 * is read or the stream opened. The body limit is {@value #BODY_BYTES_MAX} bytes (catch-up batches are large), not the
 * client limit.
 */
final class PeerRoute {
  static final int BODY_BYTES_MAX = 64 << 20;
  /** The peer stream's path and the header naming its sender (transport/https/PeerLink). */
  static final String STREAM_PATH = "/peer/stream";
  static final String FROM_HEADER = "raftsimple-node";
  private static final System.Logger LOG = System.getLogger(PeerRoute.class.getName());
  private static final String SUBJECT_KEY = "raftsimple.peerSubject";

  private final NodeConfig config;
  private final Bus bus;

  PeerRoute(NodeConfig config, Bus bus) {
    this.config = config;
    this.bus = bus;
  }

  void mount(RouteFactory routes, Handler<RoutingContext> peerBodyHandler) {
    routes.route(HttpMethod.POST, "/peer/messages")
        .handler(this::authenticate)
        .handler(peerBodyHandler)
        .handler(ctx -> Replies.send(ctx, forward(ctx)));
    routes.route(HttpMethod.GET, STREAM_PATH)
        .handler(this::authenticate)
        .handler(this::openStream);
  }

  /**
   * {@code GET /peer/stream} with a WebSocket upgrade: a peer's long-lived link (docs/TRANSPORTS.md
   * §2). The peer names itself in the {@value #FROM_HEADER} header; with TLS on, its verified
   * certificate's CN must be that name (403 {@code FORBIDDEN} otherwise), so a member cannot open a
   * stream as another. Frames are checked again, one by one, by the transport.
   */
  private void openStream(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String from = request.getHeader(FROM_HEADER);
    String subject = ctx.get(SUBJECT_KEY);
    if (from == null || from.isBlank()) {
      Replies.send(ctx, Errors.badRequest("a peer stream needs the header " + FROM_HEADER
          + " naming the sending node"));
      return;
    }
    if (subject != null && !TlsMaterial.certNames(subject, from)) {
      Replies.send(ctx, Errors.reply(403, "FORBIDDEN", "the client certificate (" + subject
          + ") does not name node " + from));
      return;
    }
    if (!request.canUpgradeToWebSocket()) {
      Replies.send(ctx, Errors.badRequest(STREAM_PATH + " is a WebSocket: send an upgrade request"));
      return;
    }
    request.toWebSocket()
        .onSuccess(ws -> new PeerStream(ws, from, subject, bus, config.limits().requestTimeoutMs()).start())
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "peer stream from {0} not opened: {1}",
            from, e.toString()));
  }

  /** Synchronous, so the body handler that follows still sees the whole body. */
  private void authenticate(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!request.isSSL()) {
      ctx.put(SUBJECT_KEY, null);
      ctx.next();
      return;
    }
    String subject = verifiedSubject(request);
    if (subject == null) {
      Replies.send(ctx, Errors.reply(403, "FORBIDDEN",
          "peer messages need a client certificate signed by the cluster CA"));
      return;
    }
    ctx.put(SUBJECT_KEY, subject);
    ctx.next();
  }

  /** The subject of the connection's verified client certificate, or null when it has none. */
  static String verifiedSubject(HttpServerRequest request) {
    List<Certificate> chain;
    try {
      chain = request.connection().peerCertificates();
    } catch (SSLPeerUnverifiedException none) {
      return null;
    }
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
      return null;
    }
    return leaf.getSubjectX500Principal().getName();
  }

  private Future<Reply> forward(RoutingContext ctx) {
    Buffer received = ctx.body().buffer();
    PeerHttpBody body =
        new PeerHttpBody(received == null ? Buffer.buffer() : received, ctx.get(SUBJECT_KEY));
    return bus.request(Addresses.PEER_HTTP_INBOUND, body, config.limits().requestTimeoutMs(), Integer.class)
        .map(PeerRoute::reply);
  }

  private static Reply reply(int status) {
    if (status >= 200 && status <= 299) {
      return Reply.empty(status);
    }
    if (status < 400 || status > 599) {
      throw new IllegalStateException(Addresses.PEER_HTTP_INBOUND + " replied status " + status);
    }
    String why = status < 500 ? "the peer message was refused" : "the peer message could not be taken";
    return Errors.reply(status, Errors.codeFor(status), why);
  }
}
