package raftsimple.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Hash;
import raftsimple.config.TlsRefusal;
import raftsimple.core.msg.Message;

/**
 * The transport contract over HTTPS with mutual TLS (transport "https"), and what only this
 * transport can promise: a peer's stream or batch is refused unless its certificate comes from the
 * cluster CA and names the node it claims to be (docs/TRANSPORTS.md §2.2).
 */
class HttpsTransportTest extends TransportContractTest {
  @Override
  protected TransportFixture newFixture() {
    return new HttpsFixture();
  }

  private HttpsFixture https() {
    return (HttpsFixture) fixture();
  }

  /** The control for the refusals below: n1's own certificate, claiming n1, is let in. */
  @Test
  void aStreamWithTheSendersOwnCertificate_isOpened(VertxTestContext tc) {
    https().openStream("n2", "n1", https().keyCert(https().certs(), "n1"))
        .compose(WebSocket::close)
        .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void aStreamWithoutAClientCertificate_isRefusedWith403(VertxTestContext tc) {
    https().openStream("n2", "n1", null).onComplete(tc.failing(e -> tc.verify(() -> {
      assertEquals(403, rejectedStatus(e), "" + e);
      tc.completeNow();
    })));
  }

  /** A member's certificate (CN=n2) cannot open a stream as n1: the ingress compares them. */
  @Test
  void aStreamClaimingAnotherMembersId_isRefusedWith403(VertxTestContext tc) {
    https().openStream("n3", "n1", https().keyCert(https().certs(), "n2"))
        .onComplete(tc.failing(e -> tc.verify(() -> {
          assertEquals(403, rejectedStatus(e), "" + e);
          tc.completeNow();
        })));
  }

  /**
   * A certificate for "n1" from another CA: the peer port's TLS handshake refuses it with the alert
   * certificate_unknown, before any HTTP (so before any upgrade). With TLS 1.3 the WebSocket client
   * only sees "connection closed while handshake in process", so the refusal itself is observed
   * below HTTP ({@link TlsRefusal}); the stream attempt must fail too.
   */
  @Test
  void aStreamWithACertificateFromAnotherCa_failsTheTlsHandshake(VertxTestContext tc) {
    PemKeyCertOptions stranger = https().keyCert(https().strangerCerts(), "n1");
    TlsRefusal.observe(https().vertx("n1"), "127.0.0.1", https().port("n2"), stranger,
            new PemTrustOptions().addCertPath(https().certs().resolve("ca.crt").toString()))
        .compose(refusal -> https().openStream("n2", "n1", stranger)
            .transform(ar -> ar.succeeded()
                ? Future.failedFuture(new AssertionError("the stream opened"))
                : Future.succeededFuture(refusal)))
        .onComplete(tc.succeeding(refusal -> tc.verify(() -> {
          assertTrue(refusal.getMessage().contains("certificate_unknown"), "" + refusal);
          tc.completeNow();
        })));
  }

  /** The older POST path checks the same: an envelope from n1 sent with n2's certificate. */
  @Test
  void aBatchFromAMemberWithAnotherMembersCertificate_isRefusedWith403(VertxTestContext tc) {
    io.vertx.core.buffer.Buffer body = envelope("n1",
        new Message.ReadQuery("n1", "n3", 0, Hash.ZERO, 1));
    https().post(io.vertx.ext.web.client.WebClient.create(https().vertx("n1"),
            https().memberOptions("n2")), "n3", body)
        .onComplete(tc.failing(e -> tc.verify(() -> {
          assertTrue(e.getMessage().startsWith("answered 403"), e.getMessage());
          tc.completeNow();
        })));
  }

  private static int rejectedStatus(Throwable e) {
    UpgradeRejectedException r = cause(e, UpgradeRejectedException.class);
    return r == null ? -1 : r.getStatus();
  }

  private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

}
