package raftsimple.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test client for {@code GET /watch}: one Server-Sent Events stream read by a daemon thread,
 * parsed as the WHATWG event-stream format says (fields {@code id}, {@code event}, {@code data},
 * comments, a blank line ends an event), events handed over through a queue. The end of the stream
 * is an event of type {@link #END}.
 */
public final class SseClient implements AutoCloseable {
  /** {@code type} is "message" unless the event named one; {@code id} is null when it had none. */
  public record Event(String type, String id, String data) {
    public long index() {
      return Long.parseLong(id);
    }
  }

  /** The type of the pseudo-event queued when the stream ends (EOF or read error). */
  public static final String END = "(end)";

  private final int status;
  private final String errorBody;
  private final InputStream body;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final AtomicInteger comments = new AtomicInteger();

  private SseClient(int status, String errorBody, InputStream body) {
    this.status = status;
    this.errorBody = errorBody;
    this.body = body;
  }

  /** GET {@code uri} with {@code Accept: text/event-stream} and, unless null, {@code Last-Event-ID}. */
  public static SseClient open(HttpClient http, URI uri, String lastEventId) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().header("Accept", "text/event-stream")
        .timeout(Duration.ofSeconds(30));
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<InputStream> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (r.statusCode() != 200) {
      try (InputStream in = r.body()) {
        return new SseClient(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
      }
    }
    SseClient c = new SseClient(200, null, r.body());
    Thread reader = new Thread(c::read, "sse-" + uri.getPath());
    reader.setDaemon(true);
    reader.start();
    return c;
  }

  public int status() {
    return status;
  }

  /** The body of a non-200 answer. */
  public String errorBody() {
    return errorBody;
  }

  /** Comment lines (keep-alives) seen so far. */
  public int comments() {
    return comments.get();
  }

  /** The next event, or null when none arrives within {@code timeout}. */
  public Event next(Duration timeout) {
    try {
      return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String type = null;
      String id = null;
      StringBuilder data = null;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isEmpty()) {
          if (data != null) {
            events.add(new Event(type == null ? "message" : type, id, data.toString()));
          }
          type = null;
          data = null;
          continue;
        }
        if (line.startsWith(":")) {
          comments.incrementAndGet();
          continue;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
          value = value.substring(1);
        }
        switch (field) {
          case "event" -> type = value;
          case "id" -> id = value;
          case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          default -> { } // retry, and fields this client does not know
        }
      }
      events.add(new Event(END, null, "eof"));
    } catch (IOException e) {
      events.add(new Event(END, null, String.valueOf(e)));
    }
  }

  @Override
  public void close() {
    if (body != null) {
      try {
        body.close();
      } catch (IOException ignored) {
        // closing a stream the server may already have ended
      }
    }
  }
}
