package raftsimple.ingress;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger.Level;

/** Writes {@link Reply} values to HTTP responses, and turns failed futures into replies. */
final class Replies {
  private static final System.Logger LOG = System.getLogger(Replies.class.getName());

  static final String JSON = "application/json";

  private Replies() {}

  /** Writes {@code reply}, unless the response is already over (client gone, or answered). */
  static void send(RoutingContext ctx, Reply reply) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(reply.status());
    if (reply.body() == null) {
      response.end();
      return;
    }
    byte[] bytes;
    try {
      bytes = Payloads.MAPPER.writeValueAsBytes(reply.body());
    } catch (JsonProcessingException e) {
      LOG.log(Level.ERROR, "cannot serialize a reply body", e);
      response.setStatusCode(500);
      bytes = Errors.bytes(Errors.body("INTERNAL", "internal error"));
    }
    response.putHeader("Content-Type", JSON).end(Buffer.buffer(bytes));
  }

  /**
   * Sends the reply {@code future} completes with, or the reply {@link Errors#fromFailure} makes of
   * its failure.
   */
  static void send(RoutingContext ctx, Future<Reply> future) {
    future.onComplete(
        ar -> send(ctx, ar.succeeded() ? ar.result() : Errors.fromFailure(ctx, ar.cause())));
  }
}
