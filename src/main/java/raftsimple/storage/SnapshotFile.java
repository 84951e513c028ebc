package raftsimple.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * One snapshot file on disk, read and checked without loading its state into memory: the public
 * reader and verifier of the format {@link SnapshotStore} writes (docs/PROTOCOL.md §12). Layout,
 * big-endian:
 *
 * <pre>
 * version 2 (written)  := header  data:byte[dataLen]  dataLen:u64  sha256:32
 * version 1 (read)     := header  dataLen:u64  data:byte[dataLen]  sha256:32
 * header               := magic:u32 = 0x5253534E ("RSSN")  version:u32  length:u64  head:32 bytes
 *                         metaLen:u32  meta:byte[metaLen]
 * </pre>
 *
 * The SHA-256 covers every byte before it. {@code meta} is the log layer's (the membership at
 * {@code length}, as {@code log/MembershipJson}); {@code data} the state machine layer's (its own
 * versioned layout, {@code statemachine/AppliedStateSnapshot}). Version 2 puts {@code dataLen}
 * after the data so that the state can be streamed straight into the file, its size unknown until
 * it is written; a reader knows where the data ends from the file's size and checks that the
 * trailer agrees.
 *
 * <p>{@link #open} reads the header and trailer and checks that they fit together (so a truncated
 * or foreign file is refused at once); {@link #verify} reads the whole file through SHA-256;
 * {@link #openState} streams the data section. Blocking: call from a worker thread. Errors are
 * {@link WalCorruptException}s naming the file and the offset.
 */
public final class SnapshotFile {
  static final int MAGIC = 0x5253534E;
  static final int VERSION = 2;
  /** magic, version, length, head. */
  static final int FIXED = 4 + 4 + 8 + 32;
  static final int DIGEST_BYTES = 32;
  /** The largest metadata section accepted (a membership is a few hundred bytes). */
  static final int META_BYTES_MAX = 16 << 20;
  private static final int READ_BUFFER_BYTES = 256 << 10;

  private final Path file;
  private final int version;
  private final long length;
  private final byte[] head;
  private final byte[] meta;
  private final long dataOffset;
  private final long dataLength;
  private final long size;

  private SnapshotFile(Path file, int version, long length, byte[] head, byte[] meta, long dataOffset,
      long dataLength, long size) {
    this.file = file;
    this.version = version;
    this.length = length;
    this.head = head;
    this.meta = meta;
    this.dataOffset = dataOffset;
    this.dataLength = dataLength;
    this.size = size;
  }

  /**
   * Reads the header and trailer of {@code file} and checks their consistency (not the checksum:
   * {@link #verify}).
   *
   * @throws WalCorruptException when the file is not a snapshot, is truncated or inconsistent
   * @throws UncheckedIOException when it cannot be read
   */
  public static SnapshotFile open(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < FIXED + 4 + 8 + DIGEST_BYTES) {
        throw new WalCorruptException(file, 0, "snapshot is truncated (" + size + " bytes)");
      }
      ByteBuffer fixed = readFully(ch, 0, FIXED + 4, file);
      Header h = Header.parse(fixed, file);
      long metaEnd = FIXED + 4L + h.metaLength;
      if (metaEnd + 8 + DIGEST_BYTES > size) {
        throw new WalCorruptException(file, FIXED, "bad metadata length " + h.metaLength);
      }
      byte[] meta = new byte[h.metaLength];
      readFully(ch, FIXED + 4, h.metaLength, file).get(meta);
      long dataOffset;
      long dataLength;
      if (h.version == 1) {
        dataLength = readFully(ch, metaEnd, 8, file).getLong();
        dataOffset = metaEnd + 8;
        if (dataLength != size - dataOffset - DIGEST_BYTES) {
          throw new WalCorruptException(file, metaEnd, "bad data length " + dataLength);
        }
      } else {
        dataOffset = metaEnd;
        dataLength = readFully(ch, size - DIGEST_BYTES - 8, 8, file).getLong();
        if (dataLength != size - dataOffset - 8 - DIGEST_BYTES) {
          throw new WalCorruptException(file, size - DIGEST_BYTES - 8, "bad data length " + dataLength
              + " (the file has room for " + (size - dataOffset - 8 - DIGEST_BYTES) + ")");
        }
      }
      return new SnapshotFile(file, h.version, h.length, h.head, meta, dataOffset, dataLength, size);
    } catch (IOException e) {
      throw new UncheckedIOException("reading snapshot " + file + " failed", e);
    }
  }

  /**
   * Reads the whole file through SHA-256 and compares the trailer; returns {@code this}.
   *
   * @throws WalCorruptException on a mismatch (any byte changed)
   */
  public SnapshotFile verify() {
    return verify(bytes -> { });
  }

  /**
   * {@link #verify()}, telling {@code progress} the bytes read so far after every buffer (for a
   * long check's progress output).
   */
  public SnapshotFile verify(java.util.function.LongConsumer progress) {
    MessageDigest md = SnapshotStore.sha256();
    byte[] expected = new byte[DIGEST_BYTES];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER_BYTES);
      long covered = size - DIGEST_BYTES;
      long at = 0;
      while (at < covered) {
        buf.clear().limit((int) Math.min(buf.capacity(), covered - at));
        int n = ch.read(buf, at);
        if (n < 0) {
          throw new WalCorruptException(file, at, "snapshot shrank while it was read");
        }
        md.update(buf.array(), 0, n);
        at += n;
        progress.accept(at);
      }
      readFully(ch, covered, DIGEST_BYTES, file).get(expected);
    } catch (IOException e) {
      throw new UncheckedIOException("reading snapshot " + file + " failed", e);
    }
    if (!Arrays.equals(expected, md.digest())) {
      throw new WalCorruptException(file, size - DIGEST_BYTES, "snapshot checksum mismatch");
    }
    return this;
  }

  /**
   * A stream of the data section (the state machine layer's bytes), buffered; the caller closes
   * it. It reads the file as it is consumed, so a state of any size costs a buffer, not its size.
   */
  public InputStream openState() throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    ch.position(dataOffset);
    InputStream whole = Channels.newInputStream(ch);
    return new BufferedInputStream(new BoundedInputStream(whole, dataLength), READ_BUFFER_BYTES);
  }

  public Path file() {
    return file;
  }

  /** The format version of this file (1 or 2). */
  public int version() {
    return version;
  }

  /** The log length the snapshot covers: the state after entries {@code 1..length}. */
  public long length() {
    return length;
  }

  /** The chain hash of entry {@code length} (32 bytes; zeros for an empty log). */
  public byte[] head() {
    return head.clone();
  }

  /** The log layer's metadata: the membership at {@code length} as JSON ({@code log/MembershipJson}). */
  public byte[] meta() {
    return meta.clone();
  }

  /** Size of the data section in bytes. */
  public long dataLength() {
    return dataLength;
  }

  /** Size of the whole file in bytes. */
  public long size() {
    return size;
  }

  /** The fixed part of a header: what {@link SnapshotFile} and an incoming stream both check. */
  record Header(int version, long length, byte[] head, int metaLength) {
    static final int BYTES = FIXED + 4;

    /** Parses {@link #BYTES} bytes from {@code b}'s position. */
    static Header parse(ByteBuffer b, Path source) {
      int magic = b.getInt();
      int version = b.getInt();
      if (magic != MAGIC || (version != 1 && version != VERSION)) {
        throw new WalCorruptException(source, 0, "not a raftsimple snapshot (version 1 or "
            + VERSION + ")");
      }
      long length = b.getLong();
      if (length < 0) {
        throw new WalCorruptException(source, 8, "negative length " + length);
      }
      byte[] head = new byte[32];
      b.get(head);
      int metaLength = b.getInt();
      if (metaLength < 0 || metaLength > META_BYTES_MAX) {
        throw new WalCorruptException(source, FIXED, "bad metadata length " + metaLength);
      }
      return new Header(version, length, head, metaLength);
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long at, int n, Path file) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        throw new WalCorruptException(file, at + b.position(), "snapshot is truncated");
      }
    }
    return b.flip();
  }

  /** At most {@code limit} bytes of {@code in}; closing it closes {@code in}. */
  static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long left;

    BoundedInputStream(InputStream in, long limit) {
      this.in = in;
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), left);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
