package raftsimple.statemachine.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import raftsimple.bus.BusApi.Outcome;
import raftsimple.chain.Hash;
import raftsimple.statemachine.host.AppliedState.Remembered;
import raftsimple.statemachine.Json;

/**
 * The byte layout of an {@link AppliedState} snapshot, version 1. Big-endian, no padding:
 *
 * <pre>
 *   4 bytes  magic "RSAS"
 *   4 bytes  version (1)
 *   8 bytes  appliedIndex (&gt;= 0)
 *   4 bytes  n, then n bytes: the idempotency table as compact UTF-8 JSON, oldest key first:
 *            [{"key": K, "bodyHash": hex, "outcome": {"txid": hex, "index": i, "hash": hex,
 *              "ok": b, "result"?: any, "reason"?: string}}, ...]
 *            ("result" is absent for a Java-null result and JSON null for a NullNode result;
 *             "reason" is absent when null)
 *   4 bytes  m, then m bytes: the user machine's own snapshot, opaque
 * </pre>
 *
 * Nothing may follow. The user's bytes are framed rather than embedded in the JSON so that a large
 * machine snapshot is not base64-inflated and parsed as a tree.
 */
final class AppliedStateSnapshot {
  private AppliedStateSnapshot() {}

  static final byte[] MAGIC = "RSAS".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  private static final int HEADER_BYTES = 4 + 4 + 8;

  record Decoded(long appliedIndex, LinkedHashMap<String, Remembered> table, byte[] machine) {}

  static byte[] encode(long appliedIndex, Map<String, Remembered> table, byte[] machine) {
    byte[] tableBytes = Json.compact(tableJson(table));
    ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + 4 + tableBytes.length + 4 + machine.length);
    out.put(MAGIC).putInt(VERSION).putLong(appliedIndex);
    out.putInt(tableBytes.length).put(tableBytes);
    out.putInt(machine.length).put(machine);
    return out.array();
  }

  private static ArrayNode tableJson(Map<String, Remembered> table) {
    ArrayNode rows = Json.NODES.arrayNode(table.size());
    for (Map.Entry<String, Remembered> e : table.entrySet()) {
      ObjectNode row = rows.addObject();
      row.put("key", e.getKey());
      row.put("bodyHash", e.getValue().bodyHash().hex());
      row.set("outcome", outcomeJson(e.getValue().outcome()));
    }
    return rows;
  }

  private static ObjectNode outcomeJson(Outcome o) {
    ObjectNode n = Json.NODES.objectNode();
    n.put("txid", o.txid().hex());
    n.put("index", o.index());
    n.put("hash", o.hash().hex());
    n.put("ok", o.ok());
    if (o.result() != null) {
      n.set("result", o.result());
    }
    if (o.reason() != null) {
      n.put("reason", o.reason());
    }
    return n;
  }

  /** @throws IllegalArgumentException naming the first problem found */
  static Decoded decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    need(in, HEADER_BYTES, "header");
    byte[] magic = new byte[MAGIC.length];
    in.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw bad("not a raftsimple state snapshot (bad magic)");
    }
    int version = in.getInt();
    if (version != VERSION) {
      throw bad("unsupported version " + version + " (this build reads version " + VERSION + ")");
    }
    long appliedIndex = in.getLong();
    if (appliedIndex < 0) {
      throw bad("negative appliedIndex " + appliedIndex);
    }
    byte[] tableBytes = frame(in, "idempotency table");
    byte[] machine = frame(in, "state machine snapshot");
    if (in.hasRemaining()) {
      throw bad(in.remaining() + " unexpected bytes after the state machine snapshot");
    }
    return new Decoded(appliedIndex, parseTable(tableBytes, appliedIndex), machine);
  }

  private static byte[] frame(ByteBuffer in, String what) {
    need(in, 4, what + " length");
    int n = in.getInt();
    if (n < 0) {
      throw bad("negative " + what + " length " + n);
    }
    need(in, n, what);
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }

  private static void need(ByteBuffer in, int n, String what) {
    if (in.remaining() < n) {
      throw bad("truncated in the " + what + " (needs " + n + " bytes, " + in.remaining() + " left)");
    }
  }

  private static LinkedHashMap<String, Remembered> parseTable(byte[] bytes, long appliedIndex) {
    JsonNode rows;
    try {
      rows = Json.parse(bytes);
    } catch (IllegalArgumentException e) {
      throw bad("idempotency table is " + e.getMessage());
    }
    if (!rows.isArray()) {
      throw bad("idempotency table must be an array, got " + Json.typeName(rows));
    }
    LinkedHashMap<String, Remembered> table = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode row = rows.get(i);
      String key = text(row, "key", "idempotency row " + i);
      Hash bodyHash = hash(row, "bodyHash", "idempotency row " + i);
      Outcome outcome = parseOutcome(row.get("outcome"), "idempotency row " + i, appliedIndex);
      if (table.put(key, new Remembered(bodyHash, outcome)) != null) {
        throw bad("idempotency key " + Json.abbreviate(row.get("key"), 100) + " appears twice");
      }
    }
    return table;
  }

  private static Outcome parseOutcome(JsonNode o, String where, long appliedIndex) {
    if (o == null || !o.isObject()) {
      throw bad(where + ": \"outcome\" must be an object");
    }
    Hash txid = hash(o, "txid", where);
    Hash hash = hash(o, "hash", where);
    JsonNode index = o.get("index");
    if (index == null || !index.canConvertToExactIntegral() || !index.canConvertToLong()
        || index.longValue() < 1 || index.longValue() > appliedIndex) {
      throw bad(where + ": outcome index must be an integer in 1.." + appliedIndex + ", got "
          + Json.abbreviate(index, 40));
    }
    JsonNode ok = o.get("ok");
    if (ok == null || !ok.isBoolean()) {
      throw bad(where + ": outcome \"ok\" must be a boolean");
    }
    String reason = o.has("reason") ? text(o, "reason", where) : null;
    if (!ok.booleanValue() && reason == null) {
      throw bad(where + ": a rejected outcome needs a \"reason\"");
    }
    return new Outcome(txid, index.longValue(), hash, ok.booleanValue(), o.get("result"), reason);
  }

  private static String text(JsonNode n, String field, String where) {
    JsonNode v = n == null ? null : n.get(field);
    if (v == null || !v.isTextual()) {
      throw bad(where + ": \"" + field + "\" must be a string");
    }
    return v.textValue();
  }

  private static Hash hash(JsonNode n, String field, String where) {
    String hex = text(n, field, where);
    if (!Hash.isHex(hex)) {
      throw bad(where + ": \"" + field + "\" must be 64 lower-case hex characters");
    }
    return Hash.parse(hex);
  }

  private static IllegalArgumentException bad(String what) {
    return new IllegalArgumentException("state snapshot: " + what);
  }
}
