package raftsimple.storage;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Backups of snapshot files ({@code raftsimplectl snapshot save / restore}): verify a file of any
 * size, and copy one into a data directory with its membership replaced, both in fixed memory
 * (the state is streamed, never read whole). The layout itself is {@link SnapshotFile}'s.
 */
public final class SnapshotBackup {
  private static final int COPY_BYTES = 1 << 16;

  /** What a verified file holds besides the state: its length, head, metadata and sizes. */
  public record Header(long length, byte[] head, byte[] meta, long dataBytes, long fileBytes) {
    static Header of(SnapshotFile f) {
      return new Header(f.length(), f.head(), f.meta(), f.dataLength(), f.size());
    }
  }

  private SnapshotBackup() {}

  /**
   * Reads {@code file} through once, checking its trailing SHA-256. {@code progress} gets the bytes
   * read so far.
   *
   * @throws WalCorruptException naming the file when it is not a complete, intact snapshot
   */
  public static Header verify(Path file, LongConsumer progress) {
    return Header.of(SnapshotFile.open(file).verify(progress));
  }

  /**
   * Writes a copy of snapshot {@code source} with its metadata replaced by {@code newMeta} (and a
   * new checksum) into {@code dir}, under the name {@link SnapshotStore} gives its length: durably,
   * through {@link SnapshotStore#write}. The source is verified first; if it is not intact, or the
   * copy fails, nothing is left in {@code dir}.
   *
   * @return the header of the file written (its {@code meta} is {@code newMeta})
   */
  public static Header rewrite(Path source, byte[] newMeta, Path dir, LongConsumer progress) {
    SnapshotFile in = SnapshotFile.open(source).verify(bytes -> { });
    SnapshotFile out = new SnapshotStore(dir).write(in.length(), in.head(), newMeta, sink -> {
      try (InputStream state = in.openState()) {
        byte[] buf = new byte[COPY_BYTES];
        long copied = 0;
        for (int n; (n = state.read(buf)) > 0; ) {
          sink.write(buf, 0, n);
          copied += n;
          progress.accept(copied);
        }
      }
    });
    return Header.of(out);
  }
}
