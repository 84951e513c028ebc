package raftsimple.e2e;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the framing of a stopped node's write-ahead log as storage/Wal.java documents it, to
 * damage it on purpose: {@code <dataDir>/wal/wal-<20 digits>.log}, a 16-byte header (magic "RSWL",
 * version, segment number), then frames {@code length:u32 crc:u32 record[length]} (big-endian). A
 * record starts with {@code version:u8 type:u8} (RecordCodec: 1 vote, 2 promise, 3 accept,
 * 4 commit, whose body starts with the entry count u32).
 */
final class WalFiles {
  static final int SEGMENT_HEADER = 16;
  static final int FRAME_HEADER = 8;
  static final int TYPE_COMMIT = 4;

  /** One frame: where it starts, its record's length, type and (for a commit) entry count. */
  record Frame(long offset, int length, int type, int entries) {
    long end() {
      return offset + FRAME_HEADER + length;
    }
  }

  private WalFiles() {}

  /** The segment files of a node's data directory, in order. */
  static List<Path> segments(Path dataDir) throws IOException {
    try (Stream<Path> s = Files.list(dataDir.resolve("wal"))) {
      return s.filter(p -> p.getFileName().toString().matches("wal-\\d{20}\\.log")).sorted().toList();
    }
  }

  static Path lastSegment(Path dataDir) throws IOException {
    List<Path> all = segments(dataDir);
    if (all.isEmpty()) {
      throw new AssertionError("no WAL segment in " + dataDir.resolve("wal"));
    }
    return all.get(all.size() - 1);
  }

  /** Every frame of an intact segment. */
  static List<Frame> frames(Path segment) throws IOException {
    byte[] bytes = Files.readAllBytes(segment);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (bytes.length < SEGMENT_HEADER || b.getInt(0) != 0x5253574C) {
      throw new AssertionError(segment + " does not start with the RSWL header");
    }
    List<Frame> frames = new ArrayList<>();
    long at = SEGMENT_HEADER;
    while (at < bytes.length) {
      if (at + FRAME_HEADER > bytes.length) {
        throw new AssertionError(segment + ": a partial frame header at " + at);
      }
      int length = b.getInt((int) at);
      long end = at + FRAME_HEADER + length;
      if (length < 2 || end > bytes.length) {
        throw new AssertionError(segment + ": a bad frame length " + length + " at " + at);
      }
      int recordAt = (int) at + FRAME_HEADER;
      int type = bytes[recordAt + 1];
      int entries = type == TYPE_COMMIT ? b.getInt(recordAt + 2) : 0;
      frames.add(new Frame(at, length, type, entries));
      at = end;
    }
    return frames;
  }

  /** Inverts one byte at {@code offset}. */
  static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      if (ch.read(one, offset) != 1) {
        throw new AssertionError("no byte at " + offset + " in " + file);
      }
      one.flip();
      one.put(0, (byte) ~one.get(0));
      ch.write(one, offset);
      ch.force(true);
    }
  }

  /** Cuts the file to {@code size} bytes. */
  static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
      ch.force(true);
    }
  }
}
