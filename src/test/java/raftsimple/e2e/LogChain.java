package raftsimple.e2e;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Reads a node's whole log through {@code GET /log} and re-verifies it independently of the
 * project's code (docs/PROTOCOL.md §2), with {@link MessageDigest}:
 *
 * <pre>
 * txid    = SHA-256( ascii(ts) || 0x0A || utf8(origin) || 0x0A || payload )
 * hash(i) = SHA-256( raw32(hash(i-1)) || raw32(txid(i)) ),  hash(0) = 32 zero bytes
 * </pre>
 *
 * <p>{@code payload} is the entry's JSON exactly as the response prints it: the raw bytes of the
 * response between the start and the end of the {@code "payload"} value (located with a streaming
 * parser's byte offsets), never a re-serialisation.
 */
final class LogChain {
  static final String ZERO = "0".repeat(64);
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final HexFormat HEX = HexFormat.of();

  /**
   * One entry of {@code GET /log}; {@code payload} holds the raw bytes as printed; {@code
   * duplicateOf} is the index of the entry it repeats, when the node marked it a duplicate (a retry
   * that reached the log twice, docs/PROTOCOL.md §10), else null.
   */
  record Row(long index, String txid, String hash, String prev, String origin, long ts,
      byte[] payload, String idempotencyKey, Long duplicateOf) {
    String payloadText() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Row r && r.index == index && r.txid.equals(txid) && r.hash.equals(hash)
          && r.prev.equals(prev) && r.origin.equals(origin) && r.ts == ts
          && Arrays.equals(r.payload, payload) && java.util.Objects.equals(r.idempotencyKey, idempotencyKey)
          && java.util.Objects.equals(r.duplicateOf, duplicateOf);
    }

    @Override
    public int hashCode() {
      return txid.hashCode();
    }

    @Override
    public String toString() {
      return "#" + index + " " + txid.substring(0, 12) + " " + origin + " " + ts + " " + payloadText()
          + (idempotencyKey == null ? "" : " key=" + idempotencyKey)
          + (duplicateOf == null ? "" : " duplicateOf=" + duplicateOf);
    }
  }

  /** One page of {@code GET /log}. */
  record Page(List<Row> entries, String head, long length) {}

  private LogChain() {}

  /** Every committed entry of the node, paging with {@code limit}; checks page consistency. */
  static List<Row> fetch(Api api, URI node, int limit) throws IOException {
    List<Row> rows = new ArrayList<>();
    long length = -1;
    while (length < 0 || rows.size() < length) {
      Api.Resp r = api.get(node, "/log?from=" + (rows.size() + 1) + "&limit=" + limit);
      if (r.status() != 200) {
        throw new AssertionError("GET /log from " + node + ": " + r);
      }
      Page page = parse(r.bytes());
      if (length >= 0 && page.length() < length) {
        throw new AssertionError("the log of " + node + " shrank from " + length + " to " + page.length());
      }
      length = page.length();
      if (page.entries().isEmpty() && rows.size() < length) {
        throw new AssertionError("GET /log at " + (rows.size() + 1) + " of " + length + " returned nothing: " + r);
      }
      if (page.entries().size() > limit) {
        throw new AssertionError("a page holds " + page.entries().size() + " entries, limit " + limit);
      }
      rows.addAll(page.entries());
    }
    return rows;
  }

  static List<Row> fetch(Api api, URI node) throws IOException {
    return fetch(api, node, 1000);
  }

  /**
   * What a node still holds of its log: {@code rows} from {@code firstIndex} to {@code length}
   * (firstIndex 1 unless a snapshot compacted the entries before it, docs/PROTOCOL.md §12).
   */
  record Retained(long firstIndex, long length, List<Row> rows) {}

  /**
   * Every entry the node still holds: from index 1, or, when {@code GET /log?from=1} answers 410
   * {@code COMPACTED}, from the {@code firstIndex} it names. The log may grow meanwhile (the result
   * then ends at some later length); if a snapshot finishing meanwhile compacts it further (a page
   * answers 410), it starts again from the new first index.
   */
  static Retained fetchRetained(Api api, URI node) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Retained r = fetchRetainedOnce(api, node);
      if (r != null) {
        return r;
      }
      if (attempt == 5) {
        throw new AssertionError("the log of " + node + " was compacted while it was read, 5 times");
      }
    }
  }

  /** One try of {@link #fetchRetained}; null when the log was compacted while it was read. */
  private static Retained fetchRetainedOnce(Api api, URI node) throws IOException {
    Api.Resp probe = api.get(node, "/log?from=1&limit=1");
    long first = 1;
    if (probe.status() == 410) {
      first = compactedFirstIndex(node, probe);
    } else if (probe.status() != 200) {
      throw new AssertionError("GET /log?from=1 on " + node + ": " + probe);
    }
    List<Row> rows = new ArrayList<>();
    long length = -1;
    while (length < 0 || first + rows.size() <= length) {
      long from = first + rows.size();
      Api.Resp r = api.get(node, "/log?from=" + from + "&limit=1000");
      if (r.status() == 410) {
        compactedFirstIndex(node, r);
        return null;
      }
      if (r.status() != 200) {
        throw new AssertionError("GET /log?from=" + from + " on " + node + ": " + r);
      }
      Page page = parse(r.bytes());
      length = Math.max(length, page.length());
      if (page.entries().isEmpty() && from <= length) {
        throw new AssertionError("GET /log at " + from + " of " + length + " returned nothing: " + r);
      }
      rows.addAll(page.entries());
    }
    return new Retained(first, length, rows);
  }

  /** The first index a 410 names; fails unless it is a well-formed {@code COMPACTED} answer. */
  private static long compactedFirstIndex(URI node, Api.Resp r) {
    if (!"COMPACTED".equals(r.str("code"))) {
      throw new AssertionError("GET /log on " + node + ": " + r);
    }
    long first = r.num("firstIndex");
    if (first < 2) {
      throw new AssertionError("410 COMPACTED names first index " + first + ": " + r);
    }
    return first;
  }

  /** Parses a {@code GET /log} body, keeping each payload's raw bytes. */
  static Page parse(byte[] body) throws IOException {
    List<Row> rows = new ArrayList<>();
    String head = null;
    long length = -1;
    try (JsonParser p = FACTORY.createParser(body)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "entries" -> {
            expect(value, JsonToken.START_ARRAY);
            while (p.nextToken() == JsonToken.START_OBJECT) {
              rows.add(row(p, body));
            }
          }
          case "head" -> head = p.getText();
          case "length" -> length = p.getLongValue();
          default -> p.skipChildren();
        }
      }
    }
    if (head == null || length < 0) {
      throw new AssertionError("a /log body without head or length: " + new String(body, StandardCharsets.UTF_8));
    }
    return new Page(rows, head, length);
  }

  private static Row row(JsonParser p, byte[] body) throws IOException {
    long index = -1;
    long ts = -1;
    String txid = null;
    String hash = null;
    String prev = null;
    String origin = null;
    String key = null;
    Long duplicateOf = null;
    byte[] payload = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "index" -> index = p.getLongValue();
        case "ts" -> ts = p.getLongValue();
        case "txid" -> txid = p.getText();
        case "hash" -> hash = p.getText();
        case "prev" -> prev = p.getText();
        case "origin" -> origin = p.getText();
        case "idempotencyKey" -> key = p.getText();
        case "duplicateOf" -> duplicateOf = p.getLongValue();
        case "payload" -> {
          int start = (int) p.currentTokenLocation().getByteOffset();
          if (value.isStructStart()) {
            p.skipChildren();
            payload = Arrays.copyOfRange(body, start, (int) p.currentLocation().getByteOffset());
          } else {
            // A scalar. A string's token ends after its closing quote once its text is read; a
            // number or literal ends at the first delimiter.
            int end = start;
            if (value == JsonToken.VALUE_STRING) {
              p.getText();
              end = (int) p.currentLocation().getByteOffset();
            } else {
              while (end < body.length && "{}[],: \t\r\n".indexOf(body[end]) < 0) {
                end++;
              }
            }
            payload = Arrays.copyOfRange(body, start, end);
          }
        }
        default -> p.skipChildren();
      }
    }
    if (index < 0 || ts < 0 || txid == null || hash == null || prev == null || origin == null || payload == null) {
      throw new AssertionError("an incomplete /log entry near byte " + p.currentLocation().getByteOffset());
    }
    return new Row(index, txid, hash, prev, origin, ts, payload, key, duplicateOf);
  }

  private static void expect(JsonToken got, JsonToken want) {
    if (got != want) {
      throw new AssertionError("expected " + want + ", got " + got);
    }
  }

  /**
   * Verifies a whole log from index 1: consecutive indexes, prev links (genesis 64 zeros), every
   * txid and hash recomputed, no txid twice. Returns the head (the last hash, or 64 zeros).
   */
  static String verify(List<Row> rows) {
    return verify(rows, 1, ZERO);
  }

  /**
   * Verifies a log suffix as {@link #verify(List)} does, from index {@code firstIndex}, anchored at
   * {@code prev}: the hash of entry {@code firstIndex - 1} (for a compacted log, the head of the
   * snapshot before it). Returns the head.
   */
  static String verify(List<Row> rows, long firstIndex, String prev) {
    Map<String, Long> seen = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      if (r.index() != firstIndex + i) {
        throw new AssertionError("entry " + (firstIndex + i) + " has index " + r.index());
      }
      if (!r.prev().equals(prev)) {
        throw new AssertionError("entry " + r.index() + ": prev " + r.prev() + " != hash of the entry before " + prev);
      }
      String txid = txid(r.ts(), r.origin(), r.payload());
      if (!txid.equals(r.txid())) {
        throw new AssertionError("entry " + r.index() + ": txid " + r.txid() + " but SHA-256(ts\\norigin\\npayload) = "
            + txid + " for payload " + r.payloadText());
      }
      String hash = chain(prev, txid);
      if (!hash.equals(r.hash())) {
        throw new AssertionError("entry " + r.index() + ": hash " + r.hash() + " but SHA-256(prev||txid) = " + hash);
      }
      Long before = seen.put(txid, r.index());
      if (before != null) {
        throw new AssertionError("txid " + txid + " is in the log twice: at " + before + " and " + r.index());
      }
      prev = hash;
    }
    return prev;
  }

  static String txid(long ts, String origin, byte[] payload) {
    MessageDigest md = sha256();
    md.update(Long.toString(ts).getBytes(StandardCharsets.US_ASCII));
    md.update((byte) '\n');
    md.update(origin.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
    md.update(payload);
    return HEX.formatHex(md.digest());
  }

  static String chain(String prevHex, String txidHex) {
    MessageDigest md = sha256();
    md.update(HEX.parseHex(prevHex));
    md.update(HEX.parseHex(txidHex));
    return HEX.formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
