package raftsimple.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import raftsimple.core.msg.DurableRecord;
import raftsimple.storage.RecordCodec;
import raftsimple.storage.Wal;

/**
 * The production {@link RecordStore}: the core's records, encoded by {@link RecordCodec}, in the
 * segmented write-ahead log under {@code <dataDir>/wal}. Opening replays the whole log once; the
 * records are kept only until {@link #replay} hands them over.
 */
public final class WalRecordStore implements RecordStore {
  private final Wal wal;
  private List<DurableRecord> replayed = new ArrayList<>();

  /**
   * Opens (creating if needed) the WAL in {@code dir}, truncating a torn tail and refusing, with
   * {@link raftsimple.storage.WalCorruptException}, corruption anywhere else.
   */
  public WalRecordStore(Path dir, long segmentBytes) {
    try {
      this.wal = Wal.open(dir, segmentBytes, bytes -> replayed.add(RecordCodec.decode(bytes)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the write-ahead log in " + dir, e);
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
    for (DurableRecord r : records) {
      encoded.add(RecordCodec.encode(r));
    }
    try {
      wal.append(encoded);
      return wal.sync();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the write-ahead log in " + wal.directory() + " failed", e);
    }
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
