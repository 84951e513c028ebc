package raftsimple.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import raftsimple.statemachine.Json;

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
  static final String SYSTEM_FIELD = Json.SYSTEM_FIELD;

  /** The one Jackson configuration of the node (strict, exact decimals): see statemachine.Json. */
  static final ObjectMapper MAPPER = Json.MAPPER;

  static final JsonNodeFactory NODES = Json.NODES;

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
      tree = Json.parse(body);
    } catch (IllegalArgumentException e) {
      throw new BadPayload("the body is " + e.getMessage());
    }
    if (tree == null || tree.isMissingNode()) {
      throw new BadPayload("the body holds no JSON value");
    }
    if (tree.isObject() && tree.has(SYSTEM_FIELD)) {
      throw new BadPayload("the top-level field \"" + SYSTEM_FIELD + "\" is reserved for system entries");
    }
    return new Payload(tree, canonical(tree));
  }

  /** The compact UTF-8 serialization of {@code tree}: the bytes hashed into the txid. */
  static byte[] canonical(JsonNode tree) {
    return Json.compact(tree);
  }
}
