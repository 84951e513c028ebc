package raftsimple.ingress;

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

/**
 * Turns a client's request body into the entry payload: one strictly parsed JSON value and its
 * canonical bytes, the compact serialization of the parsed tree. Those exact bytes are hashed into
 * the txid and printed by {@code GET /log} (docs/PROTOCOL.md §2 "Hashes"), so every node must
 * produce them the same way.
 *
 * <p>The parser settings are the ones the state machine uses to read payloads back (its
 * {@code statemachine.Json}): trailing tokens and duplicate fields are errors, non-integral numbers
 * stay exact {@code BigDecimal}s with their scale ({@code 1.10} stays {@code 1.10}; {@code 1e400}
 * never becomes {@code Infinity}, which is not JSON). What {@code validate} sees here is therefore
 * the same tree {@code apply} will see. Jackson's default stream limits (nesting depth, string and
 * number length) apply on top of {@code bodyBytesMax}.
 */
final class Payloads {
  private Payloads() {}

  /** The field that marks a system entry (membership); clients may not send it (CONTRACT). */
  static final String SYSTEM_FIELD = "$raftsimple";

  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

  /** A parsed payload and its canonical bytes. */
  record Payload(JsonNode tree, byte[] canonical) {}

  /** Why a body is not an acceptable payload; the message is safe to show the client. */
  static final class BadPayload extends Exception {
    BadPayload(String message) {
      super(message, null, false, false);
    }
  }

  /** Parses a client body into a payload, refusing what is not exactly one client JSON value. */
  static Payload parse(byte[] body) throws BadPayload {
    if (body.length == 0) {
      throw new BadPayload("the body is empty; send one JSON value");
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new BadPayload("the body is not valid JSON: " + describe(e));
    }
    if (tree == null || tree.isMissingNode()) {
      throw new BadPayload("the body holds no JSON value");
    }
    if (tree.isObject() && tree.has(SYSTEM_FIELD)) {
      throw new BadPayload("the top-level field \"" + SYSTEM_FIELD + "\" is reserved for system entries");
    }
    return new Payload(tree, canonical(tree));
  }

  /** The compact UTF-8 serialization of {@code tree}. */
  static byte[] canonical(JsonNode tree) {
    try {
      return MAPPER.writeValueAsBytes(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed JSON tree did not serialize", e);
    }
  }

  /**
   * Jackson's messages can carry a multi-line excerpt of the source (up to a megabyte of payload);
   * the first line of the original message and the position name the problem.
   */
  private static String describe(IOException e) {
    String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    if (m == null) {
      m = e.getClass().getSimpleName();
    }
    int nl = m.indexOf('\n');
    String line = nl < 0 ? m : m.substring(0, nl);
    if (line.length() > 300) {
      line = line.substring(0, 300) + "...";
    }
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      JsonLocation at = j.getLocation();
      line += " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
    return line;
  }
}
