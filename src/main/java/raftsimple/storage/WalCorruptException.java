package raftsimple.storage;

import java.nio.file.Path;

/**
 * The write-ahead log on disk is damaged somewhere a crash cannot explain (not a torn tail of the
 * last segment), so replaying it would silently drop or invent records. The message names the file,
 * the byte offset where the bad frame or header starts, and the reason; an operator can inspect it
 * with {@code xxd -s <offset> <file>}. Unchecked: the node cannot continue and must stop.
 */
public final class WalCorruptException extends RuntimeException {
  private final transient Path file;
  private final long offset;

  public WalCorruptException(Path file, long offset, String reason) {
    super("WAL corrupt: " + file + " at byte offset " + offset + ": " + reason);
    this.file = file;
    this.offset = offset;
  }

  /** The segment file (or, for a missing segment, the segment after the gap). */
  public Path file() {
    return file;
  }

  /** Byte offset in {@link #file()} where the bad frame or header starts. */
  public long offset() {
    return offset;
  }
}
