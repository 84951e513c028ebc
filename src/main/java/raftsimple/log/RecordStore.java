package raftsimple.log;

import java.util.List;
import java.util.function.Consumer;
import raftsimple.core.msg.DurableRecord;

/**
 * Where the log verticle keeps the core's durable records. Every method blocks and is called from
 * one worker thread at a time, never from an event loop.
 */
public interface RecordStore extends AutoCloseable {

  /** Feeds every record written so far, in write order, to {@code visitor}. */
  void replay(Consumer<DurableRecord> visitor);

  /**
   * Appends {@code records} after everything written before and makes them durable (fsync).
   *
   * @return how long the fsync took, in nanoseconds
   */
  long appendAndSync(List<DurableRecord> records);

  /**
   * Drops stored records that a durable snapshot of the first {@code snapshotLength} entries made
   * unnecessary (whole segments at a time); returns how many files were removed.
   */
  default int compactBefore(long snapshotLength) {
    return 0;
  }

  @Override
  void close();
}
