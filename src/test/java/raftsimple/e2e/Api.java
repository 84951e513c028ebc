package raftsimple.e2e;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * The test client: {@link HttpClient} (HTTP/1.1) trusting the test CA, JSON with Jackson. Methods
 * throw {@link IOException} when there is no HTTP answer at all (connection refused or reset, TLS
 * handshake failure), so callers can tell that apart from an error status.
 */
final class Api {
  /** Parses numbers exactly (BigDecimal, trailing zeros kept), so values compare as sent. */
  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .build();

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

  /** One HTTP answer. {@code json} is null when the body is not JSON. */
  record Resp(int status, byte[] bytes, JsonNode json) {
    String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    String str(String field) {
      JsonNode n = json == null ? null : json.get(field);
      return n == null || n.isNull() ? null : n.asText();
    }

    long num(String field) {
      JsonNode n = json == null ? null : json.get(field);
      if (n == null || !n.isIntegralNumber()) {
        throw new AssertionError("no integer \"" + field + "\" in " + this);
      }
      return n.longValue();
    }

    @Override
    public String toString() {
      String t = text();
      return status + " " + (t.length() > 2000 ? t.substring(0, 2000) + "..." : t);
    }
  }

  private final HttpClient http;

  Api(SSLContext ssl) {
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5));
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.http = b.build();
  }

  Resp get(URI base, String path) throws IOException {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  Resp post(URI base, String path, String body, String... headers) throws IOException {
    return post(base, path, body.getBytes(StandardCharsets.UTF_8), headers);
  }

  Resp post(URI base, String path, byte[] body, String... headers) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  Resp delete(URI base, String path) throws IOException {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
  }

  /** {@code POST /entries}; {@code idempotencyKey} may be null. */
  Resp submit(URI base, String payload, String idempotencyKey) throws IOException {
    return idempotencyKey == null
        ? post(base, "/entries", payload)
        : post(base, "/entries", payload, "Idempotency-Key", idempotencyKey);
  }

  Resp submit(URI base, String payload) throws IOException {
    return submit(base, payload, null);
  }

  private Resp send(HttpRequest.Builder b) throws IOException {
    HttpRequest request = b.timeout(REQUEST_TIMEOUT).build();
    HttpResponse<byte[]> r;
    try {
      r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + request.method() + " " + request.uri(), e);
    }
    return new Resp(r.statusCode(), r.body(), parse(r.body()));
  }

  static JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException notJson) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }
}
