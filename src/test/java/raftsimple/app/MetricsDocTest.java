package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;
import raftsimple.testkit.MetricsDoc;

/**
 * A whole node in this JVM, with Vert.x reporting to the registry as {@link Main} sets it up,
 * after some traffic on every kind of route: its {@code GET /metrics} must match docs/METRICS.md
 * (every {@code raftsimple_*} family documented with its type, no summaries among them, every
 * documented one present unless it belongs to a transport this node does not run), carry no
 * duplicate request counters, and use base units.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsDocTest {
  /** Documented families a plain single HTTPS-transport node does not register. */
  static final Set<String> CONDITIONAL = Set.of(
      "raftsimple_peer_messages_refused_total", // the eventbus transport
      "raftsimple_eventbus_unexpected_members", // the eventbus transport
      // Per peer: this test's node has none (WatchIT checks them on a cluster's node).
      "raftsimple_peer_reachable", "raftsimple_peer_outbox_messages",
      "raftsimple_peer_messages_dropped_total", "raftsimple_peer_messages_sent_total",
      "raftsimple_peer_frames_sent_total", "raftsimple_peer_connects_total");

  @TempDir Path dir;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void aRunningNodesMetricsAreAllDocumented_histogramsNotSummaries_noDuplicateRequestCounters() throws Exception {
    PrometheusMeterRegistry registry = Metrics.newRegistry();
    Vertx vertx = Metrics.builder(new VertxOptions(), registry).build();
    try {
      int port = freePort();
      NodeConfig config = ConfigParser.parse(new JsonObject().put("port", port)
          .put("dataDir", dir.resolve("data").toString()).put("tls", new JsonObject().put("enabled", false)),
          Map.of(), dir);
      vertx.deployVerticle(new NodeVerticle(new NodeResources(config, TlsMaterial.disabled(), registry)))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      URI base = URI.create("http://127.0.0.1:" + port);
      awaitReady(base);
      for (int i = 0; i < 20; i++) {
        assertEquals(201, post(base, "/entries", "{\"op\":\"put\",\"key\":\"k\",\"value\":" + i + "}").statusCode());
      }
      assertEquals(200, get(base, "/kv/k").statusCode());
      assertEquals(404, get(base, "/no-such-route").statusCode());
      assertEquals(200, get(base, "/ui/").statusCode());
      watchOneEntry(base);
      String scrape = get(base, "/metrics").body();

      String doc = Files.readString(projectDir().resolve("docs/METRICS.md"));
      assertEquals(List.of(), MetricsDoc.problems(scrape, doc));
      Set<String> families = MetricsDoc.scraped(scrape).keySet();
      Set<String> missing = new TreeSet<>(MetricsDoc.documented(doc).keySet());
      missing.removeAll(families);
      missing.removeAll(CONDITIONAL);
      assertEquals(Set.of(), missing, "documented in docs/METRICS.md but not exposed");

      Map<String, String> types = MetricsDoc.scraped(scrape);
      for (String h : List.of("raftsimple_wal_fsync_seconds", "raftsimple_wal_write_records",
          "raftsimple_commit_batch_entries", "raftsimple_apply_lag_seconds",
          "raftsimple_client_request_latency_seconds", "raftsimple_snapshot_duration_seconds")) {
        assertEquals("histogram", types.get(h), h);
      }
      java.util.regex.Matcher lag = java.util.regex.Pattern.compile("(?m)^raftsimple_apply_lag_seconds_count (\\d+)")
          .matcher(scrape);
      assertTrue(lag.find(), "no apply lag count");
      long handOvers = Long.parseLong(lag.group(1));
      assertTrue(handOvers >= 1 && handOvers <= 20, "one apply-lag sample per commit hand-over: " + handOvers);
      // One request counter: ours, by route template; Vert.x's duplicates are off.
      assertTrue(scrape.contains("raftsimple_client_requests_total{route=\"/entries\",status=\"201\"} 20.0"), scrape);
      for (String gone : List.of("vertx_http_server_requests_total", "vertx_http_server_response_time_seconds",
          "vertx_http_server_request_bytes", "vertx_http_server_response_bytes",
          "jvm_compilation_time_ms_total", "process_cpu_time_ns_total")) {
        assertFalse(families.contains(gone), gone + " should be turned off (docs/METRICS.md)");
      }
      assertTrue(families.contains("vertx_http_server_active_connections"), "Vert.x's connection meters stay");
      assertEquals("counter", types.get("process_cpu_seconds_total"));
      // Base units: no family named in milliseconds or nanoseconds.
      for (String f : families) {
        assertFalse(f.matches(".*_(ms|millis|milliseconds|ns|nanos|nanoseconds|us|micros)(_.*)?"), f);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private void watchOneEntry(URI base) throws IOException, InterruptedException {
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(base.resolve("/watch?from=1")).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    try (InputStream in = r.body()) {
      byte[] first = in.readNBytes(32);
      assertTrue(new String(first, java.nio.charset.StandardCharsets.UTF_8).startsWith("retry: "));
    }
  }

  private void awaitReady(URI base) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (get(base, "/ready").statusCode() != 200) {
      assertTrue(System.nanoTime() < deadline, "the node did not become ready");
      Thread.sleep(50); // the poll interval
    }
  }

  private HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(URI base, String path, String body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path projectDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
  }
}
