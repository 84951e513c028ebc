package raftsimple.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code watch} against fake SSE servers built to the spec of {@code GET /watch}: events whose data
 * is a {@code /log} entry and whose id is its index; the client must print every entry once and in
 * order across broken streams, reconnecting with {@code Last-Event-ID}, to the next endpoint when
 * one is gone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchCommandTest {
  /** What one connection asked for. */
  record Ask(String query, String lastEventId, String accept) {}

  static String entry(long index) {
    return "{\"index\":" + index + ",\"payload\":{\"op\":\"put\",\"key\":\"k\",\"value\":" + index + "}}";
  }

  /** Opens an event stream: 200, text/event-stream, chunked. */
  static OutputStream open(HttpExchange x) throws IOException {
    x.getResponseHeaders().add("Content-Type", "text/event-stream");
    x.sendResponseHeaders(200, 0);
    return x.getResponseBody();
  }

  static void send(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  static void event(OutputStream out, long index) throws IOException {
    send(out, "id: " + index + "\ndata: " + entry(index) + "\n\n");
  }

  static Ask ask(HttpExchange x) {
    return new Ask(x.getRequestURI().getRawQuery(), x.getRequestHeaders().getFirst("Last-Event-ID"),
        x.getRequestHeaders().getFirst("Accept"));
  }

  @Test
  void printsEveryEntryOnceInOrderAcrossABrokenStreamResumingWithLastEventId() {
    List<Ask> asks = new CopyOnWriteArrayList<>();
    AtomicInteger connections = new AtomicInteger();
    try (FakeNode n = new FakeNode().on("/watch", x -> {
      asks.add(ask(x));
      try (OutputStream out = open(x)) {
        if (connections.incrementAndGet() == 1) {
          send(out, ": keep-alive\n\n");
          event(out, 5);
          event(out, 6);
          // The node cuts off a slow consumer with a final event saying why, then closes.
          send(out, "event: error\ndata: {\"code\":\"SLOW_CONSUMER\"}\n\n");
        } else {
          long from = Long.parseLong(x.getRequestHeaders().getFirst("Last-Event-ID")) + 1;
          for (long i = from; i < from + 3; i++) {
            event(out, i);
          }
        }
      }
    })) {
      FakeNode.Run r = FakeNode.ctl("--endpoints", n.url(), "watch", "color", "--from", "5", "--count", "5");
      assertEquals(0, r.status(), r.err());
      assertEquals(entry(5) + "\n" + entry(6) + "\n" + entry(7) + "\n" + entry(8) + "\n" + entry(9) + "\n", r.out());
      assertEquals(new Ask("from=5&key=color", null, "text/event-stream"), asks.get(0));
      assertEquals(new Ask("from=7&key=color", "6", "text/event-stream"), asks.get(1));
      assertTrue(r.err().contains("sent 'error': {\"code\":\"SLOW_CONSUMER\"}"), r.err());
      assertTrue(r.err().contains("reconnecting from index 7"), r.err());
    }
  }

  @Test
  void movesToTheNextEndpointWhenTheNodeIsGone() {
    List<Ask> asks = new CopyOnWriteArrayList<>();
    FakeNode first = new FakeNode();
    try (FakeNode second = new FakeNode().on("/watch", x -> {
      asks.add(ask(x));
      try (OutputStream out = open(x)) {
        event(out, 3);
      }
    })) {
      first.on("/watch", x -> {
        try (OutputStream out = open(x)) {
          event(out, 1);
          event(out, 2);
        }
        first.server.stop(0); // the node goes away after the stream
      });
      FakeNode.Run r = FakeNode.ctl("--endpoints", first.url() + "," + second.url(), "watch",
          "--from", "1", "--count", "3", "--prefix", "user/");
      assertEquals(0, r.status(), r.err());
      assertEquals(entry(1) + "\n" + entry(2) + "\n" + entry(3) + "\n", r.out());
      assertEquals(List.of(new Ask("from=3&prefix=user%2F", "2", "text/event-stream")), asks);
    } finally {
      first.close();
    }
  }

  @Test
  void startsAtTheNextEntryToCommitByDefault() {
    try (FakeNode n = new FakeNode().json("/head", 200, CtlTest.HEAD).on("/watch", x -> {
      try (OutputStream out = open(x)) {
        event(out, 8);
      }
    })) {
      FakeNode.Run r = FakeNode.ctl("--endpoints", n.url(), "watch", "--count", "1");
      assertEquals(0, r.status(), r.err());
      assertEquals("GET /watch?from=8", n.requests.get(1));
    }
  }

  @Test
  void compactedIsExit1WithTheFirstIndex() {
    try (FakeNode n = new FakeNode().json("/watch", 410,
        "{\"error\":\"entries before 100 are compacted\",\"code\":\"COMPACTED\",\"firstIndex\":100}")) {
      FakeNode.Run r = FakeNode.ctl("--endpoints", n.url(), "watch", "--from", "1");
      assertEquals(1, r.status());
      assertTrue(r.err().contains("410 COMPACTED: entries before 100 are compacted (firstIndex 100)"), r.err());
    }
  }

  @Test
  void givesUpWithStatus3WhenNoEndpointComesBack() {
    FakeNode.Run r = FakeNode.ctl("--endpoints", FakeNode.deadUrl(), "watch", "--from", "1", "--retry-for", "1");
    assertEquals(3, r.status());
    assertTrue(r.err().contains("watch gave up after 1 s without a stream"), r.err());
  }

  @Test
  void aServerErrorIsRetriedAndAClientErrorIsNot() {
    AtomicInteger calls = new AtomicInteger();
    try (FakeNode n = new FakeNode().on("/watch", x -> {
      if (calls.incrementAndGet() == 1) {
        FakeNode.reply(x, 503, "{\"error\":\"not ready\",\"code\":\"UNAVAILABLE\"}");
        return;
      }
      try (OutputStream out = open(x)) {
        event(out, 1);
      }
    }); FakeNode bad = new FakeNode().json("/watch", 400, "{\"error\":\"bad from\",\"code\":\"BAD_REQUEST\"}")) {
      assertEquals(0, FakeNode.ctl("--endpoints", n.url(), "watch", "--from", "1", "--count", "1").status());
      assertEquals(2, calls.get());
      FakeNode.Run r = FakeNode.ctl("--endpoints", bad.url(), "watch", "--from", "1");
      assertEquals(1, r.status());
      assertEquals(1, bad.requests.size());
    }
  }
}
