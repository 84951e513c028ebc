package raftsimple.ingress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * The one place that builds error bodies (CONTRACT "Client API": {@code {"error": "...", "code":
 * "UPPER_SNAKE"}}) and maps failures to them. Nothing else writes an error status.
 *
 * <p>Event-bus failures ({@link ReplyException}) map as follows:
 *
 * <ul>
 *   <li>{@code TIMEOUT}, {@code NO_HANDLERS}, {@code ERROR}: 503 {@code UNAVAILABLE} — the part of the
 *       node that answers is busy, stuck, stopping or not deployed; a retry may succeed.
 *   <li>{@code RECIPIENT_FAILURE} whose failure code is an HTTP status (400..599) and whose message
 *       is a JSON object with a string {@code "code"}: passed through as that status and body (an
 *       {@code "error"} is added if missing). This is how a verticle answers a client directly, e.g.
 *       the log verticle's {@code message.fail(410, "{\"code\":\"COMPACTED\",\"error\":...}")} for a
 *       {@code GET /log} range that was compacted away.
 *   <li>{@code RECIPIENT_FAILURE} 410 with a plain message: 410 {@code GONE} with that message.
 *   <li>other {@code RECIPIENT_FAILURE} 4xx: the recipient did not understand what the ingress sent,
 *       a programmer error here: 500 {@code INTERNAL}, logged.
 *   <li>other {@code RECIPIENT_FAILURE} (5xx or no status): 503 {@code UNAVAILABLE} with the
 *       recipient's message (e.g. the state machine's "state has not reached index N").
 * </ul>
 *
 * <p>Any other exception is a bug: 500 {@code INTERNAL} with no detail for the client, and the
 * stack trace in the node's log.
 */
final class Errors {
  private static final System.Logger LOG = System.getLogger(Errors.class.getName());

  private Errors() {}

  static ObjectNode body(String code, String message) {
    ObjectNode o = Reply.object();
    o.put("error", message);
    o.put("code", code);
    return o;
  }

  static Reply reply(int status, String code, String message) {
    return Reply.of(status, body(code, message));
  }

  static Reply badRequest(String message) {
    return reply(400, "BAD_REQUEST", message);
  }

  static Reply notFound(String message) {
    return reply(404, "NOT_FOUND", message);
  }

  static Reply unavailable(String message) {
    return reply(503, "UNAVAILABLE", message);
  }

  static Reply internal() {
    return reply(500, "INTERNAL", "internal error; the node's log has the details");
  }

  static Reply notImplemented(String message) {
    return reply(501, "NOT_IMPLEMENTED", message);
  }

  static byte[] bytes(JsonNode body) {
    try {
      return Payloads.MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an error body did not serialize", e);
    }
  }

  /** The reply for a failed future while answering {@code ctx}; see the class comment. */
  static Reply fromFailure(RoutingContext ctx, Throwable t) {
    if (t instanceof ReplyException r) {
      return fromBus(ctx, r);
    }
    LOG.log(Level.ERROR, "unexpected failure answering " + describe(ctx), t);
    return internal();
  }

  private static Reply fromBus(RoutingContext ctx, ReplyException r) {
    switch (r.failureType()) {
      case TIMEOUT:
        return unavailable("the node did not answer within the request timeout");
      case NO_HANDLERS:
        return unavailable("the node is not ready to serve this request");
      case RECIPIENT_FAILURE:
        return fromRecipient(ctx, r.failureCode(), r.getMessage());
      default:
        return unavailable("the node could not serve this request");
    }
  }

  private static Reply fromRecipient(RoutingContext ctx, int status, String message) {
    boolean httpStatus = status >= 400 && status <= 599;
    ObjectNode structured = httpStatus ? structured(message) : null;
    if (structured != null) {
      if (!structured.hasNonNull("error")) {
        structured.put("error", structured.get("code").asText());
      }
      return Reply.of(status, structured);
    }
    String text = message == null || message.isBlank() ? "no detail" : message;
    if (status == 410) {
      return reply(410, "GONE", text);
    }
    if (status >= 400 && status <= 499) {
      LOG.log(Level.ERROR, "a verticle refused what the ingress sent for " + describe(ctx) + ": "
          + status + " " + text);
      return internal();
    }
    return unavailable(text);
  }

  /** {@code message} as a JSON object with a string "code", else null. */
  private static ObjectNode structured(String message) {
    if (message == null || !message.startsWith("{")) {
      return null;
    }
    try {
      JsonNode n = Payloads.MAPPER.readTree(message);
      return n instanceof ObjectNode o && o.path("code").isTextual() ? o : null;
    } catch (JsonProcessingException notJson) {
      return null;
    }
  }

  /**
   * The router's error handler, for every status 400..599 it raises: no route (404), wrong method
   * (405), body too large (413, from {@code BodyHandler}), a handler that threw (500).
   */
  static void routerError(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset(); // half an answer went out; the client must not take it for a whole one
      return;
    }
    int status = ctx.statusCode();
    Throwable failure = ctx.failure();
    Reply reply;
    if (status == 404) {
      reply = notFound("no such resource: " + describe(ctx));
    } else if (status == 405) {
      reply = reply(405, "METHOD_NOT_ALLOWED", "method not allowed: " + describe(ctx));
    } else if (status == 413) {
      Integer limit = ctx.get(IngressVerticle.BODY_LIMIT_KEY);
      reply = reply(413, "TOO_LARGE", "the request body is larger than "
          + (limit == null ? "this endpoint accepts" : limit + " bytes"));
    } else if (status >= 400 && status <= 499) {
      reply = reply(status, codeFor(status), "the request was refused: " + reason(status));
    } else if (failure != null) {
      reply = fromFailure(ctx, failure);
    } else {
      LOG.log(Level.ERROR, "status " + status + " without a cause answering " + describe(ctx));
      reply = internal();
    }
    Replies.send(ctx, reply);
  }

  /** For requests HTTP itself could not decode (request line or headers too long, bad syntax). */
  static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
        : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    request.response()
        .setStatusCode(status)
        .putHeader("Content-Type", Replies.JSON)
        .putHeader("Connection", "close")
        .end(Buffer.buffer(bytes(body(codeFor(status), "invalid HTTP request: " + reason(status)))))
        .onComplete(done -> request.connection().close());
  }

  /** UPPER_SNAKE code for an HTTP status: its reason phrase, with the CONTRACT's own names first. */
  static String codeFor(int status) {
    switch (status) {
      case 413:
        return "TOO_LARGE";
      case 500:
        return "INTERNAL";
      case 503:
        return "UNAVAILABLE";
      default:
        return reason(status).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
    }
  }

  private static String reason(int status) {
    return HttpResponseStatus.valueOf(status).reasonPhrase();
  }

  private static String describe(RoutingContext ctx) {
    return ctx.request().method() + " " + ctx.normalizedPath();
  }
}
