package raftsimple.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import raftsimple.core.msg.DurableRecord;
import raftsimple.storage.RecordCodec;
import raftsimple.storage.Wal;

/**
 * The production {@link RecordStore}: the core's records, encoded by {@link RecordCodec}, in the
 * segmented write-ahead log under {@code <dataDir>/wal}. Opening replays the whole log once; the
 * records are kept only until {@link #replay} hands them over.
 *
 * <p>For compaction it remembers, per segment, the highest log length any of its records is still
 * needed for ({@link #neededUpTo}); once a snapshot covers that length the segment can go.
 */
public final class WalRecordStore implements RecordStore {
  private final Wal wal;
  private List<DurableRecord> replayed = new ArrayList<>();
  private final TreeMap<Long, Long> neededBySegment = new TreeMap<>();
  /** The highest txid-clock record written, and the segment holding it (kept across compaction). */
  private long clockTs;
  private long clockSegment = -1;

  /**
   * Opens (creating if needed) the WAL in {@code dir}, truncating a torn tail and refusing, with
   * {@link raftsimple.storage.WalCorruptException}, corruption anywhere else.
   */
  public WalRecordStore(Path dir, long segmentBytes) {
    try {
      this.wal = Wal.open(dir, segmentBytes, new Wal.RecordVisitor() {
        @Override
        public void visit(byte[] record) {
          throw new IllegalStateException("replay passes segment numbers");
        }

        @Override
        public void visit(long segment, byte[] bytes) {
          DurableRecord r = RecordCodec.decode(bytes);
          replayed.add(r);
          noteClock(r, segment);
          neededBySegment.merge(segment, neededUpTo(r), Math::max);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the write-ahead log in " + dir, e);
    }
  }

  /**
   * The log length up to which a record still matters: a commit until a snapshot covers its last
   * entry; a vote, promise or accept at head length L while the head is L (so until a snapshot
   * reaches L + 1); a config record only until any snapshot (which carries the membership).
   */
  static long neededUpTo(DurableRecord r) {
    if (r instanceof DurableRecord.CommitRecord c) {
      return c.entries().get(c.entries().size() - 1).index();
    } else if (r instanceof DurableRecord.VoteRecord v) {
      return v.length() + 1;
    } else if (r instanceof DurableRecord.PromiseRecord p) {
      return p.length() + 1;
    } else if (r instanceof DurableRecord.AcceptRecord a) {
      return a.length() + 1;
    }
    return 0;
  }

  private void noteClock(DurableRecord r, long segment) {
    if (r instanceof DurableRecord.ClockRecord k && k.ts() >= clockTs) {
      clockTs = k.ts();
      clockSegment = segment;
    }
  }

  public Wal.ReplayStats stats() {
    return wal.replayStats();
  }

  @Override
  public void replay(Consumer<DurableRecord> visitor) {
    List<DurableRecord> records = replayed;
    replayed = List.of();
    records.forEach(visitor);
  }

  @Override
  public long appendAndSync(List<DurableRecord> records) {
    List<byte[]> encoded = new ArrayList<>(records.size());
    long needed = 0;
    for (DurableRecord r : records) {
      encoded.add(RecordCodec.encode(r));
      needed = Math.max(needed, neededUpTo(r));
    }
    try {
      long first = wal.currentSegment();
      wal.append(encoded);
      for (long s = first; s <= wal.currentSegment(); s++) {
        neededBySegment.merge(s, needed, Math::max);
      }
      for (DurableRecord r : records) {
        noteClock(r, wal.currentSegment());
      }
      return wal.sync();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the write-ahead log in " + wal.directory() + " failed", e);
    }
  }

  @Override
  public int compactBefore(long snapshotLength) {
    long keepFrom = wal.currentSegment();
    for (Map.Entry<Long, Long> e : neededBySegment.entrySet()) {
      if (e.getKey() >= wal.currentSegment() || e.getValue() > snapshotLength) {
        keepFrom = e.getKey();
        break;
      }
    }
    int before = wal.segments().size();
    try {
      if (clockSegment >= 0 && clockSegment < keepFrom) {
        // The txid clock's floor is needed for good (DurableRecord.ClockRecord): carry it into the
        // current segment, durably, before its segment goes.
        wal.append(List.of(RecordCodec.encode(new DurableRecord.ClockRecord(clockTs))));
        wal.sync();
        clockSegment = wal.currentSegment(); // never before keepFrom: that is at most the current one
      }
      wal.deleteSegmentsBefore(keepFrom);
    } catch (IOException e) {
      throw new UncheckedIOException("deleting write-ahead log segments failed", e);
    }
    neededBySegment.headMap(keepFrom).clear();
    return before - wal.segments().size();
  }

  @Override
  public void close() {
    try {
      wal.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing the write-ahead log failed", e);
    }
  }
}
