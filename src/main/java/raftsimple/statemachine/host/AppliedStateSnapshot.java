package raftsimple.statemachine.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * The byte layout of an {@link AppliedState} snapshot. Big-endian, no padding; version 2 is
 * written, versions 1 and 2 are read:
 *
 * <pre>
 *   4 bytes  magic "RSAS"
 *   4 bytes  version (2)
 *   8 bytes  appliedIndex (&gt;= 0)
 *   4 bytes  n, then n bytes: the idempotency table as compact UTF-8 JSON, oldest key first:
 *            [{"key": K, "bodyHash": hex, "outcome": {"txid": hex, "index": i, "hash": hex,
 *              "ok": b, "result"?: any, "reason"?: string}}, ...]
 *            ("result" is absent for a Java-null result and JSON null for a NullNode result;
 *             "reason" is absent when null)
 *   the rest: the user machine's own snapshot, opaque, to the end of the stream
 *            (version 1: 4 bytes m, then m bytes, and nothing after them)
 * </pre>
 *
 * The user's bytes are not embedded in the JSON, so a large machine snapshot is neither
 * base64-inflated nor parsed as a tree. Version 2 leaves them unframed so that they can be
 * streamed straight from the machine into the snapshot file, their size unknown until written; the
 * stream's end (the snapshot file knows its data length) is theirs.
 */
final class AppliedStateSnapshot {
  private AppliedStateSnapshot() {}

  static final byte[] MAGIC = "RSAS".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 2;
  private static final int HEADER_BYTES = 4 + 4 + 8;

  /** The log layer's part of a snapshot, read ahead of the user machine's bytes. */
  record Header(long appliedIndex, LinkedHashMap<String, Remembered> table, long machineBytes) {}

  /** Writes the header and table; the user machine's bytes follow (version 2). */
  static void writeHeader(OutputStream out, long appliedIndex, Map<String, Remembered> table)
      throws IOException {
    byte[] tableBytes = Json.compact(tableJson(table));
    out.write(ByteBuffer.allocate(HEADER_BYTES + 4).put(MAGIC).putInt(VERSION).putLong(appliedIndex)
        .putInt(tableBytes.length).array());
    out.write(tableBytes);
  }

  /** A whole snapshot in memory (tests, and machines' small snapshots). */
  static byte[] encode(long appliedIndex, Map<String, Remembered> table, byte[] machine) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      writeHeader(out, appliedIndex, table);
      out.write(machine);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
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

  /**
   * Reads the header and table from {@code in}, leaving it at the first byte of the user machine's
   * snapshot; {@code machineBytes} is their number for version 1, -1 (to the end) for version 2.
   *
   * @throws IllegalArgumentException naming the first problem found
   */
  static Header readHeader(InputStream in) throws IOException {
    ByteBuffer fixed = ByteBuffer.wrap(readN(in, HEADER_BYTES, "header"));
    byte[] magic = new byte[MAGIC.length];
    fixed.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw bad("not a raftsimple state snapshot (bad magic)");
    }
    int version = fixed.getInt();
    if (version != 1 && version != VERSION) {
      throw bad("unsupported version " + version + " (this build reads versions 1 and " + VERSION + ")");
    }
    long appliedIndex = fixed.getLong();
    if (appliedIndex < 0) {
      throw bad("negative appliedIndex " + appliedIndex);
    }
    byte[] tableBytes = frame(in, "idempotency table");
    LinkedHashMap<String, Remembered> table = parseTable(tableBytes, appliedIndex);
    long machineBytes = -1;
    if (version == 1) {
      machineBytes = ByteBuffer.wrap(readN(in, 4, "state machine snapshot length")).getInt();
      if (machineBytes < 0) {
        throw bad("negative state machine snapshot length " + machineBytes);
      }
    }
    return new Header(appliedIndex, table, machineBytes);
  }

  private static byte[] frame(InputStream in, String what) throws IOException {
    int n = ByteBuffer.wrap(readN(in, 4, what + " length")).getInt();
    if (n < 0) {
      throw bad("negative " + what + " length " + n);
    }
    return readN(in, n, what);
  }

  private static byte[] readN(InputStream in, int n, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw bad("truncated in the " + what + " (needs " + n + " bytes, " + b.length + " left)");
    }
    return b;
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
