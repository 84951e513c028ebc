package raftsimple.bus;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.nio.charset.StandardCharsets;
import raftsimple.chain.LogEntry;

/**
 * The JSON form of one committed entry, shared by {@code GET /log} (built by the log verticle) and
 * {@code GET /watch} (built by the ingress from {@link Addresses#LOG_COMMITTED}), so that both show
 * an entry byte for byte alike: {@code {"index","txid","hash","prev","origin","ts","payload"}} plus
 * {@code "idempotencyKey"} when the entry has one.
 */
public final class EntryJson {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private EntryJson() {}

  public static ObjectNode of(LogEntry e) {
    ObjectNode o = JSON.objectNode();
    o.put("index", e.index());
    o.put("txid", e.txid().hex());
    o.put("hash", e.hash().hex());
    o.put("prev", e.prev().hex());
    o.put("origin", e.entry().origin());
    o.put("ts", e.entry().ts());
    // The payload is printed byte for byte as it was hashed, so anyone can recompute the txid.
    o.putRawValue("payload", new RawValue(new String(e.entry().payload(), StandardCharsets.UTF_8)));
    if (e.entry().idempotencyKey() != null) {
      o.put("idempotencyKey", e.entry().idempotencyKey());
    }
    return o;
  }
}
