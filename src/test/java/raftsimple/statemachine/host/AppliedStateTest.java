package raftsimple.statemachine.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.bus.BusApi.IdempotencyHit;
import raftsimple.bus.BusApi.Outcome;
import raftsimple.chain.Hashing;
import raftsimple.chain.LogEntry;
import raftsimple.statemachine.Verdict;
import raftsimple.statemachine.Applied;
import raftsimple.statemachine.Json;
import raftsimple.statemachine.LoadFixtures;
import raftsimple.statemachine.KvStateMachine;

class AppliedStateTest {
  private final TestLog log = new TestLog();
  private final KvStateMachine kv = new KvStateMachine();
  private final AppliedState state = new AppliedState(kv, 100);

  private static String put(String key, int value) {
    return "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":" + value + "}";
  }

  private static String append(String key, int value) {
    return "{\"op\":\"append\",\"key\":\"" + key + "\",\"value\":" + value + "}";
  }

  private static String text(JsonNode n) {
    return n == null ? "<java null>" : new String(Json.compact(n), StandardCharsets.UTF_8);
  }

  private Outcome applyOne(AppliedState s, LogEntry e) {
    List<Outcome> out = s.apply(List.of(e));
    assertEquals(1, out.size());
    return out.get(0);
  }

  @Test
  void outcome_carriesTheEntrysPlaceAndTheMachinesResult() {
    LogEntry e1 = log.next(put("a", 1));
    LogEntry e2 = log.next("{\"op\":\"cas\",\"key\":\"a\",\"expect\":2,\"value\":3}");
    List<Outcome> out = state.apply(List.of(e1, e2));
    assertEquals(new Outcome(e1.txid(), 1, e1.hash(), true, Json.parse("{\"prev\":null}".getBytes(StandardCharsets.UTF_8)), null),
        out.get(0));
    assertEquals(e2.txid(), out.get(1).txid());
    assertEquals(2, out.get(1).index());
    assertFalse(out.get(1).ok());
    assertEquals("cas failed: \"a\" is 1, expected 2", out.get(1).reason());
    assertEquals(2, state.appliedIndex());
  }

  @Test
  void sameKeySameBody_returnsOriginalOutcome_andIsNotAppliedAgain() {
    Outcome first = applyOne(state, log.next(append("l", 1), "k1"));
    applyOne(state, log.next(append("l", 2)));
    LogEntry retry = log.next(append("l", 1), "k1");
    Outcome again = applyOne(state, retry);

    assertSame(first, again, "the original outcome: txid, index, hash and result of the first entry");
    assertEquals(1, again.index());
    assertEquals("[1,2]", text(kv.read("l").orElseThrow()), "the retry did not append a second 1");
    assertEquals(3, state.appliedIndex(), "the duplicate still occupies its log index");
  }

  @Test
  void sameKeyDifferentBody_isRejected_stateAndTableUnchanged() {
    Outcome first = applyOne(state, log.next(put("a", 1), "k1"));
    Outcome other = applyOne(state, log.next(put("a", 2), "k1"));

    assertFalse(other.ok());
    assertEquals(2, other.index(), "the rejection is this entry's own outcome");
    assertEquals("Idempotency-Key \"k1\" was already used with a different body (first at index 1)", other.reason());
    assertEquals("1", text(kv.read("a").orElseThrow()));
    IdempotencyHit hit = state.lookup("k1");
    assertEquals(first, hit.outcome());
    assertEquals(Hashing.sha256(put("a", 1).getBytes(StandardCharsets.UTF_8)), hit.bodyHash());
  }

  @Test
  void rejectedOutcomes_areRemembered() {
    String cas = "{\"op\":\"cas\",\"key\":\"a\",\"expect\":null,\"value\":5}";
    applyOne(state, log.next(put("a", 1)));
    Outcome refused = applyOne(state, log.next(cas, "k"));
    applyOne(state, log.next("{\"op\":\"delete\",\"key\":\"a\"}"));
    Outcome retry = applyOne(state, log.next(cas, "k"));

    assertFalse(refused.ok());
    assertEquals(refused, retry, "the retry gets the same 409, although the cas would now succeed");
    assertTrue(kv.read("a").isEmpty());
  }

  @Test
  void eviction_forgetsTheOldestRecordedKeyFirst_hitsDoNotRefresh() {
    AppliedState small = new AppliedState(new KvStateMachine(), 2);
    applyOne(small, log.next(append("l", 1), "a"));
    applyOne(small, log.next(append("l", 2), "b"));
    applyOne(small, log.next(append("l", 1), "a")); // a hit: must not make "a" young again
    applyOne(small, log.next(append("l", 3), "c"));

    assertNull(small.lookup("a"), "a was recorded first, so it goes first");
    assertEquals(2, small.lookup("b").outcome().index());
    assertEquals(5 - 1, small.lookup("c").outcome().index());
    assertEquals(2, small.idempotencyKeyCount());

    Outcome late = applyOne(small, log.next(append("l", 1), "a"));
    assertEquals(5, late.index(), "after expiry a retry is a new request");
    assertEquals("{\"list\":[1,2,3,1]}", text(late.result()));
    assertNull(small.lookup("b"), "recording a again evicted b, the oldest now");
  }

  @Test
  void eviction_isTheSameOnEveryNode() {
    AppliedState n1 = new AppliedState(new KvStateMachine(), 3);
    AppliedState n2 = new AppliedState(new KvStateMachine(), 3);
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      entries.add(log.next(put("k" + (i % 4), i), "key" + (i * 7 % 5)));
    }
    assertEquals(n1.apply(entries), n2.apply(entries));
    assertArrayEquals(n1.snapshot(), n2.snapshot());
  }

  @Test
  void zeroKeysMax_remembersNothing() {
    AppliedState none = new AppliedState(new KvStateMachine(), 0);
    applyOne(none, log.next(append("l", 1), "a"));
    Outcome second = applyOne(none, log.next(append("l", 1), "a"));
    assertNull(none.lookup("a"));
    assertEquals("{\"list\":[1,1]}", text(second.result()));
  }

  @Test
  void snapshotRestore_givesAnEquivalentState() {
    List<LogEntry> before = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      before.add(log.next(i % 3 == 0 ? append("l" + i % 2, i) : put("p" + i % 5, i), i % 4 == 0 ? "key" + i : null));
    }
    before.add(log.next("{\"op\":\"cas\",\"key\":\"zz\",\"expect\":1,\"value\":1}", "rejected-key"));
    state.apply(before);
    byte[] snap = state.snapshot();

    AppliedState fresh = new AppliedState(new KvStateMachine(), 100);
    fresh.restore(snap);
    assertEquals(state.appliedIndex(), fresh.appliedIndex());
    assertArrayEquals(snap, fresh.snapshot());

    List<LogEntry> after = new ArrayList<>();
    after.add(log.next(append("l0", 0), "key0")); // a retry of a key from before the snapshot
    after.add(log.next("{\"op\":\"cas\",\"key\":\"zz\",\"expect\":1,\"value\":1}", "rejected-key"));
    after.add(log.next(put("p1", 99), "key4")); // a known key with a different body
    for (int i = 0; i < 10; i++) {
      after.add(log.next(append("l1", i), "new" + i));
    }
    List<Outcome> expected = state.apply(after);
    assertEquals(expected, fresh.apply(after));
    assertEquals(1, expected.get(0).index(), "the retry got the original outcome");
    assertArrayEquals(state.snapshot(), fresh.snapshot());
  }

  /**
   * Snapshots written before the streaming layout (version 1: the machine's bytes framed with their
   * length) still restore, to the same state.
   */
  @Test
  void restore_readsTheVersion1Layout() {
    applyOne(state, log.next(put("a", 1), "k1"));
    applyOne(state, log.next(append("l", 2), null));
    byte[] v2 = state.snapshot();
    ByteBuffer in = ByteBuffer.wrap(v2);
    in.position(16);
    int tableLength = in.getInt();
    byte[] table = new byte[tableLength];
    in.get(table);
    byte[] machine = new byte[in.remaining()];
    in.get(machine);
    ByteBuffer v1 = ByteBuffer.allocate(16 + 4 + tableLength + 4 + machine.length);
    v1.put(Arrays.copyOf(v2, 4)).putInt(1).putLong(state.appliedIndex());
    v1.putInt(tableLength).put(table).putInt(machine.length).put(machine);

    AppliedState fresh = new AppliedState(new KvStateMachine(), 100);
    fresh.restore(v1.array());
    assertArrayEquals(v2, fresh.snapshot());
    byte[] trailing = Arrays.copyOf(v1.array(), v1.capacity() + 1);
    assertThrows(IllegalArgumentException.class, () -> new AppliedState(new KvStateMachine(), 100).restore(trailing));
  }

  /**
   * A plug-in that implements only the whole-value snapshot methods (the bank example) goes through
   * the streaming path unchanged: the default adapters write its bytes and hand them back.
   */
  @Test
  void aMachineWithOnlyWholeValueSnapshots_streamsThroughTheDefaultAdapters() throws Exception {
    AppliedState bank = new AppliedState(new raftsimple.examples.BankStateMachine(), 100);
    TestLog bankLog = new TestLog();
    bank.apply(List.of(bankLog.next("{\"op\":\"open\",\"account\":\"alice\"}"),
        bankLog.next("{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":10}", "d1")));
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    bank.snapshotWriter().writeTo(out);
    AppliedState other = new AppliedState(new raftsimple.examples.BankStateMachine(), 100);
    other.restore(new java.io.ByteArrayInputStream(out.toByteArray()));
    assertArrayEquals(bank.snapshot(), other.snapshot());
    assertEquals(bank.read("alice"), other.read("alice"));
    assertTrue(other.read("alice").isPresent());
  }

  /**
   * Re-applying the log at start skips only the copies of results nobody reads: the state, the
   * idempotency table (outcomes included: a retry after the restart gets the original) and so the
   * snapshot bytes are those of a normal apply.
   */
  @Test
  void applyReplayed_endsInTheSameStateAndTableAsApply() {
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      entries.add(log.next(i % 3 == 0 ? append("l" + i % 2, i) : put("p" + i % 5, i), i % 4 == 0 ? "key" + i : null));
    }
    entries.add(log.next("{\"op\":\"cas\",\"key\":\"zz\",\"expect\":1,\"value\":1}", "rejected-key"));
    entries.add(log.next(put("p1", 7), "key4")); // a known key with a different body
    AppliedState replayed = new AppliedState(new KvStateMachine(), 100);
    state.apply(entries.subList(0, 25));
    state.apply(entries.subList(25, entries.size()));
    replayed.applyReplayed(entries.subList(0, 25));
    replayed.applyReplayed(entries.subList(25, entries.size()));
    assertEquals(state.appliedIndex(), replayed.appliedIndex());
    assertArrayEquals(state.snapshot(), replayed.snapshot());
    assertEquals(state.lookup("key8"), replayed.lookup("key8"));
    assertEquals(text(state.lookup("key8").outcome().result()), text(replayed.lookup("key8").outcome().result()));

    LogEntry retry = log.next(append("l0", 0), "key0");
    assertEquals(state.apply(List.of(retry)), replayed.apply(List.of(retry)));
    LogEntry gap = log.next(put("a", 1));
    log.next(put("a", 2));
    assertThrows(IllegalStateException.class, () -> replayed.applyReplayed(List.of(log.next(put("a", 3)))),
        "replayed entries must continue the log too");
    assertEquals(gap.index() - 1, replayed.appliedIndex(), "nothing applied from a batch out of order");
  }

  @Test
  void restore_cutsATableLargerThanTheBound_oldestFirst() {
    for (int i = 0; i < 5; i++) {
      applyOne(state, log.next(put("a", i), "k" + i));
    }
    AppliedState small = new AppliedState(new KvStateMachine(), 2);
    small.restore(state.snapshot());
    assertEquals(2, small.idempotencyKeyCount());
    assertNull(small.lookup("k2"));
    assertEquals(4, small.lookup("k3").outcome().index());
  }

  @Test
  void restore_rejectsBadBytes_andLeavesTheStateAlone() {
    applyOne(state, log.next(put("a", 1), "k"));
    byte[] good = state.snapshot();
    List<byte[]> bad = new ArrayList<>();
    bad.add(new byte[0]);
    bad.add("RSAX....".getBytes(StandardCharsets.US_ASCII));
    bad.add(Arrays.copyOf(good, good.length - 1)); // truncated
    bad.add(Arrays.copyOf(good, good.length + 1)); // trailing byte
    byte[] version = good.clone();
    ByteBuffer.wrap(version).putInt(4, 3);
    bad.add(version);
    byte[] negative = good.clone();
    ByteBuffer.wrap(negative).putLong(8, -1);
    bad.add(negative);
    byte[] behind = good.clone();
    ByteBuffer.wrap(behind).putLong(8, 0); // an outcome at index 1 cannot exist with appliedIndex 0
    bad.add(behind);
    bad.add(AppliedStateSnapshot.encode(1, java.util.Map.of(), "garbage".getBytes(StandardCharsets.UTF_8)));

    AppliedState target = new AppliedState(new KvStateMachine(), 100);
    applyOne(target, new TestLog().next(put("mine", 1)));
    byte[] targetBefore = target.snapshot();
    for (byte[] b : bad) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.restore(b));
      assertTrue(e.getMessage().contains("snapshot"), e.getMessage());
      assertArrayEquals(targetBefore, target.snapshot());
    }
  }

  @Test
  void aGapOrRepeat_isAProgrammerError_andAppliesNothing() {
    LogEntry e1 = log.next(put("a", 1));
    LogEntry e2 = log.next(put("a", 2));
    LogEntry e3 = log.next(put("a", 3));
    IllegalStateException gap = assertThrows(IllegalStateException.class, () -> state.apply(List.of(e1, e3)));
    assertEquals("entry out of order: expected index 2 (applied through 0), got 3", gap.getMessage());
    assertEquals(0, state.appliedIndex());
    assertTrue(kv.read("a").isEmpty(), "e1 was not applied either: the batch is checked first");

    state.apply(List.of(e1, e2));
    assertThrows(IllegalStateException.class, () -> state.apply(List.of(e2)));
    assertEquals(2, state.appliedIndex());
  }

  @Test
  void systemEntries_skipTheUserMachine() {
    LoadFixtures.Counter counter = new LoadFixtures.Counter();
    AppliedState s = new AppliedState(counter, 10);
    LogEntry sys = log.next("{\"$raftsimple\":{\"addMember\":{\"id\":\"n4\"}}}");
    Outcome o = applyOne(s, sys);
    assertEquals(new Outcome(sys.txid(), 1, sys.hash(), true, null, null), o);
    assertEquals(0, counter.applied);
    assertEquals(1, s.appliedIndex());
    assertEquals(1, s.apply(List.of(log.next("{\"x\":1}"))).get(0).result().intValue());

    Verdict v = s.validate(Json.parse("{\"$raftsimple\":1}".getBytes(StandardCharsets.UTF_8)));
    assertFalse(v.accepted());
    assertTrue(v.reason().contains("reserved"));
    assertTrue(s.validate(Json.parse("[\"$raftsimple\"]".getBytes(StandardCharsets.UTF_8))).accepted());
  }

  @Test
  void unparseablePayload_isARejectedOutcome_notACrash() {
    Outcome o = state.apply(List.of(log.nextBytes("{not json".getBytes(StandardCharsets.UTF_8), null))).get(0);
    assertFalse(o.ok());
    assertTrue(o.reason().startsWith("entry payload is not JSON: "), o.reason());
    assertEquals(1, state.appliedIndex());
  }

  @Test
  void anExceptionFromApply_propagates_andTheEntryIsNotCountedApplied() {
    AppliedState s = new AppliedState(new LoadFixtures.Counter() {
      @Override
      public Applied apply(JsonNode payload) {
        if (payload.has("boom")) {
          throw new IllegalStateException("boom");
        }
        return super.apply(payload);
      }
    }, 10);
    LogEntry ok = log.next("{}");
    LogEntry boom = log.next("{\"boom\":1}");
    assertThrows(IllegalStateException.class, () -> s.apply(List.of(ok, boom)));
    assertEquals(1, s.appliedIndex(), "the entry before the failure stays applied");
  }

  @Test
  void results_andReads_areDetachedFromTheMachinesState() {
    ObjectNode shared = Json.NODES.objectNode().put("n", 1);
    AppliedState s = new AppliedState(new LoadFixtures.Counter() {
      @Override
      public Applied apply(JsonNode payload) {
        shared.put("n", shared.get("n").intValue() + 1); // a careless machine mutating its result
        return Applied.result(shared);
      }

      @Override
      public java.util.Optional<JsonNode> read(String key) {
        return java.util.Optional.of(shared);
      }
    }, 10);
    Outcome first = applyOne(s, log.next("{}"));
    applyOne(s, log.next("{}"));
    assertEquals("{\"n\":2}", text(first.result()));
    ((ObjectNode) s.read("x").orElseThrow()).put("n", 100);
    assertEquals(3, shared.get("n").intValue());
  }

  @Test
  void validate_delegatesAndDoesNotMutate() {
    applyOne(state, log.next(put("a", 1)));
    byte[] before = state.snapshot();
    assertTrue(state.validate(Json.parse(put("b", 2).getBytes(StandardCharsets.UTF_8))).accepted());
    assertFalse(state.validate(Json.parse("{\"op\":\"nope\",\"key\":\"a\"}".getBytes(StandardCharsets.UTF_8))).accepted());
    assertArrayEquals(before, state.snapshot());
    assertEquals(1, state.appliedIndex());
  }

  @Test
  void snapshot_bytesAreIdenticalForIdenticalHistories() {
    AppliedState other = new AppliedState(new KvStateMachine(), 100);
    List<LogEntry> entries = List.of(log.next(put("b", 1), "x"), log.next(put("a", 2)), log.next(append("c", 3), "y"));
    state.apply(entries);
    other.apply(entries);
    assertArrayEquals(state.snapshot(), other.snapshot());
    assertNotEquals(0, state.snapshot().length);
  }
}
