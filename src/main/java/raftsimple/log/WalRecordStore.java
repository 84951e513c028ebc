package raftsimple.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
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
 * <p>Replay decodes each record straight out of the WAL's read buffer. A vote or accept record
 * (each carries a whole proposal, so together they are about half the WAL) is only kept as bytes
 * until a later commit record ends beyond its instance: then it can no longer change what
 * {@link raftsimple.core.DurableState} rebuilds (the commit resets the instance state, or an
 * earlier one already did), so it is dropped without being decoded. The few that survive — those
 * about the instance at the head — are decoded before the constructor returns, so a malformed one
 * still stops the start. Frames are CRC-checked either way.
 *
 * <p>For compaction it remembers, per segment, the highest log length any of its records is still
 * needed for ({@link #neededUpTo}); once a snapshot covers that length the segment can go.
 */
public final class WalRecordStore implements RecordStore {
  /** A vote or accept record not decoded yet: its instance length and a copy of its bytes. */
  private record Deferred(long instance, byte[] bytes) {}

  private final Wal wal;
  /** Replayed records in WAL order: a DurableRecord, a {@link Deferred}, or null (dropped). */
  private List<Object> replayed = new ArrayList<>();
  /** Positions in {@link #replayed} of the Deferred records no commit has superseded yet. */
  private final List<Integer> openDeferred = new ArrayList<>();
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
        public void visit(long segment, byte[] buf, int offset, int length) {
          onReplayed(segment, buf, offset, length);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the write-ahead log in " + dir, e);
    }
    for (int at : openDeferred) {
      replayed.set(at, RecordCodec.decode(((Deferred) replayed.get(at)).bytes()));
    }
    openDeferred.clear();
  }

  private void onReplayed(long segment, byte[] buf, int offset, int length) {
    long instance = RecordCodec.proposalRecordInstance(buf, offset, length);
    if (instance >= 0) {
      openDeferred.add(replayed.size());
      replayed.add(new Deferred(instance, Arrays.copyOfRange(buf, offset, offset + length)));
      neededBySegment.merge(segment, instance + 1, Math::max);
      return;
    }
    DurableRecord r = RecordCodec.decode(buf, offset, length);
    if (r instanceof DurableRecord.CommitRecord c) {
      supersede(c.entries().get(c.entries().size() - 1).index());
    }
    replayed.add(r);
    noteClock(r, segment);
    neededBySegment.merge(segment, neededUpTo(r), Math::max);
  }

  /** Drops the deferred records about instances before {@code commitEnd}: that commit ends them. */
  private void supersede(long commitEnd) {
    for (Iterator<Integer> it = openDeferred.iterator(); it.hasNext(); ) {
      int at = it.next();
      if (((Deferred) replayed.get(at)).instance() < commitEnd) {
        replayed.set(at, null);
        it.remove();
      }
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
    List<Object> records = replayed;
    replayed = List.of();
    for (Object r : records) {
      if (r != null) {
        visitor.accept((DurableRecord) r);
      }
    }
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
