package raftsimple.storage;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Reads, verifies and rewrites snapshot files (the format of {@link SnapshotStore}) as streams, for
 * backups ({@code raftsimplectl snapshot save / restore}): a file of any size is checked and copied
 * in fixed memory, never read whole. This is the one place outside {@link SnapshotStore} that
 * knows the layout; a change to it belongs in both.
 */
public final class SnapshotFile {
  private static final int MAGIC = 0x5253534E;
  private static final int VERSION = 1;
  /** meta is the log layer's JSON (membership): far smaller than this. */
  static final int META_BYTES_MAX = 64 << 20;
  private static final int COPY_BYTES = 1 << 16;

  /** What a verified file holds besides the state: its length, head, metadata and sizes. */
  public record Header(long length, byte[] head, byte[] meta, long dataBytes, long fileBytes) {}

  private SnapshotFile() {}

  /**
   * Reads {@code file} through once: header, metadata, then the state, checking the trailing
   * SHA-256 over everything before it. {@code progress} gets the bytes read so far (every 64 KiB).
   *
   * @throws WalCorruptException naming the file when it is not a complete, intact snapshot
   */
  public static Header verify(Path file, LongConsumer progress) throws IOException {
    try (InputStream raw = Files.newInputStream(file)) {
      return copy(file, raw, null, null, progress);
    }
  }

  /**
   * Writes a copy of snapshot {@code source} with its metadata replaced by {@code newMeta} (a new
   * checksum over the new bytes) into {@code dir}, under the name {@link SnapshotStore} gives its
   * length: written to a temporary file, fsynced, renamed, directory fsynced. The source is
   * verified on the way; if it is not intact, nothing is left in {@code dir}.
   *
   * @return the header of the file written (its {@code meta} is {@code newMeta})
   */
  public static Header rewrite(Path source, byte[] newMeta, Path dir, LongConsumer progress)
      throws IOException {
    Files.createDirectories(dir);
    Path tmp = dir.resolve("restore.snap.tmp");
    Header written;
    try (InputStream in = Files.newInputStream(source);
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream out = Channels.newOutputStream(ch);
      Header h = copy(source, in, out, newMeta, progress);
      out.flush();
      ch.force(true);
      written = new Header(h.length(), h.head(), newMeta, h.dataBytes(), ch.size());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Path target = dir.resolve(SnapshotStore.name(written.length()));
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
    return written;
  }

  /**
   * Reads a snapshot from {@code raw} and verifies it; with {@code out}, writes it there too, with
   * {@code newMeta} in place of its metadata and a checksum of what was written.
   */
  private static Header copy(Path source, InputStream raw, OutputStream out, byte[] newMeta,
      LongConsumer progress) throws IOException {
    MessageDigest inDigest = sha256();
    MessageDigest outDigest = sha256();
    DataInputStream in = new DataInputStream(
        new DigestInputStream(new BufferedInputStream(raw, COPY_BYTES), inDigest));
    long offset = 0;
    try {
      if (in.readInt() != MAGIC || in.readInt() != VERSION) {
        throw new WalCorruptException(source, 0, "not a version-1 raftsimple snapshot");
      }
      long length = in.readLong();
      byte[] head = new byte[32];
      in.readFully(head);
      int metaLen = in.readInt();
      offset = 52;
      if (length < 0 || metaLen < 0 || metaLen > META_BYTES_MAX) {
        throw new WalCorruptException(source, 16, "bad length " + length + " or metadata length " + metaLen);
      }
      byte[] meta = new byte[metaLen];
      in.readFully(meta);
      long dataLen = in.readLong();
      offset += metaLen + 8;
      if (dataLen < 0) {
        throw new WalCorruptException(source, offset - 8, "bad data length " + dataLen);
      }
      byte[] metaOut = newMeta == null ? meta : newMeta;
      ByteBuffer fixed = ByteBuffer.allocate(52 + metaOut.length + 8);
      fixed.putInt(MAGIC).putInt(VERSION).putLong(length).put(head).putInt(metaOut.length)
          .put(metaOut).putLong(dataLen);
      write(out, outDigest, fixed.array(), fixed.position());
      byte[] buf = new byte[COPY_BYTES];
      for (long left = dataLen; left > 0; ) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          throw new EOFException();
        }
        write(out, outDigest, buf, n);
        left -= n;
        offset += n;
        progress.accept(offset);
      }
      byte[] expected = inDigest.digest();
      byte[] trailer = new byte[32];
      in.readFully(trailer); // through the digest stream too, but after digest() was taken
      if (!Arrays.equals(expected, trailer)) {
        throw new WalCorruptException(source, offset, "snapshot checksum mismatch: the file is damaged");
      }
      if (in.read() >= 0) {
        throw new WalCorruptException(source, offset + 32, "bytes after the checksum");
      }
      write(out, null, outDigest.digest(), 32);
      return new Header(length, head, meta, dataLen, offset + 32);
    } catch (EOFException e) {
      throw new WalCorruptException(source, offset, "snapshot is truncated");
    }
  }

  private static void write(OutputStream out, MessageDigest digest, byte[] b, int n)
      throws IOException {
    if (digest != null) {
      digest.update(b, 0, n);
    }
    if (out != null) {
      out.write(b, 0, n);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
