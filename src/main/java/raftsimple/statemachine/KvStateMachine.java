package raftsimple.statemachine;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.pcollections.TreePMap;

/**
 * The built-in key-value state machine ({@code "stateMachine": "kv"}), implementing CONTRACT's KV
 * payload table exactly:
 *
 * <table>
 *   <caption>ops</caption>
 *   <tr><th>payload</th><th>result</th><th>rejected when</th></tr>
 *   <tr><td>{@code {"op":"put","key":K,"value":V}}</td><td>{@code {"prev": old or null}}</td>
 *       <td>key or value missing / wrong type; {@code "value": null} (use delete)</td></tr>
 *   <tr><td>{@code {"op":"delete","key":K}}</td><td>{@code {"prev": old or null}}</td>
 *       <td>key missing / wrong type</td></tr>
 *   <tr><td>{@code {"op":"cas","key":K,"expect":E,"value":V}}</td><td>{@code {"ok": true}}</td>
 *       <td>current value != E ({@code E = null} means "absent"); expect or value missing;
 *       {@code "value": null}</td></tr>
 *   <tr><td>{@code {"op":"append","key":K,"value":V}}</td><td>{@code {"list": [whole list]}}</td>
 *       <td>K holds a non-list (an absent K starts a new list); value missing</td></tr>
 * </table>
 *
 * <p>Keys are non-empty strings of at most {@value #KEY_CHARS_MAX} UTF-16 characters. Values are any
 * JSON except a bare {@code null} as a stored value: absence and null would be indistinguishable to
 * {@code cas} and to {@code GET /kv}, so {@code put}/{@code cas} with {@code "value": null} are
 * rejected ("use delete"); a null may still be an element of a list or nested in a value. Fields
 * other than those listed are ignored. {@code cas} compares with {@link Json#sameValue} (numbers by
 * value, objects regardless of field order).
 *
 * <p>Invariants: {@code data} is a persistent sorted map ({@link TreePMap}: every change makes a
 * new version sharing most of the old one), so snapshots list keys in one order on every node, and
 * a snapshot holds on to one version at no cost while applies go on. Every {@link JsonNode} stored
 * in {@code data} is frozen: it is a private copy of the client's value and is never mutated
 * afterwards ({@code append} builds a new list). That is why results and
 * reads may share nodes with the state without a later operation changing what was handed out.
 *
 * <p>{@link #validate} and {@link #apply} share {@link #parse} and {@link #conflict}, so a payload
 * that validates would apply against the same state; only {@link #commit} mutates.
 */
public final class KvStateMachine implements StateMachine {
  /** Longest key, in UTF-16 characters ({@link String#length()}). */
  public static final int KEY_CHARS_MAX = 1024;

  static final String SNAPSHOT_FORMAT = "raftsimple.kv";
  /** Reads one value in the middle of a snapshot: the node's settings, minus the end-of-input check. */
  private static final com.fasterxml.jackson.databind.ObjectReader VALUES = Json.SNAPSHOT_MAPPER.readerFor(JsonNode.class)
      .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  static final int SNAPSHOT_VERSION = 1;

  private static final String OPS = "put, delete, cas, append";
  /** How much of a client-supplied value a rejection message quotes. */
  private static final int QUOTE_CHARS_MAX = 200;

  private enum Kind {
    PUT,
    DELETE,
    CAS,
    APPEND
  }

  /** A well-formed request; {@code value}/{@code expect} are null where the op has none. */
  private record Op(Kind kind, String key, JsonNode value, JsonNode expect) {}

  /** Either a well-formed op or the reason the payload is malformed. */
  private record Parsed(Op op, String reason) {
    static Parsed bad(String reason) {
      return new Parsed(null, reason);
    }
  }

  private TreePMap<String, JsonNode> data = TreePMap.empty();

  @Override
  public Verdict validate(JsonNode payload) {
    Parsed p = parse(payload);
    if (p.reason() != null) {
      return Verdict.reject(p.reason());
    }
    String conflict = conflict(p.op());
    return conflict == null ? Verdict.accept() : Verdict.reject(conflict);
  }

  @Override
  public Applied apply(JsonNode payload) {
    Parsed p = parse(payload);
    if (p.reason() != null) {
      return Applied.rejected(p.reason());
    }
    String conflict = conflict(p.op());
    return conflict == null ? Applied.result(commit(p.op())) : Applied.rejected(conflict);
  }

  @Override
  public Optional<JsonNode> read(String key) {
    return Optional.ofNullable(data.get(key));
  }

  /** Number of keys held; for tests and metrics. */
  public int size() {
    return data.size();
  }

  // ---- the three steps shared by validate and apply ----

  /** Checks the payload's shape, without looking at the state. */
  private static Parsed parse(JsonNode payload) {
    if (payload == null || !payload.isObject()) {
      return Parsed.bad("a kv payload must be a JSON object like {\"op\":\"put\",\"key\":\"k\",\"value\":1}, got "
          + Json.typeName(payload));
    }
    JsonNode opNode = payload.get("op");
    if (opNode == null) {
      return Parsed.bad("missing \"op\": expected one of " + OPS);
    }
    if (!opNode.isTextual()) {
      return Parsed.bad("\"op\" must be a string (one of " + OPS + "), got " + Json.typeName(opNode));
    }
    Kind kind = kindOf(opNode.textValue());
    if (kind == null) {
      return Parsed.bad("unknown op " + Json.abbreviate(opNode, 64) + ": expected one of " + OPS);
    }
    String keyProblem = keyProblem(payload.get("key"));
    if (keyProblem != null) {
      return Parsed.bad(keyProblem);
    }
    return parseArguments(kind, payload.get("key").textValue(), payload);
  }

  /** The op-specific fields: value (put, cas, append) and expect (cas). */
  private static Parsed parseArguments(Kind kind, String key, JsonNode payload) {
    String name = kind.name().toLowerCase(Locale.ROOT);
    JsonNode value = payload.get("value");
    if (kind != Kind.DELETE && value == null) {
      return Parsed.bad("op \"" + name + "\" needs a \"value\"");
    }
    if ((kind == Kind.PUT || kind == Kind.CAS) && value.isNull()) {
      return Parsed.bad("\"value\" must not be null: to remove a key use {\"op\":\"delete\",\"key\":...}");
    }
    JsonNode expect = payload.get("expect");
    if (kind == Kind.CAS && expect == null) {
      return Parsed.bad("op \"cas\" needs an \"expect\" (null when the key must be absent)");
    }
    return new Parsed(new Op(kind, key, kind == Kind.DELETE ? null : value, kind == Kind.CAS ? expect : null), null);
  }

  /** Why {@code op} cannot apply to the current state, or null when it can. Does not mutate. */
  private String conflict(Op op) {
    JsonNode current = data.get(op.key());
    if (op.kind() == Kind.CAS) {
      boolean expectAbsent = op.expect().isNull();
      boolean matches = expectAbsent ? current == null : Json.sameValue(current, op.expect());
      if (!matches) {
        return "cas failed: " + quoteKey(op.key()) + " is " + describeCurrent(current) + ", expected "
            + (expectAbsent ? "it to be absent" : Json.abbreviate(op.expect(), QUOTE_CHARS_MAX));
      }
    }
    if (op.kind() == Kind.APPEND && current != null && !current.isArray()) {
      return "cannot append to " + quoteKey(op.key()) + ": it holds " + article(Json.typeName(current))
          + ", not a list";
    }
    return null;
  }

  /** Applies a parsed, conflict-free op; the only method that mutates {@code data}. */
  private JsonNode commit(Op op) {
    ObjectNode result = Json.NODES.objectNode();
    switch (op.kind()) {
      case PUT -> {
        result.set("prev", orNull(data.get(op.key())));
        data = data.plus(op.key(), op.value().deepCopy());
      }
      case DELETE -> {
        result.set("prev", orNull(data.get(op.key())));
        data = data.minus(op.key());
      }
      case CAS -> {
        data = data.plus(op.key(), op.value().deepCopy());
        result.put("ok", true);
      }
      case APPEND -> {
        ArrayNode list = appendTo(data.get(op.key()), op.value());
        data = data.plus(op.key(), list);
        result.set("list", list);
      }
      default -> throw new IllegalStateException("unhandled op " + op.kind());
    }
    return result;
  }

  /** A new list: the old one's elements (shared, they are frozen) then a copy of {@code value}. */
  private static ArrayNode appendTo(JsonNode current, JsonNode value) {
    ArrayNode list = Json.NODES.arrayNode(current == null ? 1 : current.size() + 1);
    if (current != null) {
      list.addAll((ArrayNode) current);
    }
    list.add(value.deepCopy());
    return list;
  }

  // ---- snapshots ----

  /**
   * {@code {"format":"raftsimple.kv","version":1,"data":{...}}} as compact UTF-8 JSON, keys sorted
   * by their natural order, so equal states give equal bytes.
   */
  @Override
  public byte[] snapshot() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      write(data, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  /**
   * Keeps the current version of the persistent map (constant time, nothing copied) and writes it
   * later, on another thread, while applies make new versions: straight to the stream with
   * Jackson's streaming generator, one key at a time, so no tree or byte array of the whole state
   * is ever built. Stored values are never mutated (see the class invariants), so sharing them is
   * safe.
   */
  @Override
  public SnapshotWriter snapshotWriter() {
    TreePMap<String, JsonNode> version = data;
    return out -> write(version, out);
  }

  private static void write(Map<String, JsonNode> data, OutputStream out) throws IOException {
    try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET); // the caller owns the stream
      g.writeStartObject();
      g.writeStringField("format", SNAPSHOT_FORMAT);
      g.writeNumberField("version", SNAPSHOT_VERSION);
      g.writeObjectFieldStart("data");
      for (Map.Entry<String, JsonNode> e : data.entrySet()) {
        g.writeFieldName(e.getKey());
        JsonNode v = e.getValue();
        if (v.isTextual()) {
          g.writeString(v.textValue()); // what TextNode.serialize writes, without a mapper call
        } else {
          g.writeTree(v);
        }
      }
      g.writeEndObject();
      g.writeEndObject();
    }
  }

  /**
   * Replaces the state with a {@link #snapshot}. Everything is checked before anything changes.
   *
   * @throws IllegalArgumentException naming the problem when the bytes are not such a snapshot
   */
  @Override
  public void restore(byte[] snapshot) {
    try {
      restore(new java.io.ByteArrayInputStream(snapshot));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
  }

  /**
   * Reads a snapshot as a stream, one key at a time, into a new map that replaces the state only
   * once the whole stream checked out: {@code "format"} and {@code "version"} first (as written),
   * then {@code "data"} with valid keys in strictly ascending order (as written: so no key twice),
   * no null value, and nothing after it. The keys arrive sorted, so the persistent map is built
   * from them in linear time ({@link SortedEntries}) rather than by a million tree insertions; the
   * parser neither interns the keys nor keeps a set of them ({@link Json#SNAPSHOT_MAPPER}).
   *
   * @throws IllegalArgumentException naming the problem when the bytes are not such a snapshot
   */
  @Override
  public void restore(InputStream in) throws IOException {
    SortedEntries restored = new SortedEntries();
    try (JsonParser p = Json.SNAPSHOT_MAPPER.createParser(in)) {
      p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
      expect(p.nextToken() == JsonToken.START_OBJECT, "expected a JSON object");
      expect(JsonToken.FIELD_NAME == p.nextToken() && "format".equals(p.currentName()),
          "expected \"format\" first");
      p.nextToken();
      checkFormat(p.getValueAsString());
      expect(JsonToken.FIELD_NAME == p.nextToken() && "version".equals(p.currentName()),
          "expected \"version\" after \"format\"");
      checkVersion(p.nextToken() == JsonToken.VALUE_NUMBER_INT ? p.getNumberValue() : p.getText());
      expect(JsonToken.FIELD_NAME == p.nextToken() && "data".equals(p.currentName()),
          "expected \"data\" after \"version\"");
      expect(p.nextToken() == JsonToken.START_OBJECT, "\"data\" must be an object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        String problem = keyProblem(Json.NODES.textNode(key));
        if (problem != null) {
          throw new IllegalArgumentException("kv snapshot: " + problem);
        }
        JsonNode value = value(p, p.nextToken());
        if (value == null || value.isNull()) {
          throw new IllegalArgumentException("kv snapshot: key " + quoteKey(key) + " holds null");
        }
        if (!restored.add(key, value)) {
          throw new IllegalArgumentException("kv snapshot: key " + quoteKey(key)
              + " is not after the key before it (keys are written in ascending order, each once)");
        }
      }
      expect(p.currentToken() == JsonToken.END_OBJECT, "\"data\" is not closed");
      expect(p.nextToken() == JsonToken.END_OBJECT,
          "unexpected fields besides format, version, data");
      expect(p.nextToken() == null, "unexpected bytes after the snapshot");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("kv snapshot is not JSON: " + e.getOriginalMessage(), e);
    }
    data = TreePMap.fromSortedMap(restored);
  }

  /**
   * One value of a snapshot. Strings and booleans (the common case) are made directly, as the
   * node's mapper makes them; numbers (exact types and scales), objects and arrays go through it.
   */
  private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      return Json.NODES.textNode(p.getText());
    }
    if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
      return Json.NODES.booleanNode(t == JsonToken.VALUE_TRUE);
    }
    return VALUES.readValue(p);
  }

  /**
   * Entries read in ascending key order, as a {@link java.util.SortedMap} just good enough for
   * {@link TreePMap#fromSortedMap} (which walks {@code entrySet()} once and asks for the
   * comparator): the persistent map is then built in one linear pass.
   */
  private static final class SortedEntries extends java.util.AbstractMap<String, JsonNode>
      implements java.util.SortedMap<String, JsonNode> {
    private final java.util.ArrayList<String> keys = new java.util.ArrayList<>();
    private final java.util.ArrayList<JsonNode> values = new java.util.ArrayList<>();

    /** Appends; false when {@code key} does not come after the last key. */
    boolean add(String key, JsonNode value) {
      if (!keys.isEmpty() && keys.get(keys.size() - 1).compareTo(key) >= 0) {
        return false;
      }
      keys.add(key);
      values.add(value);
      return true;
    }

    @Override
    public java.util.Set<Map.Entry<String, JsonNode>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public java.util.Iterator<Map.Entry<String, JsonNode>> iterator() {
          return new java.util.Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
              return next < keys.size();
            }

            @Override
            public Map.Entry<String, JsonNode> next() {
              if (next >= keys.size()) {
                throw new java.util.NoSuchElementException();
              }
              int i = next++;
              return new java.util.AbstractMap.SimpleImmutableEntry<>(keys.get(i), values.get(i));
            }
          };
        }

        @Override
        public int size() {
          return keys.size();
        }
      };
    }

    @Override
    public java.util.Comparator<? super String> comparator() {
      return null; // natural order, as TreePMap.empty() uses
    }

    @Override
    public java.util.SortedMap<String, JsonNode> subMap(String from, String to) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.SortedMap<String, JsonNode> headMap(String to) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.SortedMap<String, JsonNode> tailMap(String from) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String firstKey() {
      return keys.get(0);
    }

    @Override
    public String lastKey() {
      return keys.get(keys.size() - 1);
    }
  }

  private static void expect(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("kv snapshot: " + what);
    }
  }

  private static void checkFormat(String format) {
    if (!SNAPSHOT_FORMAT.equals(format)) {
      throw new IllegalArgumentException("kv snapshot: \"format\" must be \"" + SNAPSHOT_FORMAT
          + "\", got " + (format == null ? "a non-string" : Json.abbreviate(Json.NODES.textNode(format), 64)));
    }
  }

  private static void checkVersion(Object version) {
    if (!(version instanceof Integer v) || v != SNAPSHOT_VERSION) {
      throw new IllegalArgumentException("kv snapshot: unsupported version " + version
          + " (this build reads version " + SNAPSHOT_VERSION + ")");
    }
  }

  // ---- small helpers ----

  /** Why {@code key} is not a valid key, or null. */
  static String keyProblem(JsonNode key) {
    if (key == null) {
      return "missing \"key\": a non-empty string";
    }
    if (!key.isTextual()) {
      return "\"key\" must be a string, got " + Json.typeName(key);
    }
    int length = key.textValue().length();
    if (length == 0) {
      return "\"key\" must not be empty";
    }
    if (length > KEY_CHARS_MAX) {
      return "\"key\" is " + length + " characters long; keys are at most " + KEY_CHARS_MAX + " characters";
    }
    return null;
  }

  private static Kind kindOf(String op) {
    for (Kind k : Kind.values()) {
      if (k.name().toLowerCase(Locale.ROOT).equals(op)) {
        return k;
      }
    }
    return null;
  }

  private static JsonNode orNull(JsonNode n) {
    return n == null ? Json.NODES.nullNode() : n;
  }

  private static String describeCurrent(JsonNode current) {
    return current == null ? "absent" : Json.abbreviate(current, QUOTE_CHARS_MAX);
  }

  private static String quoteKey(String key) {
    return Json.abbreviate(Json.NODES.textNode(key), 100);
  }

  private static String article(String typeName) {
    return (typeName.startsWith("a") || typeName.startsWith("o") ? "an " : "a ") + typeName;
  }
}
