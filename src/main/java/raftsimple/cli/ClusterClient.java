package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import raftsimple.statemachine.Json;

/**
 * A blocking HTTP client over a list of endpoints (the CLI runs on its own thread, not an event
 * loop): each request goes to the endpoint that answered last, and on a connection failure to the
 * next one, each endpoint at most once per request. A request that may already have reached a
 * node (the connection broke after it was sent) moves on only when it is safe to repeat: GET,
 * DELETE, or a write with an {@code Idempotency-Key}. When no endpoint answers, {@link
 * CtlException} with exit status 3 names each endpoint and why.
 */
final class ClusterClient {
  /** One HTTP answer, from {@code endpoint}. */
  record Response<T>(URI endpoint, int status, HttpHeaders headers, T body) {}

  private final List<URI> endpoints;
  private final HttpClient http;
  private final Duration timeout;
  private int current;

  ClusterClient(List<URI> endpoints, SSLContext ssl, Duration timeout) {
    this.endpoints = List.copyOf(endpoints);
    this.timeout = timeout;
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofMillis(Math.min(timeout.toMillis(), 5_000)));
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.http = b.build();
  }

  List<URI> endpoints() {
    return endpoints;
  }

  /** The endpoint the next request goes to first. */
  URI current() {
    return endpoints.get(current);
  }

  Response<byte[]> get(String path) {
    return send(HttpRequest.newBuilder().GET(), path, HttpResponse.BodyHandlers.ofByteArray(), true);
  }

  Response<byte[]> delete(String path) {
    return send(HttpRequest.newBuilder().DELETE(), path, HttpResponse.BodyHandlers.ofByteArray(), true);
  }

  /** POST of a JSON body; {@code idempotencyKey} (may be null) makes it safe to repeat elsewhere. */
  Response<byte[]> postJson(String path, byte[] json, String idempotencyKey) {
    HttpRequest.Builder b = HttpRequest.newBuilder()
        .POST(HttpRequest.BodyPublishers.ofByteArray(json))
        .header("Content-Type", "application/json");
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return send(b, path, HttpResponse.BodyHandlers.ofByteArray(), idempotencyKey != null);
  }

  /** A GET whose body is read as a stream (snapshot, watch); {@code timeout} null: none. */
  Response<InputStream> stream(String path, Duration requestTimeout, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder().GET();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b, path, HttpResponse.BodyHandlers.ofInputStream(), true, requestTimeout);
  }

  <T> Response<T> send(HttpRequest.Builder b, String path, HttpResponse.BodyHandler<T> handler,
      boolean repeatable) {
    return send(b, path, handler, repeatable, timeout);
  }

  private <T> Response<T> send(HttpRequest.Builder b, String path,
      HttpResponse.BodyHandler<T> handler, boolean repeatable, Duration requestTimeout) {
    List<String> failures = new ArrayList<>();
    for (int tried = 0; tried < endpoints.size(); tried++) {
      URI endpoint = endpoints.get(current);
      HttpRequest.Builder attempt = b.copy().uri(URI.create(endpoint + path));
      if (requestTimeout != null) {
        attempt.timeout(requestTimeout);
      }
      HttpRequest request = attempt.build();
      try {
        HttpResponse<T> r = http.send(request, handler);
        return new Response<>(endpoint, r.statusCode(), r.headers(), r.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CtlException(ExitCodes.UNREACHABLE, "interrupted while waiting for " + endpoint);
      } catch (IOException | UnresolvedAddressException e) {
        String why = describe(e);
        failures.add(endpoint + ": " + why);
        if (!connectionFailure(e) && !repeatable) {
          throw new CtlException(ExitCodes.UNREACHABLE, request.method() + " " + endpoint + path
              + " failed after it was sent (" + why + "); it may or may not have taken effect, "
              + "and repeating it elsewhere is not safe");
        }
        current = (current + 1) % endpoints.size();
      }
    }
    throw new CtlException(ExitCodes.UNREACHABLE, "no endpoint reachable: " + String.join("; ", failures));
  }

  /** The request never reached a node: safe to send elsewhere whatever it is. */
  static boolean connectionFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException
          || t instanceof SSLException || t instanceof UnresolvedAddressException) {
        return true;
      }
    }
    return false;
  }

  /** A short reason: "connection refused", "TLS handshake failed: ...", "timed out after 30 s". */
  static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return "TLS handshake failed (is --cacert the cluster's CA?): " + t.getMessage();
      }
      if (t instanceof ConnectException) {
        return t.getMessage() == null ? "connection refused" : t.getMessage().toLowerCase(Locale.ROOT);
      }
      if (t instanceof HttpConnectTimeoutException) {
        return "connect timed out";
      }
      if (t instanceof java.net.http.HttpTimeoutException) {
        return "no answer within the request timeout (--timeout)";
      }
      if (t instanceof UnresolvedAddressException) {
        return "unknown host";
      }
    }
    return String.valueOf(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  /** The body as JSON, or a refusal naming the endpoint when it is not. */
  static JsonNode json(Response<byte[]> r) {
    try {
      return Json.parse(r.body());
    } catch (IllegalArgumentException e) {
      throw CtlException.refused(r.endpoint() + " answered " + r.status() + " with a body that is not JSON: "
          + abbreviate(new String(r.body(), StandardCharsets.UTF_8)));
    }
  }

  /** Throws {@link CtlException} (exit 1) with the contract's error body unless the status is 2xx. */
  static Response<byte[]> ok(Response<byte[]> r) {
    if (r.status() >= 200 && r.status() <= 299) {
      return r;
    }
    throw CtlException.refused(refusal(r.endpoint(), r.status(), r.body()));
  }

  /** "https://..:6969 answered 409 REJECTED: cas failed: ..." */
  static String refusal(URI endpoint, int status, byte[] body) {
    String text = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
    try {
      JsonNode n = Json.parse(body);
      if (n.path("code").isTextual()) {
        return endpoint + " answered " + status + " " + n.get("code").asText() + ": "
            + n.path("error").asText("") + extra(n);
      }
    } catch (IllegalArgumentException notJson) {
      // plain text
    }
    return endpoint + " answered " + status + (text.isBlank() ? "" : ": " + abbreviate(text));
  }

  /** Fields beyond error and code that an operator needs (writable URLs, firstIndex, txid). */
  private static String extra(JsonNode n) {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("writable", "firstIndex", "txid")) {
      if (n.has(f)) {
        sb.append(sb.length() == 0 ? " (" : ", ").append(f).append(' ').append(n.get(f));
      }
    }
    return sb.length() == 0 ? "" : sb.append(')').toString();
  }

  private static String abbreviate(String s) {
    String one = s.strip().replace('\n', ' ');
    return one.length() > 300 ? one.substring(0, 300) + "..." : one;
  }
}
