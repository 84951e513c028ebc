package raftsimple.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SseReaderTest {
  private static SseReader reader(String text, AtomicInteger lines) {
    return new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), lines::incrementAndGet);
  }

  @Test
  void eventsWithIdsCommentsAndEveryLineEnding() throws IOException {
    AtomicInteger lines = new AtomicInteger();
    SseReader r = reader(": keep-alive\n\nid: 5\ndata: {\"index\":5}\n\r\nid:6\r\ndata:{\"index\":6}\r\r"
        + "data: a\ndata:  b\ndata\n\n", lines);
    assertEquals(new SseReader.Event("5", "message", "{\"index\":5}"), r.next());
    assertEquals(new SseReader.Event("6", "message", "{\"index\":6}"), r.next());
    // No id: the last one persists; data lines join with LF; one leading space is dropped.
    assertEquals(new SseReader.Event("6", "message", "a\n b\n"), r.next());
    assertNull(r.next());
    assertEquals("6", r.lastId());
    assertEquals(12, lines.get(), "every line, comments included, is a sign of life");
  }

  @Test
  void namedEventsRetryAndWhatIsNotDispatched() throws IOException {
    SseReader r = reader("retry: 2500\nid: 9\n\nevent: error\ndata: {\"code\":\"SLOW_CONSUMER\"}\n\n"
        + "unknown: x\ndata: unfinished", new AtomicInteger());
    // "id: 9" alone (no data) dispatches nothing but sets the last id.
    assertEquals(new SseReader.Event("9", "error", "{\"code\":\"SLOW_CONSUMER\"}"), r.next());
    assertNull(r.next(), "an event cut off by the end of the stream is dropped");
    assertEquals(2500, r.retryMs());
  }
}
