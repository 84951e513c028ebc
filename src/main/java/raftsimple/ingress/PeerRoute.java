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

/**
 * {@code POST /peer/messages}: peer traffic that arrives on the client port (CONTRACT: "peer
 * traffic may use the same port (under {@code /peer/})"). The ingress only authenticates and
 * forwards; the HTTPS transport decodes ({@code PEER_HTTP_INBOUND}) and says which status to send.
 *
 * <p>With TLS on, the connection must carry a client certificate the server verified against the
 * cluster CA (the server asks with {@code ClientAuth.REQUEST}, so API clients without one are still
 * served elsewhere); without one the request is refused with 403 {@code FORBIDDEN} before its body
 * is read. The body limit is {@value #BODY_BYTES_MAX} bytes (catch-up batches are large), not the
 * client limit.
 */
final class PeerRoute {
  static final int BODY_BYTES_MAX = 64 << 20;
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
