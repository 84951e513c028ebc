package raftsimple.storage;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * An append-only, segmented write-ahead log of opaque records (the node writes {@link RecordCodec}
 * encodings). {@link #open} replays every record in order, then the log accepts {@link #append}s
 * that become durable at the next {@link #sync}.
 *
 * <p><b>Threading.</b> Not thread-safe and blocking: one owner thread (the log's worker, never a
 * Vert.x event loop) makes every call.
 *
 * <p><b>On disk.</b> Directory {@code dir} holds {@code wal-<20-digit segment number>.log} files with
 * consecutive numbers (the first may be above 1 after {@link #deleteSegmentsBefore}), plus the lock
 * file {@code wal.lock}. Integers are big-endian.
 *
 * <pre>
 * segment := header frame*
 * header  := magic:u32 = 0x5253574C ("RSWL")  version:u32 = 1  segmentNumber:u64   (16 bytes)
 * frame   := length:u32 (1 .. 64 MiB)  crc:u32 = CRC32C(record)  record:byte[length]
 * </pre>
 *
 * <p><b>Invariants.</b> (1) Every segment except the last is complete and durable: before the log
 * moves to a new segment it forces the old one, so a crash can only tear the end of the last one.
 * (2) A segment's header is durable before any frame is written after it. (3) A segment holds at most
 * {@code segmentBytes} unless it holds a single larger record: rolls happen only between records.
 * (4) Replay never silently drops a record: anything bad that is not a torn tail of the last segment
 * is a {@link WalCorruptException}.
 *
 * <p><b>Torn tail.</b> A bad frame in the last segment (partial header, length past the end, zero
 * fill, CRC mismatch) with no valid frame anywhere after it is what a crash mid-write leaves; replay
 * truncates the file where that frame starts, logs a WARNING, fsyncs, and appends from there. Those
 * bytes were never covered by a completed {@link #sync}, so no caller was told they were durable.
 *
 * <p><b>Failure.</b> After an I/O error in {@link #append} or {@link #sync} the log refuses further
 * use: after a failed fsync the kernel may have dropped the dirty pages and a retry would "succeed"
 * without them (PostgreSQL's fsyncgate), so the only safe recovery is to restart and replay.
 */
public final class Wal implements Closeable {
  private static final System.Logger LOG = System.getLogger(Wal.class.getName());

  /** Largest record accepted by {@link #append} or replay. */
  public static final int MAX_RECORD_BYTES = 64 << 20;

  static final int MAGIC = 0x5253574C;
  static final int FORMAT_VERSION = 1;
  static final int SEGMENT_HEADER_BYTES = 16;
  static final int FRAME_HEADER_BYTES = 8;
  static final String LOCK_FILE = "wal.lock";

  private static final Pattern SEGMENT_NAME = Pattern.compile("wal-(\\d{20})\\.log");
  private static final int WRITE_BUFFER_BYTES = 1 << 20;

  /** Receives each replayed record, in log order; it owns the array. Exceptions propagate. */
  @FunctionalInterface
  public interface RecordVisitor {
    void visit(byte[] record);

    /** The same, told which segment the record is in (for callers that compact by segment). */
    default void visit(long segment, byte[] record) {
      visit(record);
    }

    /**
     * The record in {@code buf[offset, offset + length)}, in segment {@code segment}: the WAL's
     * read buffer, valid only during this call (replay calls this one; decoders that copy what
     * they keep override it and save a copy per record). By default, a copy goes to
     * {@link #visit(long, byte[])}.
     */
    default void visit(long segment, byte[] buf, int offset, int length) {
      visit(segment, Arrays.copyOfRange(buf, offset, offset + length));
    }
  }

  /** Where replay cut the last segment and why. */
  public record TornTail(Path file, long offset, long droppedBytes, String reason) {}

  /**
   * What {@link #open} replayed: record count, their total size (excluding frames and headers), the
   * number of segments read, and the torn tail it truncated, or null when the log ended cleanly.
   */
  public record ReplayStats(long records, long recordBytes, int segments, TornTail tornTail) {
    public boolean truncated() {
      return tornTail != null;
    }
  }

  private final Path dir;
  private final long segmentBytes;
  /** Holds the directory's {@code wal.lock}; the lock lives exactly as long as this channel. */
  private final FileChannel lockChannel;
  /** Numbers of the segments on disk, ascending and consecutive; the last one is {@link #current}. */
  private final ArrayDeque<Long> segmentNumbers;

  private final ReplayStats replayStats;
  private final CRC32C crc = new CRC32C();
  /** Frames are assembled here so a batch usually costs one write syscall; direct, so no JDK copy. */
  private final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);

  private FileChannel current;
  /** Size of the current segment including frames still in {@link #writeBuffer}. */
  private long currentSize;

  private Exception failure;
  private boolean closed;

  private Wal(Path dir, long segmentBytes, FileChannel lockChannel,
      ArrayDeque<Long> segmentNumbers, FileChannel current, long currentSize,
      ReplayStats replayStats) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.lockChannel = lockChannel;
    this.segmentNumbers = segmentNumbers;
    this.current = current;
    this.currentSize = currentSize;
    this.replayStats = replayStats;
  }

  // ---------------------------------------------------------------- open and replay

  /**
   * Creates {@code dir} if needed, takes its lock, replays every record to {@code visitor} in order,
   * truncates a torn tail, and returns the log positioned for appending.
   *
   * @param segmentBytes size after which appends move to a new segment
   * @throws WalCorruptException when the log is damaged beyond a torn tail
   * @throws IllegalStateException when another process (or another {@code Wal}) holds the directory
   */
  public static Wal open(Path dir, long segmentBytes, RecordVisitor visitor) throws IOException {
    if (segmentBytes <= SEGMENT_HEADER_BYTES + FRAME_HEADER_BYTES) {
      throw new IllegalArgumentException("segmentBytes too small: " + segmentBytes);
    }
    Files.createDirectories(dir);
    FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException sameJvm) {
        lock = null;
      }
      if (lock == null) {
        throw new IllegalStateException("WAL directory " + dir
            + " is locked by another process or another open Wal");
      }
      return replay(dir, segmentBytes, visitor, lockChannel);
    } catch (IOException | RuntimeException | Error e) {
      lockChannel.close();
      throw e;
    }
  }

  private static Wal replay(Path dir, long segmentBytes, RecordVisitor visitor,
      FileChannel lockChannel) throws IOException {
    ArrayDeque<Long> numbers = listSegments(dir);
    if (numbers.isEmpty()) {
      numbers.add(1L);
      FileChannel ch = createSegment(dir, 1L);
      return new Wal(dir, segmentBytes, lockChannel, numbers, ch, SEGMENT_HEADER_BYTES,
          new ReplayStats(0, 0, 0, null));
    }
    Replay r = new Replay(dir, visitor);
    long last = numbers.getLast();
    for (long n : numbers) {
      if (n != last) {
        r.sealed(n);
      }
    }
    FileChannel ch = r.last(last);
    ReplayStats stats = new ReplayStats(r.records, r.recordBytes, numbers.size(), r.tornTail);
    return new Wal(dir, segmentBytes, lockChannel, numbers, ch, r.lastSize, stats);
  }

  /** Segment numbers in {@code dir}, ascending; a gap or a malformed segment name is corruption. */
  private static ArrayDeque<Long> listSegments(Path dir) throws IOException {
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "wal-*.log")) {
      for (Path p : ds) {
        found.add(parseSegmentNumber(p));
      }
    }
    found.sort(null);
    ArrayDeque<Long> numbers = new ArrayDeque<>(found);
    long prev = -1;
    for (long n : found) {
      if (prev >= 0 && n != prev + 1) {
        throw new WalCorruptException(segmentPath(dir, n), 0,
            "segment " + (prev + 1) + (n - 1 > prev + 1 ? " to " + (n - 1) : "")
                + " missing: the previous segment is " + prev);
      }
      prev = n;
    }
    return numbers;
  }

  private static long parseSegmentNumber(Path p) {
    Matcher m = SEGMENT_NAME.matcher(p.getFileName().toString());
    long n = -1;
    if (m.matches()) {
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException tooLarge) {
        n = -1;
      }
    }
    if (n < 1) {
      // Refuse rather than skip: a renamed segment would otherwise vanish from the log unnoticed.
      throw new WalCorruptException(p, 0,
          "unexpected file name: segments are named wal-<20 digits, at least 1>.log");
    }
    return n;
  }

  static Path segmentPath(Path dir, long number) {
    return dir.resolve(String.format("wal-%020d.log", number));
  }

  static byte[] segmentHeader(long number) {
    return ByteBuffer.allocate(SEGMENT_HEADER_BYTES)
        .putInt(MAGIC)
        .putInt(FORMAT_VERSION)
        .putLong(number)
        .array();
  }

  /**
   * Creates segment {@code number} with its header forced to disk, and makes its name durable
   * (invariant 2: a record's bytes never reach a file whose header might not).
   */
  private static FileChannel createSegment(Path dir, long number) throws IOException {
    FileChannel ch = FileChannel.open(segmentPath(dir, number),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      writeFully(ch, ByteBuffer.wrap(segmentHeader(number)));
      ch.force(true);
      fsyncDirectory(dir);
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** A new or deleted file name is durable only once its directory is fsynced (Linux, ext4/xfs). */
  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** One replay pass over the segments, accumulating statistics. */
  private static final class Replay {
    private final Path dir;
    private final RecordVisitor visitor;
    /** The segment being replayed. */
    private long segment;
    private final SegmentReader reader = new SegmentReader();
    long records;
    long recordBytes;
    long lastSize;
    TornTail tornTail;

    Replay(Path dir, RecordVisitor visitor) {
      this.dir = dir;
      this.visitor = visitor;
    }

    /** A segment that is not the last: it must be perfect. */
    void sealed(long number) throws IOException {
      segment = number;
      Path file = segmentPath(dir, number);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        reader.reset(ch, ch.size());
        String bad = checkHeader(number);
        if (bad != null) {
          throw new WalCorruptException(file, 0, bad);
        }
        long pos = SEGMENT_HEADER_BYTES;
        while (pos < reader.size()) {
          SegmentReader.Frame f = reader.read(pos);
          if (!f.valid()) {
            throw new WalCorruptException(file, pos, f.problem() + " (in a segment that is not the last)");
          }
          deliver(f);
          pos = f.end();
        }
      }
    }

    /** The last segment: replays it, truncates a torn tail, returns it open at its end. */
    FileChannel last(long number) throws IOException {
      Path file = segmentPath(dir, number);
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        reader.reset(ch, ch.size());
        lastSize = replayLast(file, number, ch);
        ch.position(lastSize);
        return ch;
      } catch (IOException | RuntimeException | Error e) {
        ch.close();
        throw e;
      }
    }

    private long replayLast(Path file, long number, FileChannel ch) throws IOException {
      segment = number;
      String bad = checkHeader(number);
      if (bad != null) {
        if (!neverSynced(number)) {
          throw new WalCorruptException(file, 0, bad);
        }
        // Crash between creating the file and forcing its header: nothing in it was ever durable.
        truncate(file, ch, 0, "incomplete segment header: " + bad);
        writeFully(ch.position(0), ByteBuffer.wrap(segmentHeader(number)));
        ch.force(true);
        return SEGMENT_HEADER_BYTES;
      }
      long pos = SEGMENT_HEADER_BYTES;
      while (pos < reader.size()) {
        SegmentReader.Frame f = reader.read(pos);
        if (!f.valid()) {
          long later = reader.findValidFrame(pos + 1);
          if (later >= 0) {
            throw new WalCorruptException(file, pos,
                f.problem() + ", but a valid frame starts later at offset " + later
                    + ", so this is not a torn tail");
          }
          truncate(file, ch, pos, f.problem());
          return pos;
        }
        deliver(f);
        pos = f.end();
      }
      return pos;
    }

    private void deliver(SegmentReader.Frame f) {
      records++;
      recordBytes += f.length();
      visitor.visit(segment, f.buf(), f.offset(), f.length());
    }

    /** Null when the header is exactly right for segment {@code number}; else what is wrong. */
    private String checkHeader(long number) throws IOException {
      if (reader.size() < SEGMENT_HEADER_BYTES) {
        return "segment is " + reader.size() + " bytes, shorter than its 16-byte header";
      }
      byte[] h = new byte[SEGMENT_HEADER_BYTES];
      reader.copy(0, h, 0, SEGMENT_HEADER_BYTES);
      ByteBuffer b = ByteBuffer.wrap(h);
      int magic = b.getInt();
      int version = b.getInt();
      long named = b.getLong();
      if (magic != MAGIC) {
        return String.format("bad segment magic %08x, expected %08x", magic, MAGIC);
      }
      if (version != FORMAT_VERSION) {
        return "unsupported segment format version " + version + " (this build reads 1)";
      }
      if (named != number) {
        return "header says segment " + named + " but the file name says " + number;
      }
      return null;
    }

    /**
     * True when the last segment's bytes are a strict prefix of its header or all zeros: the header
     * was never forced, so (invariant 2) no record in the file was either.
     */
    private boolean neverSynced(long number) throws IOException {
      long size = reader.size();
      byte[] expected = segmentHeader(number);
      if (size < SEGMENT_HEADER_BYTES) {
        byte[] h = new byte[(int) size];
        reader.copy(0, h, 0, h.length);
        if (Arrays.equals(h, Arrays.copyOf(expected, h.length))) {
          return true;
        }
      }
      byte[] chunk = new byte[64 * 1024];
      for (long p = 0; p < size; p += chunk.length) {
        int n = (int) Math.min(chunk.length, size - p);
        reader.copy(p, chunk, 0, n);
        for (int i = 0; i < n; i++) {
          if (chunk[i] != 0) {
            return false;
          }
        }
      }
      return true;
    }

    private void truncate(Path file, FileChannel ch, long offset, String reason) throws IOException {
      long dropped = reader.size() - offset;
      LOG.log(Level.WARNING, "WAL torn tail: truncating " + file + " at byte offset " + offset
          + " (" + dropped + " bytes dropped): " + reason);
      ch.truncate(offset);
      ch.force(true); // the new size is metadata
      tornTail = new TornTail(file, offset, dropped, reason);
    }
  }

  // ---------------------------------------------------------------- append, sync, compaction

  /**
   * Writes {@code records} as frames after the last record, moving to a new segment between records
   * when the current one would grow past {@code segmentBytes}. The records are durable only after the
   * next {@link #sync}. Each record must be 1 .. {@link #MAX_RECORD_BYTES} bytes
   * (IllegalArgumentException, and nothing is written); empty records are refused because zero-filled
   * space would read back as valid empty frames.
   */
  public void append(List<byte[]> records) throws IOException {
    ensureUsable();
    for (byte[] r : records) {
      if (r == null || r.length == 0 || r.length > MAX_RECORD_BYTES) {
        throw new IllegalArgumentException("a WAL record is 1.." + MAX_RECORD_BYTES
            + " bytes, got " + (r == null ? "null" : r.length + " bytes"));
      }
    }
    try {
      for (byte[] r : records) {
        if (currentSize > SEGMENT_HEADER_BYTES
            && currentSize + FRAME_HEADER_BYTES + r.length > segmentBytes) {
          roll();
        }
        putFrame(r);
      }
      flush();
    } catch (IOException | RuntimeException e) {
      failure = e;
      throw e;
    }
  }

  /**
   * Forces the current segment's data to disk ({@code fdatasync}) and returns how long that took, in
   * nanoseconds. Earlier segments were forced when the log moved past them.
   */
  public long sync() throws IOException {
    ensureUsable();
    long start = System.nanoTime();
    try {
      current.force(false);
    } catch (IOException | RuntimeException e) {
      failure = e;
      throw e;
    }
    return System.nanoTime() - start;
  }

  /** The number of the segment appends go to; segments below it are complete. */
  public long currentSegment() {
    return segmentNumbers.getLast();
  }

  /** The segment files on disk, oldest first. */
  public List<Path> segments() {
    List<Path> paths = new ArrayList<>(segmentNumbers.size());
    for (long n : segmentNumbers) {
      paths.add(segmentPath(dir, n));
    }
    return paths;
  }

  /**
   * Deletes every segment numbered below {@code segmentNumber}, oldest first (so a crash midway still
   * leaves consecutive numbers). The caller must have made their content durable elsewhere (a
   * snapshot); replay then starts at the oldest remaining segment.
   */
  public void deleteSegmentsBefore(long segmentNumber) throws IOException {
    ensureUsable();
    if (segmentNumber > currentSegment()) {
      throw new IllegalArgumentException("cannot delete the current segment " + currentSegment()
          + " (asked to delete below " + segmentNumber + ")");
    }
    boolean deleted = false;
    while (segmentNumbers.getFirst() < segmentNumber) {
      Files.delete(segmentPath(dir, segmentNumbers.getFirst()));
      segmentNumbers.removeFirst();
      deleted = true;
    }
    if (deleted) {
      fsyncDirectory(dir);
    }
  }

  /** What {@link #open} found while replaying. */
  public ReplayStats replayStats() {
    return replayStats;
  }

  public Path directory() {
    return dir;
  }

  /** Forces pending data (unless the log already failed), then releases the files and the lock. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (failure == null) {
        current.force(false);
      }
    } finally {
      try {
        current.close();
      } finally {
        lockChannel.close(); // also releases the lock
      }
    }
  }

  private void putFrame(byte[] r) throws IOException {
    if (writeBuffer.remaining() < FRAME_HEADER_BYTES) {
      flush();
    }
    crc.reset();
    crc.update(r, 0, r.length);
    writeBuffer.putInt(r.length).putInt((int) crc.getValue());
    int done = 0;
    while (done < r.length) {
      if (!writeBuffer.hasRemaining()) {
        flush();
      }
      int n = Math.min(writeBuffer.remaining(), r.length - done);
      writeBuffer.put(r, done, n);
      done += n;
    }
    currentSize += FRAME_HEADER_BYTES + r.length;
  }

  private void flush() throws IOException {
    writeBuffer.flip();
    writeFully(current, writeBuffer);
    writeBuffer.clear();
  }

  /** Invariant 1: the old segment is durable before the first byte goes to the new one. */
  private void roll() throws IOException {
    flush();
    current.force(false);
    current.close();
    long next = currentSegment() + 1;
    current = createSegment(dir, next);
    segmentNumbers.addLast(next);
    currentSize = SEGMENT_HEADER_BYTES;
  }

  private void ensureUsable() {
    if (closed) {
      throw new IllegalStateException("WAL " + dir + " is closed");
    }
    if (failure != null) {
      throw new IllegalStateException(
          "WAL " + dir + " failed earlier; restart the node to replay it", failure);
    }
  }
}
