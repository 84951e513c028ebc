package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftsimple.bus.EntryJson;
import raftsimple.chain.LogEntry;
import raftsimple.testkit.SseClient;
import raftsimple.testkit.SseClient.Event;

/**
 * {@code GET /watch} against a {@link FakeLog} whose query answers and live publishes race at
 * random: exactly-once in-order delivery across the history-to-live hand-over, resumption with
 * {@code Last-Event-ID}, filters, 410 {@code COMPACTED} (at the start and after a gap that a
 * snapshot install left), keep-alives, bad parameters, a consumer that stops reading, and shutdown.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchRouteTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  /** Small pages, so that catching up takes many of them and races with the live feed. */
  static final WatchLimits LIMITS = new WatchLimits(16, 4_096, 16L << 20, 5_000, 15_000, 5_000, 1_000);

  Vertx vertx;
  IngressFixture f;
  FakeLog log;
  URI base;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  final List<SseClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    clients.forEach(SseClient::close);
    await(vertx.close());
  }

  void start(WatchLimits limits, long seed, int replyDelayMsMax, int publishDelayMsMax) throws Exception {
    log = new FakeLog(vertx, seed, replyDelayMsMax, publishDelayMsMax);
    f = new IngressFixture(vertx);
    f.watchLimits = limits;
    await(f.start());
    base = URI.create("http://127.0.0.1:" + f.ingress.actualPort());
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  SseClient watch(String query, String lastEventId) throws IOException {
    SseClient c = SseClient.open(http, base.resolve("/watch" + query), lastEventId);
    clients.add(c);
    return c;
  }

  /** The next {@code n} entry events; fails on the stream's end, an error event or a timeout. */
  static List<Event> take(SseClient c, int n) {
    List<Event> out = new ArrayList<>();
    while (out.size() < n) {
      Event e = c.next(WAIT);
      assertNotNull(e, "no event within " + WAIT + " after " + out.size() + " of " + n + ": " + last(out));
      assertEquals("message", e.type(), "after " + last(out) + ": " + e);
      out.add(e);
    }
    return out;
  }

  static String last(List<Event> events) {
    return events.isEmpty() ? "none" : "id " + events.get(events.size() - 1).id();
  }

  static List<Long> ids(List<Event> events) {
    return events.stream().map(Event::index).toList();
  }

  static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  static String json(LogEntry e) throws IOException {
    return Payloads.MAPPER.writeValueAsString(EntryJson.of(e));
  }

  static void assertSameEntries(List<LogEntry> expected, List<Event> events) throws IOException {
    assertEquals(expected.size(), events.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(Long.toString(expected.get(i).index()), events.get(i).id());
      assertEquals(json(expected.get(i)), events.get(i).data(), "entry " + expected.get(i).index());
    }
  }

  static void until(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      try {
        Thread.sleep(10); // the poll interval
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  // ---- the hand-over from history to live ----

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void everyEntryOnceInOrder_whileHistoryPagesAndLiveBatchesRace(long seed) throws Exception {
    start(LIMITS, seed, 3, 3);
    log.commitPuts(300);
    SseClient c = watch("?from=1", null);
    SplittableRandom random = new SplittableRandom(seed);
    for (int committed = 0; committed < 300; ) {
      int n = Math.min(300 - committed, 1 + random.nextInt(20));
      log.commitPuts(n);
      committed += n;
    }
    List<Event> events = take(c, 600);
    assertSameEntries(log.entries(), events);

    // Caught up: what commits now arrives live, without asking the log again. (Once no page is on
    // its way: a late page may show entries whose publish is still on its way too, and the stream
    // then rightly reads them from the log.)
    until("the stream to have no page on its way", () -> metric("raftsimple_watch_streams_catching_up") == 0);
    log.delays(0, 0);
    int queries = log.logQueries.get();
    log.commitPuts(40);
    log.commitPuts(10);
    assertEquals(range(601, 650), ids(take(c, 50)));
    assertEquals(queries, log.logQueries.get(), "pages asked for after the stream was live");
  }

  static boolean call(java.util.concurrent.Callable<Boolean> c) {
    try {
      return c.call();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void withoutFrom_onlyEntriesCommittedAfterwardsAreSent() throws Exception {
    start(LIMITS, 7, 0, 0);
    log.commitPuts(10);
    until("the first entries to be published", () -> call(() -> log.published() == 10));
    SseClient c = watch("", null);
    until("the stream to be open and live", () -> metric("raftsimple_watch_streams") == 1
        && metric("raftsimple_watch_streams_catching_up") == 0);
    log.commitPuts(3);
    assertEquals(List.of(11L, 12L, 13L), ids(take(c, 3)));
  }

  // ---- resuming ----

  @Test
  void lastEventIdResumesRightAfterIt_andFromStillBoundsTheStart() throws Exception {
    start(LIMITS, 8, 1, 1);
    log.commitPuts(20);
    SseClient first = watch("?from=1", null);
    List<Event> seen = take(first, 10);
    first.close();
    // An EventSource reconnects to the same URL (from=1) and sends the last id it saw.
    SseClient again = watch("?from=1", seen.get(9).id());
    assertEquals(range(11, 20), ids(take(again, 10)));
    // A Last-Event-ID before from: from wins (the stream never shows what lies before it).
    SseClient later = watch("?from=18", "15");
    assertEquals(List.of(18L, 19L, 20L), ids(take(later, 3)));
    // Last-Event-ID 0: from the first entry.
    SseClient all = watch("", "0");
    assertEquals(range(1, 20), ids(take(all, 20)));
  }

  // ---- filters ----

  @Test
  void keyAndPrefixFilters_sendOnlyMatchingKvEntries_underTheirLogIndexes() throws Exception {
    start(LIMITS, 9, 1, 1);
    log.commit(
        "{\"op\":\"put\",\"key\":\"a\",\"value\":1}", // 1
        "{\"op\":\"put\",\"key\":\"ab\",\"value\":2}", // 2
        "{\"op\":\"put\",\"key\":\"b\",\"value\":3}", // 3
        "[1,2]", // 4: not an object
        "{\"key\":5}", // 5: key not a string
        "{\"op\":\"append\",\"value\":{\"key\":\"zz\"},\"key\":\"a\"}", // 6: a nested "key" first
        "{\"$raftsimple\":\"membership\",\"op\":\"add\",\"id\":\"n4\"}", // 7: a system entry
        "\"a\"", // 8: a string payload
        "{\"op\":\"delete\",\"key\":\"a\"}"); // 9
    SseClient key = watch("?from=1&key=a", null);
    SseClient prefix = watch("?from=1&prefix=a", null);
    assertEquals(List.of(1L, 6L, 9L), ids(take(key, 3)));
    assertEquals(List.of(1L, 2L, 6L, 9L), ids(take(prefix, 4)));
    // live entries are filtered alike: 10 and 12 match, 11 does not
    log.commit("{\"op\":\"put\",\"key\":\"a\",\"value\":10}");
    log.commit("{\"op\":\"put\",\"key\":\"c\",\"value\":11}", "{\"op\":\"put\",\"key\":\"a\",\"value\":12}");
    assertEquals(List.of(10L, 12L), ids(take(key, 2)));
    assertEquals(List.of(10L, 12L), ids(take(prefix, 2)));
    // resuming a filtered stream: after id 6, the next matching entries
    SseClient resumed = watch("?from=1&key=a", "6");
    assertEquals(List.of(9L, 10L, 12L), ids(take(resumed, 3)));
  }

  // ---- compaction ----

  @Test
  void fromBelowTheRetainedLog_is410CompactedWithFirstIndex() throws Exception {
    start(LIMITS, 10, 0, 0);
    log.commitPuts(20);
    log.commitCoveredBySnapshot(10);
    SseClient c = watch("?from=5", null);
    assertEquals(410, c.status());
    JsonNode body = IngressFixture.json(c.errorBody());
    assertEquals("COMPACTED", body.get("code").asText());
    assertEquals(31, body.get("firstIndex").asLong());
    assertTrue(body.get("error").asText().contains("31"), body.toString());
    log.commitPuts(2);
    assertEquals(List.of(31L, 32L), ids(take(watch("?from=31", null), 2)));
  }

  @Test
  void aGapLeftByASnapshotInstall_endsTheStreamWithCompacted() throws Exception {
    start(LIMITS, 11, 0, 0);
    log.commitPuts(10);
    SseClient c = watch("?from=1", null);
    assertEquals(range(1, 10), ids(take(c, 10)));
    log.commitCoveredBySnapshot(20); // 11..30 are in the snapshot, never applied here
    log.commitPuts(5); // 31..35 are published
    Event e = c.next(WAIT);
    assertNotNull(e);
    assertEquals("error", e.type(), e.toString());
    JsonNode body = IngressFixture.json(e.data());
    assertEquals("COMPACTED", body.get("code").asText());
    assertEquals(31, body.get("firstIndex").asLong());
    assertEquals(SseClient.END, c.next(WAIT).type(), "the stream ends after the error event");
    SseClient again = watch("", "10");
    assertEquals(410, again.status(), again.errorBody());
  }

  // ---- keep-alive, bad input, shutdown ----

  @Test
  void keepAliveCommentsFlowWhileNothingCommits() throws Exception {
    start(new WatchLimits(16, 4_096, 16L << 20, 100, 15_000, 5_000, 1_000), 12, 0, 0);
    SseClient c = watch("", null);
    until("two keep-alive comments", () -> c.comments() >= 2);
    assertEquals(null, c.next(Duration.ofMillis(1)), "keep-alives are not events");
  }

  @Test
  void badParameters_are400NamingThem() throws Exception {
    start(LIMITS, 13, 0, 0);
    String longKey = "k".repeat(ReadRoutes.KEY_BYTES_MAX + 1);
    String[][] cases = {
        {"?from=0", null, "from"}, {"?from=x", null, "from"}, {"?from=1&from=2", null, "from"},
        {"", "-2", "Last-Event-ID"}, {"", "abc", "Last-Event-ID"}, {"?key=", null, "key"},
        {"?key=a&prefix=b", null, "key or prefix"}, {"?prefix=" + longKey, null, "prefix"},
        {"?key=a&key=b", null, "key"}};
    for (String[] c : cases) {
      HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/watch" + c[0])).GET();
      if (c[1] != null) {
        b.header("Last-Event-ID", c[1]);
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(400, r.statusCode(), c[0] + " " + c[1] + ": " + r.body());
      JsonNode body = IngressFixture.json(r.body());
      assertEquals("BAD_REQUEST", body.get("code").asText());
      assertTrue(body.get("error").asText().contains(c[2]), c[0] + ": " + body);
    }
  }

  @Test
  void stoppingTheNode_endsOpenStreamsWithUnavailable() throws Exception {
    start(LIMITS, 14, 0, 0);
    log.commitPuts(3);
    SseClient c = watch("?from=1", null);
    assertEquals(range(1, 3), ids(take(c, 3)));
    await(vertx.undeploy(f.ingress.deploymentID()));
    Event e = c.next(WAIT);
    assertNotNull(e);
    assertEquals("error", e.type(), e.toString());
    assertEquals("UNAVAILABLE", IngressFixture.json(e.data()).get("code").asText());
    assertEquals(SseClient.END, c.next(WAIT).type());
  }

  // ---- a consumer that stops reading ----

  @Test
  void aConsumerThatStopsReading_isCutOffWithSlowConsumer_holdingNoMoreThanItsBound() throws Exception {
    int held = 32;
    start(new WatchLimits(16, held, 16L << 20, 100, 300, 10_000, 1_000), 15, 0, 0);
    String big = "x".repeat(16 * 1024);
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new InetSocketAddress("127.0.0.1", f.ingress.actualPort()), 5_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /watch?from=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      until("the stream to open", () -> metric("raftsimple_watch_streams") == 1);
      // ~20 MB of entries while the client reads nothing: far beyond socket buffers and the write queue
      double heldMax = 0;
      for (int i = 0; i < 60 && metric("raftsimple_watch_streams") == 1; i++) {
        String[] batch = new String[20];
        for (int k = 0; k < batch.length; k++) {
          batch[k] = "{\"op\":\"put\",\"key\":\"big\",\"value\":\"" + big + "\"}";
        }
        log.commit(batch);
        heldMax = Math.max(heldMax, metric("raftsimple_watch_held_entries"));
      }
      until("the server to give up on the stream", () ->
          metric("raftsimple_watch_streams_ended_total{reason=\"slow_consumer\"}") == 1);
      assertTrue(heldMax <= held + LIMITS.pageEntries(), "held " + heldMax + " entries for one stream");
      // Now read it all: every event in order up to where it stopped, then the reason, then the end.
      String stream = dechunk(s.getInputStream());
      Matcher ids = Pattern.compile("(?m)^id: (\\d+)$").matcher(stream);
      long expect = 1;
      while (ids.find()) {
        assertEquals(expect++, Long.parseLong(ids.group(1)));
      }
      assertTrue(expect > 2, "some events were sent before the stream was cut: " + (expect - 1));
      assertTrue(stream.endsWith("\n\n") && stream.substring(stream.lastIndexOf("event: error")).startsWith(
          "event: error\ndata: {\"error\":\"the client took no data for 300 ms"), tail(stream));
      assertTrue(tail(stream).contains("\"code\":\"SLOW_CONSUMER\""), tail(stream));
      // It can resume where it was cut off.
      SseClient resumed = watch("", Long.toString(expect - 1));
      assertEquals(expect, take(resumed, 1).get(0).index());
    }
  }

  static String tail(String s) {
    return s.substring(Math.max(0, s.length() - 300));
  }

  /**
   * The body of a chunked HTTP/1.1 response, read up to its last chunk (the connection stays open
   * after it: HTTP keep-alive), as text.
   */
  static String dechunk(InputStream in) throws IOException {
    String head = line(in);
    assertTrue(head.startsWith("HTTP/1.1 200"), head);
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      chunked |= h.toLowerCase(java.util.Locale.ROOT).equals("transfer-encoding: chunked");
    }
    assertTrue(chunked, "a chunked response");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int size = Integer.parseInt(line(in), 16); size > 0; size = Integer.parseInt(line(in), 16)) {
      body.write(in.readNBytes(size));
      assertEquals("", line(in), "CRLF after a chunk");
    }
    return body.toString(StandardCharsets.UTF_8);
  }

  /** One CRLF-terminated line, without the CRLF. */
  static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      assertTrue(c >= 0, "the connection ended inside a line: " + sb);
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  /** A sample's value from this ingress's GET /metrics (0 when absent). */
  double metric(String series) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      for (String line : r.body().split("\n")) {
        if (line.startsWith(series + " ")) {
          return Double.parseDouble(line.substring(series.length() + 1).trim());
        }
      }
      return 0;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
