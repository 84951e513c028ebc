package raftsimple.storage;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Reads frames of one segment file for {@link Wal} replay, through a reusable 1 MiB window so that
 * replaying millions of small records costs one read syscall per MiB, not per record.
 *
 * <p>Every method checks lengths against the file size before reading or allocating, so a garbage
 * length can cost at most the 64 MiB record ceiling and never throws anything but {@link IOException}
 * for real I/O errors. Not thread-safe; one instance serves the segments of one replay in turn.
 */
final class SegmentReader {
  private static final int WINDOW_BYTES = 1 << 20;

  /**
   * What {@link #read} found at an offset: a record in {@code buf[offset, offset + length)}, or the
   * reason the frame there is bad. {@code buf} is usually the reader's window, valid only until the
   * next call; a record larger than the window gets an array of its own.
   */
  record Frame(byte[] buf, int offset, int length, long end, String problem) {
    boolean valid() {
      return problem == null;
    }
  }

  private final ByteBuffer window = ByteBuffer.allocate(WINDOW_BYTES);
  private final CRC32C crc = new CRC32C();
  private FileChannel ch;
  private long size;
  private long windowStart;
  private int windowLen;

  /** Points the reader at another file; {@code size} is its length at the time replay started. */
  void reset(FileChannel ch, long size) {
    this.ch = ch;
    this.size = size;
    this.windowStart = 0;
    this.windowLen = 0;
  }

  long size() {
    return size;
  }

  /** Copies {@code len} bytes at {@code pos} into {@code dst}; the caller checked the range. */
  void copy(long pos, byte[] dst, int off, int len) throws IOException {
    int done = 0;
    while (done < len) {
      int n = Math.min(WINDOW_BYTES, len - done);
      int at = fill(pos + done, n);
      System.arraycopy(window.array(), at, dst, off + done, n);
      done += n;
    }
  }

  /**
   * The frame starting at {@code pos}, fully checked (length bounds and CRC32C). The record is
   * checked and handed out where it lies in the window: replaying millions of small records
   * copies none of them.
   */
  Frame read(long pos) throws IOException {
    String bad = checkHeader(pos);
    if (bad != null) {
      return new Frame(null, 0, 0, pos, bad);
    }
    int len = window.getInt(fill(pos, Wal.FRAME_HEADER_BYTES));
    int storedCrc = window.getInt(fill(pos + 4, 4));
    long body = pos + Wal.FRAME_HEADER_BYTES;
    byte[] buf;
    int off;
    if (len <= WINDOW_BYTES) {
      buf = window.array();
      off = fill(body, len);
    } else {
      buf = new byte[len];
      off = 0;
      copy(body, buf, 0, len);
    }
    crc.reset();
    crc.update(buf, off, len);
    int computed = (int) crc.getValue();
    if (computed != storedCrc) {
      String why = String.format(
          "CRC32C mismatch in a %d-byte record: stored %08x, computed %08x", len, storedCrc, computed);
      return new Frame(null, 0, 0, pos, why);
    }
    return new Frame(buf, off, len, body + len, null);
  }

  /**
   * The offset of the first plausible frame (length in range, matching CRC32C) starting at or after
   * {@code from}, or -1. Slides one byte at a time and allocates nothing; only called after a bad
   * frame in the last segment, to tell a torn tail from corruption in the middle.
   */
  long findValidFrame(long from) throws IOException {
    for (long p = from; p + Wal.FRAME_HEADER_BYTES < size; p++) {
      if (checkHeader(p) != null) {
        continue;
      }
      int at = fill(p, Wal.FRAME_HEADER_BYTES);
      int len = window.getInt(at);
      int storedCrc = window.getInt(at + 4);
      if (crcOf(p + Wal.FRAME_HEADER_BYTES, len) == storedCrc) {
        return p;
      }
    }
    return -1;
  }

  /** Null when the frame header at {@code pos} is complete and its length fits; else the reason. */
  private String checkHeader(long pos) throws IOException {
    long left = size - pos;
    if (left < Wal.FRAME_HEADER_BYTES) {
      return "partial frame header: only " + left + " bytes before the end of the segment";
    }
    long len = window.getInt(fill(pos, 4)) & 0xFFFF_FFFFL;
    if (len == 0) {
      // Zero-length records are refused on append; here a zero length usually means zero-filled space.
      return "record length is 0";
    }
    if (len > Wal.MAX_RECORD_BYTES) {
      return "record length " + len + " exceeds the " + Wal.MAX_RECORD_BYTES + "-byte ceiling";
    }
    long bodyLeft = left - Wal.FRAME_HEADER_BYTES;
    if (len > bodyLeft) {
      return "record length " + len + " runs past the end of the segment (" + bodyLeft
          + " bytes remain)";
    }
    return null;
  }

  private int crcOf(long pos, int len) throws IOException {
    crc.reset();
    int done = 0;
    while (done < len) {
      int n = Math.min(WINDOW_BYTES, len - done);
      int at = fill(pos + done, n);
      crc.update(window.array(), at, n);
      done += n;
    }
    return (int) crc.getValue();
  }

  /**
   * Makes {@code [pos, pos + n)} (n ≤ window size, within the file) resident and returns its index in
   * the window array. Refills from {@code pos} when not already resident.
   */
  private int fill(long pos, int n) throws IOException {
    if (pos >= windowStart && pos + n <= windowStart + windowLen) {
      return (int) (pos - windowStart);
    }
    window.clear();
    int want = (int) Math.min(WINDOW_BYTES, size - pos);
    window.limit(want);
    while (window.hasRemaining()) {
      if (ch.read(window, pos + window.position()) < 0) {
        throw new EOFException("segment shrank while being replayed");
      }
    }
    windowStart = pos;
    windowLen = want;
    return 0;
  }
}
