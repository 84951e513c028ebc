package raftsimple.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Parses a Server-Sent Events stream (the WHATWG "event stream" format): {@code field: value}
 * lines ending in LF, CR or CRLF; a blank line dispatches the event; {@code data} lines join with
 * LF; {@code id} sets the last event id, which persists across events (what {@code Last-Event-ID}
 * resumes from); {@code :} lines are comments (keep-alives); an event with no data is not
 * dispatched, nor is an unfinished one when the stream ends.
 */
final class SseReader {
  /** One dispatched event; {@code type} is "message" unless the stream named another. */
  record Event(String id, String type, String data) {}

  private final BufferedReader in;
  private final Runnable onLine;
  private String lastId;
  private long retryMs = -1;

  /** {@code onLine} runs for every line read, comments included (an idle watchdog's heartbeat). */
  SseReader(InputStream stream, Runnable onLine) {
    this.in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
    this.onLine = onLine;
  }

  /** The next event, or null at the end of the stream. */
  Event next() throws IOException {
    StringBuilder data = null;
    String type = null;
    String line;
    while ((line = in.readLine()) != null) {
      onLine.run();
      if (line.isEmpty()) {
        if (data != null) {
          return new Event(lastId, type == null || type.isEmpty() ? "message" : type, data.toString());
        }
        type = null;
        continue;
      }
      if (line.charAt(0) == ':') {
        continue;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "data":
          data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          break;
        case "event":
          type = value;
          break;
        case "id":
          if (value.indexOf('\0') < 0) {
            lastId = value;
          }
          break;
        case "retry":
          if (!value.isEmpty() && value.chars().allMatch(Character::isDigit) && value.length() < 10) {
            retryMs = Long.parseLong(value);
          }
          break;
        default:
          break; // unknown fields are ignored
      }
    }
    return null;
  }

  /** The id of the last event seen (null before any). */
  String lastId() {
    return lastId;
  }

  /** The reconnection delay the server asked for, or -1. */
  long retryMs() {
    return retryMs;
  }
}
