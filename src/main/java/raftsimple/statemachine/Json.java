package raftsimple.statemachine;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The node's one Jackson configuration, shared by everything that turns payload bytes into trees and
 * back. It is configured once so that every node parses the same bytes into the same tree, which the
 * replicated state depends on:
 *
 * <ul>
 *   <li>trailing content after the value is an error ({@code {"a":1} x} is not a payload);
 *   <li>a field named twice in one object is an error, so no node has to guess which one counts;
 *   <li>non-integral numbers are kept as exact {@code BigDecimal}s with their scale ({@code 1.10}
 *       stays {@code 1.10}, {@code 1e400} does not become Infinity), so a value reads back as written.
 * </ul>
 *
 * <p>{@link ObjectMapper} is thread-safe once configured; nothing may reconfigure {@link #MAPPER}.
 */
public final class Json {
  private Json() {}

  /**
   * The top-level payload field reserved for the node's own entries (membership changes, {@code
   * core/SystemEntries}): the ingress refuses client payloads that carry it, and such entries are
   * never passed to the user's state machine.
   */
  public static final String SYSTEM_FIELD = "$raftsimple";

  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  /**
   * {@link #MAPPER}'s number handling for reading large snapshots as a stream: field names are
   * neither interned nor canonicalized (a snapshot of a million keys would otherwise push a million
   * strings through the parser's symbol table and the JVM's string pool: 3-10x the parse time, on
   * this machine), and fields named twice are not detected (that takes a hash set of every key).
   * A reader using it must check what it relies on itself: the KV machine checks that its keys
   * come in strictly ascending order, which rules out one twice. Snapshots are written by the node
   * from trees, which cannot hold a field twice, and checksummed (docs/PROTOCOL.md §12).
   */
  public static final ObjectMapper SNAPSHOT_MAPPER =
      JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
              .disable(com.fasterxml.jackson.core.JsonFactory.Feature.INTERN_FIELD_NAMES)
              .disable(com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
              .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  /** Tree factory for results and snapshots built in code. */
  public static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

  /**
   * Parses one JSON value (any type, {@code null} included).
   *
   * @throws IllegalArgumentException naming what is wrong when {@code bytes} is empty or not exactly
   *     one JSON value
   */
  public static JsonNode parse(byte[] bytes) {
    if (bytes.length == 0) {
      throw new IllegalArgumentException("not JSON: empty");
    }
    try {
      return MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + firstLine(e), e);
    }
  }

  /** The compact UTF-8 text of {@code node} (no insignificant whitespace; object fields in order). */
  public static byte[] compact(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      // A tree of standard nodes always serializes; only a foreign POJONode can get here.
      throw new IllegalStateException("cannot serialize JSON tree: " + firstLine(e), e);
    }
  }

  /** {@link #compact} as a String, for messages; long texts are cut to {@code maxChars} with "...". */
  public static String abbreviate(JsonNode node, int maxChars) {
    String s = node == null ? "absent" : new String(compact(node), StandardCharsets.UTF_8);
    return s.length() <= maxChars ? s : s.substring(0, maxChars) + "...";
  }

  /** The JSON type of {@code node} in words ("object", "string", ...), or "absent" for null. */
  public static String typeName(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "absent";
    }
    return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * JSON equality as a client means it: objects equal regardless of field order, arrays element by
   * element, and numbers by value ({@code 1}, {@code 1.0} and {@code 1.00} are the same number, which
   * Jackson's own {@code equals} denies because their node classes or scales differ).
   */
  public static boolean sameValue(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.equals(Json::compareLeaves, b);
  }

  /** 0 when two leaves (or a leaf and anything) are the same JSON value, else 1; not an ordering. */
  private static int compareLeaves(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      try {
        return a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1;
      } catch (NumberFormatException nonFinite) {
        // NaN or Infinity in a DoubleNode built in code (the parser never makes one).
        return a.equals(b) ? 0 : 1;
      }
    }
    return a.equals(b) ? 0 : 1;
  }

  /**
   * Jackson messages carry a multi-line source excerpt that can echo a megabyte of payload; the first
   * line of the original message and the position say what is wrong.
   */
  private static String firstLine(Exception e) {
    String m = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
    if (m == null) {
      m = e.getClass().getSimpleName();
    }
    int nl = m.indexOf('\n');
    String line = nl < 0 ? m : m.substring(0, nl);
    if (e instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
      JsonLocation at = jpe.getLocation();
      line += " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
    return line;
  }
}
