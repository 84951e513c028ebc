package raftsimple.config;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/**
 * Observes how a TLS server treats a client, below HTTP, so a test can assert the refusal itself
 * rather than "something failed". With TLS 1.3 a server checks the client's certificate after the
 * client has finished its half of the handshake, so an HTTP client only sees "connection closed";
 * the server's alert (e.g. {@code certificate_unknown} for a certificate the CA did not sign)
 * arrives on the client's next read. This probe connects, sends one HTTP request and reports the
 * first {@link SSLException} the connection raises; it fails if the server answers instead (the
 * connection was accepted) or closes without a TLS error.
 */
public final class TlsRefusal {
  private TlsRefusal() {}

  /** Completes with the TLS failure the client saw, during the handshake or on the first read. */
  public static Future<SSLException> observe(Vertx vertx, String host, int port,
      KeyCertOptions clientCert, TrustOptions trust) {
    NetClientOptions options = new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("")
        .setTrustOptions(trust).setConnectTimeout(5_000);
    if (clientCert != null) {
      options.setKeyCertOptions(clientCert);
    }
    NetClient client = vertx.createNetClient(options);
    Promise<SSLException> seen = Promise.promise();
    client.connect(port, host).onComplete(ar -> {
      if (ar.failed()) {
        SSLException tls = tlsCause(ar.cause());
        if (tls != null) {
          seen.tryComplete(tls);
        } else {
          seen.tryFail(new AssertionError("connect failed without a TLS error: " + ar.cause()));
        }
        return;
      }
      ar.result().exceptionHandler(e -> {
        SSLException tls = tlsCause(e);
        if (tls != null) {
          seen.tryComplete(tls);
        }
      });
      ar.result().handler(data -> seen.tryFail(new AssertionError("the server answered: "
          + data.toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""))));
      ar.result().closeHandler(v -> seen.tryFail(new AssertionError(
          "the server closed the connection without a TLS alert")));
      ar.result().write(Buffer.buffer("GET /health HTTP/1.1\r\nHost: " + host + "\r\n\r\n"));
    });
    return seen.future().andThen(x -> client.close());
  }

  /** Every message in {@code e}'s cause chain, joined: what a specific assertion looks for. */
  public static String causes(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      b.append(b.length() == 0 ? "" : " <- ").append(t);
    }
    return b.toString();
  }

  public static SSLException tlsCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SSLException s) {
        return s;
      }
    }
    return null;
  }
}
