package raftsimple.storage;

import java.io.IOException;
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
 * {@code head}, so that the log before it can be compacted and lagging nodes can start from it.
 *
 * <p>Blocking; call from a worker thread. Files are {@code snap-<20-digit length>.snap} in
 * {@code dir}, written to a temporary file, fsynced, renamed into place and the directory fsynced,
 * so a crash leaves either the old set or the new file complete. Layout (big-endian):
 *
 * <pre>
 * file   := magic:u32 = 0x5253534E ("RSSN")  version:u32 = 1  length:u64  head:32 bytes
 *           metaLen:u32  meta:byte[metaLen]  dataLen:u64  data:byte[dataLen]
 *           sha256:32 bytes over everything before it
 * </pre>
 *
 * {@code meta} is the log layer's (membership, boundaries); {@code data} the state machine's. The
 * whole file is what a node streams to a peer that needs it; the receiver verifies the trailing
 * SHA-256 before it installs anything.
 */
public final class SnapshotStore {
  private static final int MAGIC = 0x5253534E;
  private static final int VERSION = 1;
  private static final int FIXED = 4 + 4 + 8 + 32;
  private static final Pattern NAME = Pattern.compile("snap-(\\d{20})\\.snap");

  /** A verified snapshot read from disk. */
  public record Snapshot(long length, byte[] head, byte[] meta, byte[] data, Path file) {}

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

  /** Encodes a snapshot file's bytes (also what is streamed to peers). */
  public static byte[] encode(long length, byte[] head, byte[] meta, byte[] data) {
    if (head.length != 32) {
      throw new IllegalArgumentException("head is 32 bytes");
    }
    ByteBuffer b = ByteBuffer.allocate(FIXED + 4 + meta.length + 8 + data.length + 32);
    b.putInt(MAGIC).putInt(VERSION).putLong(length).put(head);
    b.putInt(meta.length).put(meta).putLong(data.length).put(data);
    b.put(sha256(b.array(), b.position()));
    return b.array();
  }

  /** Decodes and verifies snapshot bytes; {@code source} names them in errors. */
  public static Snapshot decode(byte[] bytes, Path source) {
    String where = String.valueOf(source);
    if (bytes.length < FIXED + 4 + 8 + 32) {
      throw new WalCorruptException(source, 0, "snapshot " + where + " is truncated");
    }
    byte[] digest = Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length);
    if (!Arrays.equals(digest, sha256(bytes, bytes.length - 32))) {
      throw new WalCorruptException(source, bytes.length - 32, "snapshot checksum mismatch");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 0, bytes.length - 32);
    if (b.getInt() != MAGIC || b.getInt() != VERSION) {
      throw new WalCorruptException(source, 0, "not a version-1 raftsimple snapshot");
    }
    long length = b.getLong();
    byte[] head = new byte[32];
    b.get(head);
    int metaLen = b.getInt();
    if (metaLen < 0 || metaLen > b.remaining() - 8) {
      throw new WalCorruptException(source, FIXED, "bad metadata length " + metaLen);
    }
    byte[] meta = new byte[metaLen];
    b.get(meta);
    long dataLen = b.getLong();
    if (dataLen != b.remaining()) {
      throw new WalCorruptException(source, b.position() - 8, "bad data length " + dataLen);
    }
    byte[] data = new byte[(int) dataLen];
    b.get(data);
    return new Snapshot(length, head, meta, data, source);
  }

  /** How much of a snapshot file is written between two fsyncs. */
  static final int WRITE_SLICE_BYTES = 4 << 20;

  /** Writes a snapshot durably and returns its file. */
  public Path write(long length, byte[] head, byte[] meta, byte[] data) {
    return install(length, encode(length, head, meta, data));
  }

  /**
   * Makes {@code bytes} (a whole snapshot file, e.g. received from a peer) the snapshot at
   * {@code length}, after verifying it.
   */
  public Path install(long length, byte[] bytes) {
    Snapshot s = decode(bytes, dir.resolve("(incoming)"));
    if (s.length() != length) {
      throw new WalCorruptException(dir, 0, "snapshot says length " + s.length() + ", expected " + length);
    }
    Path target = dir.resolve(name(length));
    Path tmp = dir.resolve(name(length) + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        // In slices, each made durable before the next: a snapshot is tens of MB, and one fsync of
        // all of it at the end made the WAL's small fsyncs queue behind it on the same disk (p99 of
        // writes during a snapshot, bench/catchup.sh). Bounded dirty data keeps them short.
        for (int at = 0; at < bytes.length; at += WRITE_SLICE_BYTES) {
          ByteBuffer buf = ByteBuffer.wrap(bytes, at, Math.min(WRITE_SLICE_BYTES, bytes.length - at));
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          ch.force(false);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("writing snapshot " + target + " failed", e);
    }
  }

  /** The newest snapshot, verified; a corrupt newest snapshot is an error, never skipped. */
  public Optional<Snapshot> latest() {
    List<Long> all = lengths();
    if (all.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(read(all.get(all.size() - 1)));
  }

  public Snapshot read(long length) {
    Path file = dir.resolve(name(length));
    try {
      return decode(Files.readAllBytes(file), file);
    } catch (IOException e) {
      throw new UncheckedIOException("reading snapshot " + file + " failed", e);
    }
  }

  /** The raw file bytes of the snapshot at {@code length}, for streaming to a peer. */
  public byte[] bytes(long length) {
    try {
      return Files.readAllBytes(dir.resolve(name(length)));
    } catch (IOException e) {
      throw new UncheckedIOException("reading snapshot " + length + " failed", e);
    }
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
        Files.deleteIfExists(dir.resolve(name(all.get(i))));
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

  private static byte[] sha256(byte[] data, int len) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data, 0, len);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
