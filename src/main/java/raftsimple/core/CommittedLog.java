package raftsimple.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/**
 * The committed part of the hash chain that this node holds in memory.
 *
 * <p>Invariants: {@code entries.get(i)} has log index {@code firstIndex + i}; each entry's
 * {@code prev} is the previous entry's {@code hash} (or {@code baseHash} for the first);
 * {@code txids} maps every held entry's txid to its index and no txid occurs twice (no entry is
 * committed twice). {@code baseLength}/{@code baseHash} describe what precedes {@code firstIndex}
 * (0 and {@link Hash#ZERO} until a snapshot compacts the prefix).
 */
public final class CommittedLog {
  private long baseLength;
  private Hash baseHash;
  private final ArrayList<LogEntry> entries = new ArrayList<>();
  private final Map<Hash, Long> txids = new HashMap<>();
  /** Index of the last entry of every batch held, ascending; {@code batchEnds[0..batchCount)}. */
  private long[] batchEnds = new long[64];
  private int batchCount;

  public CommittedLog() {
    this(0, Hash.ZERO);
  }

  public CommittedLog(long baseLength, Hash baseHash) {
    this.baseLength = baseLength;
    this.baseHash = baseHash;
  }

  public long length() {
    return baseLength + entries.size();
  }

  public Hash head() {
    return entries.isEmpty() ? baseHash : entries.get(entries.size() - 1).hash();
  }

  /** Index of the first entry still held (entries before it were compacted into a snapshot). */
  public long firstIndex() {
    return baseLength + 1;
  }

  public long baseLength() {
    return baseLength;
  }

  public Hash baseHash() {
    return baseHash;
  }

  /**
   * Appends one decided batch (the value of the instance at the current head). A break in the chain
   * or a txid already held is a programmer error: callers verify input from outside first.
   */
  public void appendBatch(List<LogEntry> batch) {
    Check.state(!batch.isEmpty(), "empty batch at length %d", length());
    for (LogEntry e : batch) {
      append(e);
    }
    if (batchCount == batchEnds.length) {
      batchEnds = java.util.Arrays.copyOf(batchEnds, batchCount * 2);
    }
    batchEnds[batchCount++] = length();
  }

  /** True when {@code length} is an instance boundary: the base, or the end of a held batch. */
  public boolean isBoundary(long length) {
    return length == baseLength || java.util.Arrays.binarySearch(batchEnds, 0, batchCount, length) >= 0;
  }

  /**
   * Whole batches starting right after {@code afterLength} (which must be a boundary), at least one
   * batch when there is one, and then more while their entries total at most {@code maxEntries}.
   */
  public List<List<LogEntry>> batchesAfter(long afterLength, int maxEntries) {
    return batchesAfter(afterLength, maxEntries, Long.MAX_VALUE);
  }

  /** As above, only batches that end at or below {@code upToLength} (what may be revealed). */
  public List<List<LogEntry>> batchesAfter(long afterLength, int maxEntries, long upToLength) {
    List<List<LogEntry>> out = new ArrayList<>();
    if (afterLength < baseLength || !isBoundary(afterLength)) {
      return out;
    }
    int b = afterLength == baseLength ? 0
        : java.util.Arrays.binarySearch(batchEnds, 0, batchCount, afterLength) + 1;
    long start = afterLength + 1;
    int total = 0;
    for (; b < batchCount && batchEnds[b] <= upToLength; b++) {
      long end = batchEnds[b];
      int size = (int) (end - start + 1);
      if (!out.isEmpty() && total + size > maxEntries) {
        break;
      }
      out.add(range(start, size));
      total += size;
      start = end + 1;
    }
    return out;
  }

  private void append(LogEntry e) {
    Check.state(e.index() == length() + 1, "append index %d at length %d", e.index(), length());
    Check.state(e.prev().equals(head()), "append %d: prev does not match head", e.index());
    Long dup = txids.putIfAbsent(e.txid(), e.index());
    Check.state(dup == null, "txid %s committed twice (indexes %s and %d)", e.txid(), dup, e.index());
    entries.add(e);
  }

  /**
   * Drops the entries up to {@code newBase} (an instance boundary not beyond the log), after a
   * snapshot covers them: the log then starts after {@code newBase}.
   */
  public void compactTo(long newBase) {
    if (newBase <= baseLength) {
      return;
    }
    Check.state(newBase <= length() && isBoundary(newBase), "compact to %d: not a boundary", newBase);
    int drop = (int) (newBase - baseLength);
    for (int i = 0; i < drop; i++) {
      txids.remove(entries.get(i).txid());
    }
    baseHash = entries.get(drop - 1).hash();
    entries.subList(0, drop).clear();
    entries.trimToSize();
    int firstKept = java.util.Arrays.binarySearch(batchEnds, 0, batchCount, newBase) + 1;
    System.arraycopy(batchEnds, firstKept, batchEnds, 0, batchCount - firstKept);
    batchCount -= firstKept;
    baseLength = newBase;
  }

  /** The largest instance boundary at or below {@code length} that this log holds (or its base). */
  public long boundaryAtOrBelow(long length) {
    int i = java.util.Arrays.binarySearch(batchEnds, 0, batchCount, length);
    if (i >= 0) {
      return batchEnds[i];
    }
    int insertion = -i - 1;
    return insertion == 0 ? baseLength : batchEnds[insertion - 1];
  }

  /** The entry at {@code index}, or null when it is not held. */
  public LogEntry get(long index) {
    long i = index - firstIndex();
    return i < 0 || i >= entries.size() ? null : entries.get((int) i);
  }

  public boolean contains(Hash txid) {
    return txids.containsKey(txid);
  }

  /** The index of {@code txid}, or -1. */
  public long indexOf(Hash txid) {
    Long i = txids.get(txid);
    return i == null ? -1 : i;
  }

  /** Up to {@code max} entries from {@code fromIndex} (clamped to what is held). */
  public List<LogEntry> range(long fromIndex, int max) {
    long from = Math.max(fromIndex, firstIndex());
    if (from > length() || max <= 0) {
      return List.of();
    }
    int start = (int) (from - firstIndex());
    int end = (int) Math.min(entries.size(), (long) start + max);
    return Collections.unmodifiableList(new ArrayList<>(entries.subList(start, end)));
  }
}
