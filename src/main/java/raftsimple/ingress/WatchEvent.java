package raftsimple.ingress;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import raftsimple.bus.EntryJson;
import raftsimple.chain.LogEntry;

/**
 * One committed entry as a {@code GET /watch} event, from the live feed (a {@link LogEntry}) or a
 * history page (the {@code GET /log} JSON of one entry). The Server-Sent Events frame and the
 * payload's {@code "key"} are computed on first use and kept: a live event is shared by every
 * watcher, most of which need only one or neither. Confined to the ingress's event loop.
 */
final class WatchEvent {
  private static final JsonFactory JSON = Payloads.MAPPER.getFactory();

  final long index;
  private final LogEntry entry;
  private final ObjectNode node;
  private String frame;
  private String key;
  private boolean keyRead;

  private WatchEvent(long index, LogEntry entry, ObjectNode node) {
    this.index = index;
    this.entry = entry;
    this.node = node;
  }

  static WatchEvent live(LogEntry e) {
    return new WatchEvent(e.index(), e, null);
  }

  /** An entry of a {@code LOG_QUERY} page; {@code node} is never modified afterwards. */
  static WatchEvent history(ObjectNode node) {
    JsonNode index = node.get("index");
    if (index == null || !index.canConvertToLong()) {
      throw new IllegalStateException("a log page entry has no index: " + node);
    }
    return new WatchEvent(index.longValue(), null, node);
  }

  /** {@code id: <index>\ndata: <the /log JSON of the entry>\n\n}. */
  String frame() {
    if (frame == null) {
      String json;
      try {
        json = Payloads.MAPPER.writeValueAsString(node != null ? node : EntryJson.of(entry));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("entry " + index + " did not serialize", e);
      }
      frame = "id: " + index + "\ndata: " + Sse.oneLine(json) + "\n\n";
    }
    return frame;
  }

  /** Approximate memory held for this event while it waits to be written. */
  int sizeBytes() {
    return entry != null ? entry.entry().sizeBytes() + 128 : 512;
  }

  /**
   * The payload's top-level {@code "key"} when the payload is an object whose {@code "key"} is a
   * string (a key-value entry), else null. Read with a streaming parser: nothing else is built.
   */
  String key() {
    if (!keyRead) {
      keyRead = true;
      try (JsonParser p = entry != null ? JSON.createParser(entry.entry().payload())
          : JSON.createParser(rawPayload())) {
        key = topLevelKey(p);
      } catch (IOException notAnObjectWithAKey) {
        key = null;
      }
    }
    return key;
  }

  private String rawPayload() {
    JsonNode payload = node.get("payload");
    if (payload instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw) {
      return String.valueOf(raw.rawValue());
    }
    return payload == null ? "null" : payload.toString();
  }

  private static String topLevelKey(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if ("key".equals(name)) {
        return value == JsonToken.VALUE_STRING ? p.getText() : null;
      }
      p.skipChildren();
    }
    return null;
  }

  @Override
  public String toString() {
    return "WatchEvent[" + index + "]";
  }
}
