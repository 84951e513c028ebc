package raftsimple.ingress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Server-Sent Events framing (the WHATWG "event stream" format) for {@code GET /watch}. */
final class Sse {
  private Sse() {}

  static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";
  static final String KEEP_ALIVE = ": keep-alive\n\n";

  /** The stream's first lines: the reconnection delay a client should use, in milliseconds. */
  static String retry(long ms) {
    return "retry: " + ms + "\n\n";
  }

  /** {@code event: error\ndata: {"error","code",...}\n\n}: the stream's last event. */
  static String error(ObjectNode body) {
    try {
      return "event: error\ndata: " + oneLine(Payloads.MAPPER.writeValueAsString(body)) + "\n\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an error body did not serialize", e);
    }
  }

  /**
   * {@code json} as one {@code data:} line. Compact JSON has no raw line breaks (inside strings they
   * are escaped) and payloads are stored compact, so this only guards the framing: a line break
   * would end the field, so it is replaced by a space, which JSON treats alike between tokens.
   */
  static String oneLine(String json) {
    return json.indexOf('\n') < 0 && json.indexOf('\r') < 0 ? json
        : json.replace('\n', ' ').replace('\r', ' ');
  }
}
