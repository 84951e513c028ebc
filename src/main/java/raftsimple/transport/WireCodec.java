package raftsimple.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;

/**
 * The peer wire format (docs/TRANSPORTS.md): explicit, versioned JSON, shared by every transport.
 * An envelope {@code {"v":1,"from":id,"messages":[...]}} carries a batch of messages from one node;
 * each message is an object with a {@code "type"} and its fields. Hashes are hex, payloads base64
 * (their exact bytes feed the txid). Decoding validates everything and throws
 * {@link WireFormatException} naming the first problem; it never trusts a peer's bytes.
 */
public final class WireCodec {
  /**
   * 2: votes carry {@code abstained}, promises {@code restarted} instead of {@code decided} (the
   * fast path's rules R5/R6, docs/PROTOCOL.md §5.5). A node of version 1 follows the older rules,
   * whose recovery ignores the restarted flag, so the versions must not mix: a message of another
   * version is refused (upgrade by stopping the whole cluster, docs/OPERATIONS.md).
   */
  public static final int VERSION = 2;
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private WireCodec() {}

  /** A decoded envelope. */
  public record Envelope(String from, List<Message> messages) {}

  public static byte[] encode(String from, List<Message> messages) {
    ObjectNode env = MAPPER.createObjectNode();
    env.put("v", VERSION);
    env.put("from", from);
    ArrayNode arr = env.putArray("messages");
    for (Message m : messages) {
      arr.add(MessageJson.write(m, MAPPER));
    }
    try {
      return MAPPER.writeValueAsBytes(env);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("encoding a protocol envelope failed", e);
    }
  }

  /**
   * One message as the JSON object {@link #encode} puts in an envelope's {@code messages}, so that a
   * link can encode each message once when it is queued (and know its size) and join a batch later
   * with {@link #envelope}.
   */
  public static byte[] encodeMessage(Message m) {
    try {
      return MAPPER.writeValueAsBytes(MessageJson.write(m, MAPPER));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("encoding a protocol message failed", e);
    }
  }

  /**
   * The envelope of pre-encoded messages ({@link #encodeMessage}): byte for byte what {@link
   * #encode} writes for the same messages. {@code from} must be a valid node id (no characters that
   * JSON escapes), as every configured one is.
   */
  public static byte[] envelope(String from, List<byte[]> messages) {
    byte[] head = envelopeHead(from);
    int size = head.length + 2 + Math.max(0, messages.size() - 1);
    for (byte[] m : messages) {
      size += m.length;
    }
    byte[] out = new byte[size];
    System.arraycopy(head, 0, out, 0, head.length);
    int at = head.length;
    for (int i = 0; i < messages.size(); i++) {
      if (i > 0) {
        out[at++] = ',';
      }
      byte[] m = messages.get(i);
      System.arraycopy(m, 0, out, at, m.length);
      at += m.length;
    }
    out[at++] = ']';
    out[at] = '}';
    return out;
  }

  /** The last envelope head built: a node sends with one id, so this is nearly always a hit. */
  private static volatile Head lastHead = new Head("", new byte[0]);

  private record Head(String from, byte[] bytes) {}

  /** {@code {"v":1,"from":"<from>","messages":[}, as Jackson writes it. */
  private static byte[] envelopeHead(String from) {
    Head cached = lastHead;
    if (cached.from().equals(from)) {
      return cached.bytes();
    }
    ObjectNode env = MAPPER.createObjectNode();
    env.put("v", VERSION);
    env.put("from", from);
    env.putArray("messages");
    try {
      byte[] empty = MAPPER.writeValueAsBytes(env); // ...,"messages":[]}
      byte[] head = java.util.Arrays.copyOf(empty, empty.length - 2);
      lastHead = new Head(from, head);
      return head;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("encoding an envelope head failed", e);
    }
  }

  public static Envelope decode(byte[] bytes) {
    JsonNode env;
    try {
      env = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new WireFormatException("envelope is not valid JSON: " + e.getMessage(), e);
    }
    if (env == null || !env.isObject()) {
      throw new WireFormatException("envelope is not a JSON object");
    }
    int v = env.path("v").asInt(-1);
    if (v != VERSION) {
      throw new WireFormatException("unsupported wire version " + env.get("v") + " (this node speaks " + VERSION + ")");
    }
    String from = text(env, "from");
    JsonNode arr = env.get("messages");
    if (arr == null || !arr.isArray()) {
      throw new WireFormatException("envelope field 'messages' is not an array");
    }
    List<Message> out = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      try {
        Message m = MessageJson.read(arr.get(i));
        if (!m.from().equals(from)) {
          throw new WireFormatException("sender " + m.from() + " differs from the envelope's " + from);
        }
        out.add(m);
      } catch (WireFormatException e) {
        throw new WireFormatException("messages[" + i + "]: " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new WireFormatException("messages[" + i + "]: " + e.getMessage(), e);
      }
    }
    return new Envelope(from, out);
  }

  // ------------------------------------------------------------------ field helpers (shared)

  static String text(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual()) {
      throw new WireFormatException("field '" + field + "' is missing or not a string");
    }
    return n.textValue();
  }

  static String textOrNull(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new WireFormatException("field '" + field + "' is not a string");
    }
    return n.textValue();
  }

  static long number(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.canConvertToLong() || !n.isIntegralNumber()) {
      throw new WireFormatException("field '" + field + "' is missing or not an integer");
    }
    return n.longValue();
  }

  static boolean bool(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isBoolean()) {
      throw new WireFormatException("field '" + field + "' is missing or not a boolean");
    }
    return n.booleanValue();
  }

  static Hash hash(JsonNode o, String field) {
    String s = text(o, field);
    if (!Hash.isHex(s)) {
      throw new WireFormatException("field '" + field + "' is not 64 lower-case hex characters");
    }
    return Hash.parse(s);
  }

  static Hash hashOrNull(JsonNode o, String field) {
    JsonNode n = o.get(field);
    return n == null || n.isNull() ? null : hash(o, field);
  }

  static void putBallot(ObjectNode o, String field, Ballot b) {
    if (b == null) {
      o.putNull(field);
    } else {
      ObjectNode n = o.putObject(field);
      n.put("round", b.round());
      n.put("node", b.node());
    }
  }

  static Ballot ballotOrNull(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    long round = number(n, "round");
    if (round < 1) {
      throw new WireFormatException("field '" + field + ".round' must be at least 1");
    }
    return new Ballot(round, text(n, "node"));
  }

  static ObjectNode entry(Entry e, ObjectNode o) {
    o.put("txid", e.txid().hex());
    o.put("origin", e.origin());
    o.put("ts", e.ts());
    o.put("payload", e.payload());
    if (e.idempotencyKey() != null) {
      o.put("key", e.idempotencyKey());
    }
    return o;
  }

  static Entry entry(JsonNode o) {
    JsonNode p = o.get("payload");
    byte[] payload;
    try {
      if (p == null || !p.isTextual()) {
        throw new WireFormatException("field 'payload' is missing or not base64 text");
      }
      payload = p.binaryValue();
    } catch (IOException e) {
      throw new WireFormatException("field 'payload' is not valid base64", e);
    }
    Entry e = new Entry(hash(o, "txid"), text(o, "origin"), number(o, "ts"), payload, textOrNull(o, "key"));
    if (!e.verify()) {
      throw new WireFormatException("entry " + e.txid().shortHex() + ": txid does not match its content");
    }
    return e;
  }

  static ObjectNode proposal(Proposal p, ObjectNode o) {
    o.put("id", p.id().hex());
    o.put("proposer", p.proposer());
    ArrayNode arr = o.putArray("entries");
    for (Entry e : p.entries()) {
      entry(e, arr.addObject());
    }
    return o;
  }

  static Proposal proposalOrNull(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    JsonNode arr = n.get("entries");
    if (arr == null || !arr.isArray() || arr.isEmpty()) {
      throw new WireFormatException("field '" + field + ".entries' is missing or empty");
    }
    List<Entry> entries = new ArrayList<>(arr.size());
    for (JsonNode e : arr) {
      entries.add(entry(e));
    }
    Proposal p = new Proposal(hash(n, "id"), text(n, "proposer"), entries);
    if (!p.verify()) {
      throw new WireFormatException("field '" + field + "': id does not match its entries");
    }
    return p;
  }

  static ObjectNode logEntry(LogEntry e, ObjectNode o) {
    o.put("index", e.index());
    o.put("prev", e.prev().hex());
    o.put("hash", e.hash().hex());
    return entry(e.entry(), o);
  }

  static LogEntry logEntry(JsonNode o) {
    long index = number(o, "index");
    if (index < 1) {
      throw new WireFormatException("field 'index' must be at least 1");
    }
    return new LogEntry(index, hash(o, "prev"), hash(o, "hash"), entry(o));
  }
}
