package raftsimple.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durable snapshots: the state after the first {@code length} committed entries, ending at
 * {@code head}, so that the log before it can be compacted and lagging nodes can start from it
 * (docs/PROTOCOL.md §12). The file layout is {@link SnapshotFile}'s.
 *
 * <p>Blocking; call from a worker thread. Files are {@code snap-<20-digit length>.snap} in
 * {@code dir}, written to a temporary file, fsynced, renamed into place and the directory fsynced,
 * so a crash leaves either the old set or the new file complete. Nothing here holds a whole state
 * in memory: {@link #write} streams the state machine's bytes straight into the file, {@link
 * #receive} takes a peer's file piece by piece, verifying its SHA-256 as the bytes arrive, and a
 * {@link SnapshotFile} reads the state back as a stream.
 */
public final class SnapshotStore {
  private static final Pattern NAME = Pattern.compile("snap-(\\d{20})\\.snap");

  /** How much of a snapshot file is written between two fsyncs. */
  static final int WRITE_SLICE_BYTES = 4 << 20;

  /** Writes a state machine layer's bytes; must not close the stream. */
  @FunctionalInterface
  public interface DataWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  private final Path dir;

  public SnapshotStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the snapshot directory " + dir, e);
    }
  }

  public Path directory() {
    return dir;
  }

  /** The file of the snapshot at {@code length} (which may not exist). */
  public Path file(long length) {
    return dir.resolve(name(length));
  }

  /**
   * Writes a snapshot durably, streaming {@code data}'s bytes into the file as they come (in
   * fsynced slices), and returns it.
   *
   * @throws UncheckedIOException when the file cannot be written (nothing is left behind)
   * @throws RuntimeException whatever {@code data} threw (nothing is left behind)
   */
  public SnapshotFile write(long length, byte[] head, byte[] meta, DataWriter data) {
    if (head.length != 32) {
      throw new IllegalArgumentException("head is 32 bytes");
    }
    Path target = file(length);
    Path tmp = dir.resolve(name(length) + ".tmp");
    MessageDigest md = sha256();
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        SlicedFileOutput out = new SlicedFileOutput(ch, md);
        out.write(header(length, head, meta));
        long start = out.count();
        data.writeTo(new FilterOutputStream(out) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len); // FilterOutputStream's default writes byte by byte
          }

          @Override
          public void close() {
            // The state machine does not own the file.
          }
        });
        out.write(ByteBuffer.allocate(8).putLong(out.count() - start).array());
        out.flush();
        ByteBuffer digest = ByteBuffer.wrap(md.digest());
        while (digest.hasRemaining()) {
          ch.write(digest);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory();
      return SnapshotFile.open(target);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("writing snapshot " + target + " failed", e);
    } catch (RuntimeException | Error e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  /** The header of a version-2 file. */
  static byte[] header(long length, byte[] head, byte[] meta) {
    return ByteBuffer.allocate(SnapshotFile.Header.BYTES + meta.length)
        .putInt(SnapshotFile.MAGIC).putInt(SnapshotFile.VERSION).putLong(length).put(head)
        .putInt(meta.length).put(meta).array();
  }

  /**
   * Starts taking a snapshot file of {@code length} from a peer, in pieces ({@link Incoming}).
   * {@code expectedBytes} is the size the peer announced; more is refused.
   */
  public Incoming receive(long length, long expectedBytes) {
    Path tmp = dir.resolve(name(length) + ".tmp");
    try {
      return new Incoming(length, expectedBytes, tmp, FileChannel.open(tmp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + tmp, e);
    }
  }

  /**
   * A snapshot file arriving from a peer. The bytes go to a temporary file as they come; the
   * header is checked as soon as it is complete (magic, version, the expected length) and every
   * byte but the trailing 32 goes through SHA-256 on the way, so {@link #finish} only compares the
   * digest before making the file durable and renaming it into place. Nothing is installed unless
   * every byte checked out. Not thread-safe: one worker thread feeds it, in order.
   */
  public final class Incoming {
    private final long length;
    private final long expectedBytes;
    private final Path tmp;
    private final FileChannel channel;
    private final SlicedFileOutput out;
    private final MessageDigest md = sha256();
    private final byte[] header = new byte[SnapshotFile.Header.BYTES];
    /** The last (up to) 32 bytes seen, not yet digested: they may be the digest itself. */
    private final byte[] tail = new byte[SnapshotFile.DIGEST_BYTES];
    private int tailLength;
    private long received;
    private boolean done;

    private Incoming(long length, long expectedBytes, Path tmp, FileChannel channel) {
      this.length = length;
      this.expectedBytes = expectedBytes;
      this.tmp = tmp;
      this.channel = channel;
      this.out = new SlicedFileOutput(channel, null);
    }

    /** Bytes taken so far. */
    public long received() {
      return received;
    }

    /**
     * Takes the next {@code len} bytes.
     *
     * @throws WalCorruptException (after discarding everything) when the header is not that of a
     *     snapshot at the expected length, or more bytes arrive than announced
     */
    public void write(byte[] b, int off, int len) {
      check(!done, "the transfer is over");
      if (received + len > expectedBytes) {
        throw fail(received, "more than the announced " + expectedBytes + " bytes arrived");
      }
      if (received < header.length) {
        int n = (int) Math.min(len, header.length - received);
        System.arraycopy(b, off, header, (int) received, n);
        if (received + n == header.length) {
          checkHeader();
        }
      }
      digestAllButLast32(b, off, len);
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        abort();
        throw new UncheckedIOException("writing " + tmp + " failed", e);
      }
      received += len;
    }

    private void checkHeader() {
      SnapshotFile.Header h;
      try {
        h = SnapshotFile.Header.parse(ByteBuffer.wrap(header), tmp);
      } catch (WalCorruptException e) {
        abort();
        throw e;
      }
      if (h.version() != SnapshotFile.VERSION || h.length() != length) {
        throw fail(0, "the peer sent a version-" + h.version() + " snapshot at length " + h.length()
            + ", expected version " + SnapshotFile.VERSION + " at " + length);
      }
    }

    private void digestAllButLast32(byte[] b, int off, int len) {
      int keep = SnapshotFile.DIGEST_BYTES;
      if (len >= keep) {
        md.update(tail, 0, tailLength);
        md.update(b, off, len - keep);
        System.arraycopy(b, off + len - keep, tail, 0, keep);
        tailLength = keep;
        return;
      }
      int overflow = tailLength + len - keep;
      if (overflow > 0) {
        md.update(tail, 0, overflow);
        System.arraycopy(tail, overflow, tail, 0, tailLength - overflow);
        tailLength -= overflow;
      }
      System.arraycopy(b, off, tail, tailLength, len);
      tailLength += len;
    }

    /**
     * The whole file has arrived: compares the digest, checks the trailer, makes the file durable
     * and renames it into place.
     *
     * @throws WalCorruptException (after discarding everything) on any mismatch
     */
    public SnapshotFile finish() {
      check(!done, "the transfer is over");
      if (received != expectedBytes) {
        throw fail(received, "the transfer ended after " + received + " of " + expectedBytes + " bytes");
      }
      if (tailLength != SnapshotFile.DIGEST_BYTES || !Arrays.equals(tail, md.digest())) {
        throw fail(received - tailLength, "snapshot checksum mismatch");
      }
      Path target = file(length);
      try {
        out.flush();
        channel.force(true);
        channel.close();
        SnapshotFile.open(tmp); // the trailer's data length must fit the size, as on every read
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory();
      } catch (IOException e) {
        abort();
        throw new UncheckedIOException("installing snapshot " + target + " failed", e);
      } catch (WalCorruptException e) {
        abort();
        throw e;
      }
      done = true;
      return SnapshotFile.open(target);
    }

    /** Discards what arrived; idempotent. */
    public void abort() {
      done = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // the file is deleted next
      }
      deleteQuietly(tmp);
    }

    private WalCorruptException fail(long offset, String why) {
      abort();
      return new WalCorruptException(tmp, offset, why);
    }
  }

  /** The newest snapshot, verified; a corrupt newest snapshot is an error, never skipped. */
  public Optional<SnapshotFile> latest() {
    List<Long> all = lengths();
    if (all.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(read(all.get(all.size() - 1)));
  }

  /** The snapshot at {@code length}, verified (its whole file read through SHA-256). */
  public SnapshotFile read(long length) {
    return SnapshotFile.open(file(length)).verify();
  }

  /** Lengths of the snapshots on disk, ascending. Leftover temporary files are removed. */
  public List<Long> lengths() {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        Matcher m = NAME.matcher(n);
        if (m.matches()) {
          out.add(Long.parseLong(m.group(1)));
        } else if (n.endsWith(".snap.tmp")) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("listing snapshots in " + dir + " failed", e);
    }
    out.sort(null);
    return out;
  }

  /** Deletes all but the newest {@code keep} snapshots. */
  public void retain(int keep) {
    List<Long> all = lengths();
    try {
      for (int i = 0; i < all.size() - keep; i++) {
        Files.deleteIfExists(file(all.get(i)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("deleting old snapshots in " + dir + " failed", e);
    }
  }

  /** The file name of the snapshot at {@code length} (also read by {@link SnapshotFile}). */
  public static String name(long length) {
    return String.format("snap-%020d.snap", length);
  }

  private void syncDirectory() throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a leftover .tmp is removed by the next lengths()
    }
  }

  private static void check(boolean ok, String why) {
    if (!ok) {
      throw new IllegalStateException(why);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
