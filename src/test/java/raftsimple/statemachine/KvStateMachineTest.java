package raftsimple.statemachine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KvStateMachineTest {
  private final KvStateMachine kv = new KvStateMachine();

  static JsonNode json(String text) {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Applies and asserts success, returning the result as compact text. */
  private String ok(String payload) {
    Applied a = kv.apply(json(payload));
    assertTrue(a.ok(), () -> "expected success for " + payload + " but: " + a.reason());
    return text(a.result());
  }

  /** Asserts that validate and apply both refuse with the same reason, and returns it. */
  private String rejected(String payload) {
    byte[] before = kv.snapshot();
    Verdict v = kv.validate(json(payload));
    Applied a = kv.apply(json(payload));
    assertFalse(v.accepted(), () -> "validate accepted " + payload);
    assertFalse(a.ok(), () -> "apply accepted " + payload);
    assertEquals(v.reason(), a.reason(), "validate and apply give the same reason");
    assertArrayEquals(before, kv.snapshot(), "a rejection leaves the state unchanged");
    return a.reason();
  }

  private static String text(JsonNode n) {
    return new String(Json.compact(n), StandardCharsets.UTF_8);
  }

  private String value(String key) {
    return kv.read(key).map(KvStateMachineTest::text).orElse("<absent>");
  }

  /** The writer from snapshotWriter writes the state at the call, whatever is applied after it. */
  @Test
  void snapshotWriter_capturesTheStateAtTheCall_notLaterApplies() throws Exception {
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":1}");
    ok("{\"op\":\"append\",\"key\":\"l\",\"value\":1}");
    byte[] atCall = kv.snapshot();
    SnapshotWriter later = kv.snapshotWriter();
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":2}");
    ok("{\"op\":\"append\",\"key\":\"l\",\"value\":2}");
    ok("{\"op\":\"delete\",\"key\":\"a\"}");
    ok("{\"op\":\"put\",\"key\":\"b\",\"value\":3}");
    java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
    later.writeTo(written);
    assertArrayEquals(atCall, written.toByteArray());
    KvStateMachine restored = new KvStateMachine();
    restored.restore(new java.io.ByteArrayInputStream(written.toByteArray()));
    assertEquals("[1]", restored.read("l").map(KvStateMachineTest::text).orElse("<absent>"));
    assertEquals("[1,2]", value("l"));
    assertEquals("<absent>", value("a"));
  }

  /**
   * The streamed snapshot is the same document the tree form was (so snapshots taken before the
   * streaming writer still restore), and the streaming reader reads it back from a stream that hands
   * out a few bytes at a time.
   */
  @Test
  void theStreamedSnapshotIsTheTreeDocument_andReadsBackFromASlowStream() throws Exception {
    ok("{\"op\":\"put\",\"key\":\"n\",\"value\":1.50}");
    ok("{\"op\":\"put\",\"key\":\"big\",\"value\":123456789012345678901234567890}");
    ok("{\"op\":\"put\",\"key\":\"s\",\"value\":\"\\u00e9\\n\\\"q\\\"\"}");
    ok("{\"op\":\"append\",\"key\":\"l\",\"value\":{\"x\":[null,true,1e400]}}");
    com.fasterxml.jackson.databind.node.ObjectNode tree = Json.NODES.objectNode();
    tree.put("format", "raftsimple.kv").put("version", 1);
    com.fasterxml.jackson.databind.node.ObjectNode data = tree.putObject("data");
    for (String k : new java.util.TreeSet<>(List.of("n", "big", "s", "l"))) {
      data.set(k, kv.read(k).orElseThrow());
    }
    assertArrayEquals(Json.compact(tree), kv.snapshot());
    byte[] snap = kv.snapshot();
    java.io.InputStream slow = new java.io.FilterInputStream(new java.io.ByteArrayInputStream(snap)) {
      @Override
      public int read(byte[] b, int off, int len) throws java.io.IOException {
        return super.read(b, off, Math.min(len, 3));
      }
    };
    KvStateMachine other = new KvStateMachine();
    other.restore(slow);
    assertArrayEquals(snap, other.snapshot());
    assertEquals("1.50", value("n"));
  }

  @Test
  void put_returnsPreviousValueOrNull() {
    assertEquals("{\"prev\":null}", ok("{\"op\":\"put\",\"key\":\"a\",\"value\":1}"));
    assertEquals("{\"prev\":1}", ok("{\"op\":\"put\",\"key\":\"a\",\"value\":{\"x\":[1,2]}}"));
    assertEquals("{\"prev\":{\"x\":[1,2]}}", ok("{\"op\":\"put\",\"key\":\"a\",\"value\":\"s\"}"));
    assertEquals("\"s\"", value("a"));
  }

  @Test
  void put_acceptsAnyJsonValueExceptBareNull() {
    for (String v : new String[] {"true", "0", "-1.50", "\"\"", "[]", "{}", "[null]", "{\"n\":null}", "1E+400"}) {
      ok("{\"op\":\"put\",\"key\":\"k\",\"value\":" + v + "}");
      assertEquals(v, value("k"), "value is stored exactly as written");
    }
  }

  @Test
  void put_nullValue_isRejectedPointingToDelete() {
    assertTrue(rejected("{\"op\":\"put\",\"key\":\"a\",\"value\":null}").contains("use {\"op\":\"delete\""));
  }

  @Test
  void delete_returnsPreviousValueAndRemoves() {
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":[1]}");
    assertEquals("{\"prev\":[1]}", ok("{\"op\":\"delete\",\"key\":\"a\"}"));
    assertEquals("<absent>", value("a"));
    assertEquals("{\"prev\":null}", ok("{\"op\":\"delete\",\"key\":\"a\"}"), "deleting an absent key is no error");
  }

  @Test
  void cas_setsWhenCurrentEqualsExpect() {
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":{\"x\":1,\"y\":2}}");
    assertEquals("{\"ok\":true}", ok("{\"op\":\"cas\",\"key\":\"a\",\"expect\":{\"y\":2,\"x\":1},\"value\":3}"));
    assertEquals("3", value("a"));
  }

  @Test
  void cas_comparesNumbersByValue() {
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":1}");
    assertEquals("{\"ok\":true}", ok("{\"op\":\"cas\",\"key\":\"a\",\"expect\":1.0,\"value\":2.50}"));
    assertEquals("{\"ok\":true}", ok("{\"op\":\"cas\",\"key\":\"a\",\"expect\":2.5,\"value\":3}"));
  }

  @Test
  void cas_nullExpect_meansAbsent() {
    assertEquals("{\"ok\":true}", ok("{\"op\":\"cas\",\"key\":\"a\",\"expect\":null,\"value\":1}"));
    assertEquals("1", value("a"));
    String reason = rejected("{\"op\":\"cas\",\"key\":\"a\",\"expect\":null,\"value\":2}");
    assertEquals("cas failed: \"a\" is 1, expected it to be absent", reason);
  }

  @Test
  void cas_rejectedWhenCurrentDiffers() {
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":1}");
    assertEquals("cas failed: \"a\" is 1, expected 2", rejected("{\"op\":\"cas\",\"key\":\"a\",\"expect\":2,\"value\":3}"));
    assertEquals("cas failed: \"b\" is absent, expected 1", rejected("{\"op\":\"cas\",\"key\":\"b\",\"expect\":1,\"value\":3}"));
    assertEquals("1", value("a"));
  }

  @Test
  void cas_needsExpectAndNonNullValue() {
    assertEquals("op \"cas\" needs an \"expect\" (null when the key must be absent)",
        rejected("{\"op\":\"cas\",\"key\":\"a\",\"value\":1}"));
    assertEquals("op \"cas\" needs a \"value\"", rejected("{\"op\":\"cas\",\"key\":\"a\",\"expect\":null}"));
    assertTrue(rejected("{\"op\":\"cas\",\"key\":\"a\",\"expect\":null,\"value\":null}").startsWith("\"value\" must not be null"));
  }

  @Test
  void append_startsListAndReturnsWholeList() {
    assertEquals("{\"list\":[1]}", ok("{\"op\":\"append\",\"key\":\"l\",\"value\":1}"));
    assertEquals("{\"list\":[1,{\"a\":null}]}", ok("{\"op\":\"append\",\"key\":\"l\",\"value\":{\"a\":null}}"));
    assertEquals("{\"list\":[1,{\"a\":null},null]}", ok("{\"op\":\"append\",\"key\":\"l\",\"value\":null}"),
        "a null element is fine in a list");
    ok("{\"op\":\"put\",\"key\":\"m\",\"value\":[]}");
    assertEquals("{\"list\":[[2]]}", ok("{\"op\":\"append\",\"key\":\"m\",\"value\":[2]}"), "a list value gets one element");
  }

  @Test
  void append_toNonList_isRejectedNamingTheType() {
    ok("{\"op\":\"put\",\"key\":\"o\",\"value\":{\"a\":1}}");
    ok("{\"op\":\"put\",\"key\":\"n\",\"value\":5}");
    assertEquals("cannot append to \"o\": it holds an object, not a list", rejected("{\"op\":\"append\",\"key\":\"o\",\"value\":1}"));
    assertEquals("cannot append to \"n\": it holds a number, not a list", rejected("{\"op\":\"append\",\"key\":\"n\",\"value\":1}"));
    assertEquals("op \"append\" needs a \"value\"", rejected("{\"op\":\"append\",\"key\":\"l\"}"));
  }

  @Test
  void results_areNotChangedByLaterOperations() {
    Applied first = kv.apply(json("{\"op\":\"append\",\"key\":\"l\",\"value\":1}"));
    Optional<JsonNode> readBefore = kv.read("l");
    kv.apply(json("{\"op\":\"append\",\"key\":\"l\",\"value\":2}"));
    assertEquals("{\"list\":[1]}", text(first.result()));
    assertEquals("[1]", text(readBefore.orElseThrow()));
    assertEquals("[1,2]", value("l"));
  }

  @Test
  void state_doesNotAliasThePayload() {
    JsonNode payload = json("{\"op\":\"put\",\"key\":\"a\",\"value\":{\"x\":1}}");
    kv.apply(payload);
    ((com.fasterxml.jackson.databind.node.ObjectNode) payload.get("value")).put("x", 99);
    assertEquals("{\"x\":1}", value("a"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[1]                                 | a kv payload must be a JSON object like {\"op\":\"put\",\"key\":\"k\",\"value\":1}, got array",
        "null                                | a kv payload must be a JSON object like {\"op\":\"put\",\"key\":\"k\",\"value\":1}, got null",
        "{\"key\":\"a\"}                     | missing \"op\": expected one of put, delete, cas, append",
        "{\"op\":1,\"key\":\"a\"}            | \"op\" must be a string (one of put, delete, cas, append), got number",
        "{\"op\":\"PUT\",\"key\":\"a\"}      | unknown op \"PUT\": expected one of put, delete, cas, append",
        "{\"op\":\"incr\",\"key\":\"a\"}     | unknown op \"incr\": expected one of put, delete, cas, append",
        "{\"op\":\"put\",\"value\":1}        | missing \"key\": a non-empty string",
        "{\"op\":\"delete\"}                 | missing \"key\": a non-empty string",
        "{\"op\":\"put\",\"key\":7,\"value\":1}  | \"key\" must be a string, got number",
        "{\"op\":\"delete\",\"key\":null}    | \"key\" must be a string, got null",
        "{\"op\":\"put\",\"key\":\"\",\"value\":1} | \"key\" must not be empty",
        "{\"op\":\"put\",\"key\":\"a\"}      | op \"put\" needs a \"value\"",
      })
  void malformedPayloads_areRejectedWithSpecificReasons(String payload, String reason) {
    assertEquals(reason, rejected(payload));
  }

  @Test
  void keyLength_limitIs1024Utf16Chars() {
    String max = "k".repeat(KvStateMachine.KEY_CHARS_MAX);
    ok("{\"op\":\"put\",\"key\":\"" + max + "\",\"value\":1}");
    assertEquals("\"key\" is 1025 characters long; keys are at most 1024 characters",
        rejected("{\"op\":\"put\",\"key\":\"" + max + "x\",\"value\":1}"));
    // A character outside the BMP counts as two UTF-16 chars.
    String astral = "\uD83D\uDE00".repeat(512);
    ok("{\"op\":\"put\",\"key\":\"" + astral + "\",\"value\":1}");
    assertTrue(rejected("{\"op\":\"put\",\"key\":\"" + astral + "x\",\"value\":1}").contains("1025 characters"));
  }

  @Test
  void extraFields_areIgnored() {
    assertEquals("{\"prev\":null}", ok("{\"op\":\"put\",\"key\":\"a\",\"value\":1,\"note\":\"x\"}"));
  }

  @Test
  void validate_doesNotMutate() {
    ok("{\"op\":\"put\",\"key\":\"l\",\"value\":[1]}");
    byte[] before = kv.snapshot();
    for (String p : new String[] {
        "{\"op\":\"put\",\"key\":\"a\",\"value\":1}",
        "{\"op\":\"delete\",\"key\":\"l\"}",
        "{\"op\":\"cas\",\"key\":\"l\",\"expect\":[1],\"value\":2}",
        "{\"op\":\"append\",\"key\":\"l\",\"value\":2}"}) {
      assertTrue(kv.validate(json(p)).accepted(), p);
    }
    assertArrayEquals(before, kv.snapshot());
    assertEquals("[1]", value("l"));
  }

  @Test
  void snapshot_isDeterministicSortedAndRoundTrips() {
    ok("{\"op\":\"put\",\"key\":\"b\",\"value\":{\"z\":1,\"a\":2}}");
    ok("{\"op\":\"put\",\"key\":\"a\",\"value\":1.50}");
    ok("{\"op\":\"append\",\"key\":\"c\",\"value\":\"x\"}");
    byte[] snap = kv.snapshot();
    assertEquals("{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":1.50,\"b\":{\"z\":1,\"a\":2},\"c\":[\"x\"]}}",
        new String(snap, StandardCharsets.UTF_8));

    KvStateMachine other = new KvStateMachine();
    other.apply(json("{\"op\":\"put\",\"key\":\"zzz\",\"value\":1}"));
    other.restore(snap);
    assertArrayEquals(snap, other.snapshot());
    assertEquals(Optional.empty(), other.read("zzz"), "restore replaces, not merges");
    Applied a = other.apply(json("{\"op\":\"append\",\"key\":\"c\",\"value\":\"y\"}"));
    Applied b = kv.apply(json("{\"op\":\"append\",\"key\":\"c\",\"value\":\"y\"}"));
    assertEquals(a, b);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "not json",
        "[]",
        "{\"format\":\"other\",\"version\":1,\"data\":{}}",
        "{\"format\":\"raftsimple.kv\",\"version\":2,\"data\":{}}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":[]}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"\":1}}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":null}}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{},\"x\":1}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":1,\"a\":2}}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"b\":1,\"a\":2}}",
        "{\"format\":\"raftsimple.kv\",\"version\":\"1\",\"data\":{}}",
        "{\"version\":1,\"format\":\"raftsimple.kv\",\"data\":{}}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":1}} x",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":1}}{}",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":1",
        "{\"format\":\"raftsimple.kv\",\"version\":1,\"data\":{\"a\":[1,}}",
      })
  void restore_rejectsBadBytesAndKeepsState(String bad) {
    ok("{\"op\":\"put\",\"key\":\"keep\",\"value\":1}");
    byte[] before = kv.snapshot();
    assertThrows(IllegalArgumentException.class, () -> kv.restore(bad.getBytes(StandardCharsets.UTF_8)));
    assertArrayEquals(before, kv.snapshot());
  }
}
