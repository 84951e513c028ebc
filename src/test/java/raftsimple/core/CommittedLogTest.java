package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

class CommittedLogTest {
  private long ts = 1_000;

  /** {@code sizes.length} batches of the given sizes, chained after an empty log. */
  private List<List<LogEntry>> batches(int... sizes) {
    List<List<LogEntry>> out = new ArrayList<>();
    Hash prev = Hash.ZERO;
    long index = 0;
    for (int size : sizes) {
      List<LogEntry> batch = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        LogEntry e = LogEntry.chain(++index, prev, entry());
        batch.add(e);
        prev = e.hash();
      }
      out.add(batch);
    }
    return out;
  }

  private Entry entry() {
    ts++;
    return Entry.create(ts, "n1", ("{\"v\":" + ts + "}").getBytes(StandardCharsets.UTF_8), null);
  }

  private CommittedLog logOf(List<List<LogEntry>> batches) {
    CommittedLog log = new CommittedLog();
    for (List<LogEntry> b : batches) {
      log.appendBatch(b);
    }
    return log;
  }

  @Test
  void emptyLogStartsAtZeroHash() {
    CommittedLog log = new CommittedLog();
    assertEquals(0, log.length());
    assertEquals(Hash.ZERO, log.head());
    assertEquals(1, log.firstIndex());
    assertTrue(log.isBoundary(0));
    assertNull(log.get(1));
    assertEquals(List.of(), log.range(1, 10));
  }

  @Test
  void appendsBatchesAndKnowsTheirBoundaries() {
    List<List<LogEntry>> b = batches(2, 1, 3);
    CommittedLog log = logOf(b);
    assertEquals(6, log.length());
    assertEquals(b.get(2).get(2).hash(), log.head());
    for (long boundary : new long[] {0, 2, 3, 6}) {
      assertTrue(log.isBoundary(boundary), "boundary " + boundary);
    }
    for (long inside : new long[] {1, 4, 5, 7}) {
      assertFalse(log.isBoundary(inside), "not a boundary " + inside);
    }
    assertEquals(4, log.indexOf(b.get(2).get(0).txid()));
    assertTrue(log.contains(b.get(0).get(1).txid()));
    assertEquals(-1, log.indexOf(entry().txid()));
  }

  @Test
  void batchesAfterReturnsWholeBatchesWithinTheLimit() {
    List<List<LogEntry>> b = batches(2, 1, 3, 1);
    CommittedLog log = logOf(b);
    assertEquals(b, log.batchesAfter(0, 100));
    // The limit counts entries, but the first batch always comes whole.
    assertEquals(List.of(b.get(0)), log.batchesAfter(0, 1));
    assertEquals(List.of(b.get(0), b.get(1)), log.batchesAfter(0, 3));
    assertEquals(List.of(b.get(2)), log.batchesAfter(3, 3));
    assertEquals(List.of(b.get(2), b.get(3)), log.batchesAfter(3, 4));
    assertEquals(List.of(), log.batchesAfter(7, 10), "nothing after the head");
    assertEquals(List.of(), log.batchesAfter(1, 10), "1 is inside a batch");
    assertEquals(List.of(), log.batchesAfter(-1, 10));
  }

  @Test
  void manyBatchesGrowTheBoundaryTable() {
    int[] sizes = new int[200];
    java.util.Arrays.fill(sizes, 1);
    CommittedLog log = logOf(batches(sizes));
    assertEquals(200, log.length());
    assertTrue(log.isBoundary(150));
    assertEquals(50, log.batchesAfter(150, 50).size());
  }

  @Test
  void rangeIsClampedToWhatIsHeld() {
    List<List<LogEntry>> b = batches(3);
    CommittedLog log = logOf(b);
    assertEquals(b.get(0).subList(1, 3), log.range(2, 10));
    assertEquals(b.get(0).subList(0, 1), log.range(0, 1));
    assertEquals(List.of(), log.range(4, 1));
    assertEquals(List.of(), log.range(1, 0));
  }

  @Test
  void aBrokenChainOrARepeatedTxidIsAProgrammerError() {
    List<List<LogEntry>> b = batches(2);
    CommittedLog log = logOf(b);
    LogEntry wrongPrev = LogEntry.chain(3, Hash.ZERO, entry());
    assertThrows(IllegalStateException.class, () -> log.appendBatch(List.of(wrongPrev)));
    LogEntry wrongIndex = LogEntry.chain(5, log.head(), entry());
    assertThrows(IllegalStateException.class, () -> log.appendBatch(List.of(wrongIndex)));
    LogEntry repeated = LogEntry.chain(3, log.head(), b.get(0).get(0).entry());
    assertThrows(IllegalStateException.class, () -> log.appendBatch(List.of(repeated)));
    assertThrows(IllegalStateException.class, () -> log.appendBatch(List.of()));
  }
}
