package raftsimple.ingress;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads a request body as raw bytes, at most {@code limitBytes} (413 {@code TOO_LARGE} beyond, by
 * {@link Errors#routerError}), whatever its {@code Content-Type} says, for the routes whose body is
 * JSON. vertx-web's {@code BodyHandler} is not used there because, for a body labelled
 * {@code application/x-www-form-urlencoded} (curl {@code -d}'s default) or {@code multipart/*}, it
 * has the HTTP server decode it as a form: JSON of more than {@code maxFormBufferedBytes} (1 KiB)
 * is then one over-long form field and the request fails with 400 before any route sees it, and a
 * JSON text with many {@code &} would exceed {@code maxFormFields}. Here nothing is decoded; the
 * route parses the bytes ({@link #of}).
 *
 * <p>Must be the route's first handler after the metrics tag (the request is not paused: data that
 * arrives before this handler runs would be lost). Answers {@code Expect: 100-continue}.
 */
final class RawBody implements Handler<RoutingContext> {
  private static final String KEY = "raftsimple.rawBody";

  private final int limitBytes;

  RawBody(int limitBytes) {
    this.limitBytes = limitBytes;
  }

  /** The body that this handler read for {@code ctx} (empty when there was none). */
  static Buffer of(RoutingContext ctx) {
    Buffer b = ctx.get(KEY);
    return b == null ? Buffer.buffer() : b;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.put(IngressVerticle.BODY_LIMIT_KEY, limitBytes);
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      // The router pauses a request until a handler reads it; ended here means a handler before
      // this one let the body go: a wiring bug, not the client's fault.
      ctx.fail(new IllegalStateException("RawBody ran after the request ended; it must be the "
          + "route's first body-reading handler"));
      return;
    }
    long declared = declaredLength(request);
    if (declared > limitBytes) {
      ctx.fail(413);
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
      ctx.response().writeContinue();
    }
    Buffer body = Buffer.buffer((int) Math.max(0, Math.min(declared, limitBytes)));
    boolean[] failed = {false};
    request.handler(chunk -> {
      if (failed[0]) {
        return;
      }
      if (body.length() + chunk.length() > limitBytes) {
        failed[0] = true;
        ctx.fail(413);
        return;
      }
      body.appendBuffer(chunk);
    });
    request.exceptionHandler(e -> {
      if (!failed[0]) {
        failed[0] = true;
        ctx.fail(400, e);
      }
    });
    request.endHandler(v -> {
      if (!failed[0]) {
        ctx.put(KEY, body);
        ctx.next();
      }
    });
    request.resume();
  }

  /** Content-Length, or -1 when absent or not a number (chunked bodies are counted as they come). */
  private static long declaredLength(HttpServerRequest request) {
    String v = request.getHeader("Content-Length");
    if (v == null) {
      return -1;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
