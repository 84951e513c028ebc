package raftsimple.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import raftsimple.core.msg.DurableRecord;

class WalTest {
  private static final long SEG = 1024;

  @TempDir Path tmp;

  /** A log dir that does not exist yet, two levels deep. */
  private Path dir() {
    return tmp.resolve("data").resolve("wal");
  }

  private record Opened(List<byte[]> records, Wal.ReplayStats stats) {}

  private Opened reopen() throws IOException {
    List<byte[]> seen = new ArrayList<>();
    try (Wal wal = Wal.open(dir(), SEG, seen::add)) {
      return new Opened(seen, wal.replayStats());
    }
  }

  /** Writes records in batches of 1..7 until there are at least 3 segments and 4 frames in the last. */
  private List<byte[]> populate() throws IOException {
    SplittableRandom rnd = new SplittableRandom(42);
    List<byte[]> written = new ArrayList<>();
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      while (wal.segments().size() < 3 || frameOffsets(last(wal.segments())).size() < 4) {
        List<byte[]> batch = new ArrayList<>();
        int n = 1 + rnd.nextInt(7);
        for (int i = 0; i < n; i++) {
          batch.add(Fixtures.raw(written.size() + i, rnd));
        }
        wal.append(batch);
        written.addAll(batch);
      }
      wal.sync();
    }
    return written;
  }

  /** Offsets of the frames in a well-formed segment, parsed independently of the Wal code. */
  private static List<Long> frameOffsets(Path segment) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(segment));
    List<Long> out = new ArrayList<>();
    int pos = Wal.SEGMENT_HEADER_BYTES;
    while (pos + 8 <= b.limit()) {
      out.add((long) pos);
      pos += 8 + b.getInt(pos);
    }
    return out;
  }

  /** The segment files, sorted (names are zero-padded, so by number). */
  private List<Path> logFiles() throws IOException {
    try (var files = Files.list(dir())) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
    }
  }

  private static int lengthAt(Path segment, long offset) throws IOException {
    return ByteBuffer.wrap(Files.readAllBytes(segment)).getInt((int) offset);
  }

  private static <T> T last(List<T> list) {
    return list.get(list.size() - 1);
  }

  private static void assertSameRecords(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size(), "record count");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "record " + i);
    }
  }

  private static void flipByte(Path file, long offset) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[(int) offset] ^= (byte) 0x5A;
    Files.write(file, b);
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  private static void appendBytes(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes, StandardOpenOption.APPEND);
  }

  // ---------------------------------------------------------------- basics

  @Test
  void open_missingDirectory_createsItWithOneEmptySegment() throws IOException {
    try (Wal wal = Wal.open(dir(), SEG, r -> { throw new AssertionError("no records expected"); })) {
      assertEquals(1, wal.currentSegment());
      assertEquals(List.of(dir().resolve("wal-00000000000000000001.log")), wal.segments());
      assertEquals(new Wal.ReplayStats(0, 0, 0, null), wal.replayStats());
    }
    assertEquals(Wal.SEGMENT_HEADER_BYTES, Files.size(dir().resolve("wal-00000000000000000001.log")));
    Opened again = reopen();
    assertTrue(again.records().isEmpty());
    assertEquals(1, again.stats().segments());
  }

  @Test
  void appendAndReopen_acrossSeveralSegments_replaysEverythingInOrder() throws IOException {
    List<byte[]> written = populate();
    Opened o = reopen();
    assertSameRecords(written, o.records());
    assertEquals(written.size(), o.stats().records());
    assertEquals(written.stream().mapToLong(r -> r.length).sum(), o.stats().recordBytes());
    assertFalse(o.stats().truncated());
    assertTrue(o.stats().segments() >= 3);

    // Appending after a reopen continues the same log.
    SplittableRandom rnd = new SplittableRandom(1);
    List<byte[]> more = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      more.add(Fixtures.raw(10_000 + i, rnd));
    }
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      wal.append(more);
      assertTrue(wal.sync() >= 0);
    }
    written.addAll(more);
    assertSameRecords(written, reopen().records());
  }

  @Test
  void segments_rollOnlyBetweenRecords_andStayUnderTheLimitUnlessSingleRecord() throws IOException {
    byte[] big = new byte[3000];
    Arrays.fill(big, (byte) 7);
    List<byte[]> written = new ArrayList<>();
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      SplittableRandom rnd = new SplittableRandom(3);
      for (int i = 0; i < 30; i++) {
        written.add(Fixtures.raw(i, rnd));
      }
      written.add(big);
      written.add(new byte[] {1});
      wal.append(written);
      List<Path> segs = wal.segments();
      for (int i = 0; i < segs.size(); i++) {
        assertEquals(Wal.segmentPath(dir(), i + 1), segs.get(i), "consecutive numbering");
        long size = Files.size(segs.get(i));
        int frames = frameOffsets(segs.get(i)).size();
        assertTrue(frames >= 1, "no empty sealed segment");
        assertTrue(size <= SEG || frames == 1, segs.get(i) + " is " + size + " bytes with " + frames + " frames");
      }
      long bigSegments = segs.stream().filter(p -> sizeOf(p) > SEG).count();
      assertEquals(1, bigSegments, "the 3000-byte record sits alone in one oversized segment");
      assertEquals(segs.size(), wal.currentSegment());
    }
    assertSameRecords(written, reopen().records());
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void append_refusesEmptyNullAndOversizedRecords_writingNothing() throws IOException {
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      Path seg = wal.segments().get(0);
      assertThrows(IllegalArgumentException.class, () -> wal.append(List.of(new byte[0])));
      assertThrows(IllegalArgumentException.class, () -> wal.append(Arrays.asList(new byte[] {1}, null)));
      assertThrows(IllegalArgumentException.class,
          () -> wal.append(List.of(new byte[] {1}, new byte[Wal.MAX_RECORD_BYTES + 1])));
      assertEquals(Wal.SEGMENT_HEADER_BYTES, Files.size(seg), "a refused batch writes nothing");
      wal.append(List.of(new byte[] {9}));
      assertEquals(Wal.SEGMENT_HEADER_BYTES + 9, Files.size(seg));
    }
  }

  @Test
  void durableRecords_throughCodecAndWal_replayEqual() throws IOException {
    List<DurableRecord> records = Fixtures.everyType();
    try (Wal wal = Wal.open(dir(), 4096, r -> { })) {
      wal.append(records.stream().map(RecordCodec::encode).toList());
      wal.sync();
    }
    List<DurableRecord> back = new ArrayList<>();
    try (Wal wal = Wal.open(dir(), 4096, b -> back.add(RecordCodec.decode(b)))) {
      assertEquals(records.size(), wal.replayStats().records());
    }
    assertEquals(records, back);
  }

  @Test
  void visitorException_propagates_andReleasesTheDirectory() throws IOException {
    populate();
    IllegalStateException boom = new IllegalStateException("replayed commit does not extend the chain");
    IllegalStateException thrown = assertThrows(IllegalStateException.class,
        () -> Wal.open(dir(), SEG, r -> { throw boom; }));
    assertSame(boom, thrown);
    assertFalse(reopen().records().isEmpty(), "lock released after the failed open");
  }

  @Test
  void secondOpenOfTheSameDirectory_isRefused() throws IOException {
    Wal wal = Wal.open(dir(), SEG, r -> { });
    try {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> Wal.open(dir(), SEG, r -> { }));
      assertTrue(e.getMessage().contains("locked"), e.getMessage());
    } finally {
      wal.close();
    }
    reopen(); // closing released the lock
  }

  @Test
  void closedWal_refusesUse() throws IOException {
    Wal wal = Wal.open(dir(), SEG, r -> { });
    wal.close();
    wal.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> wal.append(List.of(new byte[] {1})));
    assertThrows(IllegalStateException.class, wal::sync);
  }

  @Test
  void deleteSegmentsBefore_removesOldSegments_andReplayStartsAtTheOldestLeft() throws IOException {
    populate();
    List<byte[]> kept = new ArrayList<>();
    long current;
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      current = wal.currentSegment();
      List<Path> before = wal.segments();
      assertThrows(IllegalArgumentException.class, () -> wal.deleteSegmentsBefore(current + 1));
      wal.deleteSegmentsBefore(current);
      assertEquals(List.of(Wal.segmentPath(dir(), current)), wal.segments());
      for (Path p : before.subList(0, before.size() - 1)) {
        assertFalse(Files.exists(p), p + " deleted");
      }
      wal.deleteSegmentsBefore(current); // nothing left to delete: no-op
    }
    try (Wal wal = Wal.open(dir(), SEG, kept::add)) {
      assertEquals(current, wal.currentSegment());
      assertEquals(1, wal.replayStats().segments());
      assertEquals(frameOffsets(Wal.segmentPath(dir(), current)).size(), kept.size());
      wal.append(List.of(new byte[900])); // the current segment has frames, so this rolls
      assertEquals(current + 1, wal.currentSegment());
    }
  }

  // ---------------------------------------------------------------- torn tails

  enum Tear {
    MID_HEADER, MID_BODY, TRAILING_ZEROS, TRAILING_GARBAGE, CRC_FLIP, MID_BODY_THEN_ZEROS, LENGTH_TOO_BIG
  }

  @ParameterizedTest
  @EnumSource(Tear.class)
  void tornTail_isTruncated_earlierRecordsSurvive_andAppendingContinues(Tear tear) throws IOException {
    List<byte[]> written = populate();
    Path lastSeg = last(logFiles());
    long lastFrame = last(frameOffsets(lastSeg));
    long end = Files.size(lastSeg);
    int lastLen = lengthAt(lastSeg, lastFrame);
    List<byte[]> survivors = new ArrayList<>(written);
    long expectedOffset = lastFrame;
    switch (tear) {
      case MID_HEADER -> truncate(lastSeg, lastFrame + 3);
      case MID_BODY -> truncate(lastSeg, lastFrame + 8 + lastLen / 2);
      case CRC_FLIP -> flipByte(lastSeg, lastFrame + 5);
      case MID_BODY_THEN_ZEROS -> {
        truncate(lastSeg, lastFrame + 8 + lastLen / 2);
        appendBytes(lastSeg, new byte[4096]);
      }
      case LENGTH_TOO_BIG -> {
        byte[] b = Files.readAllBytes(lastSeg);
        ByteBuffer.wrap(b).putInt((int) lastFrame, Wal.MAX_RECORD_BYTES + 1);
        Files.write(lastSeg, b);
      }
      case TRAILING_ZEROS -> {
        appendBytes(lastSeg, new byte[4096]);
        expectedOffset = end;
      }
      case TRAILING_GARBAGE -> {
        byte[] junk = new byte[1000];
        new SplittableRandom(99).nextBytes(junk);
        appendBytes(lastSeg, junk);
        expectedOffset = end;
      }
    }
    if (expectedOffset == lastFrame) {
      survivors.remove(survivors.size() - 1);
    }
    long tornSize = Files.size(lastSeg);

    Opened o = reopen();
    assertSameRecords(survivors, o.records());
    Wal.TornTail t = o.stats().tornTail();
    assertTrue(o.stats().truncated());
    assertEquals(lastSeg, t.file());
    assertEquals(expectedOffset, t.offset());
    assertEquals(tornSize - expectedOffset, t.droppedBytes());
    assertEquals(expectedOffset, Files.size(lastSeg), "file cut where the torn frame started");

    byte[] after = "written after the repair".getBytes(StandardCharsets.UTF_8);
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      assertNull(wal.replayStats().tornTail(), "the repair was durable; nothing to cut twice");
      wal.append(List.of(after));
      wal.sync();
    }
    survivors.add(after);
    Opened again = reopen();
    assertSameRecords(survivors, again.records());
    assertFalse(again.stats().truncated());
  }

  @Test
  void tornTail_logsAWarningNamingFileAndOffset() throws IOException {
    populate();
    Path lastSeg = Wal.segmentPath(dir(), logFiles().size());
    long end = Files.size(lastSeg);
    appendBytes(lastSeg, new byte[] {0, 0, 0});
    List<LogRecord> logged = new ArrayList<>();
    Handler h = new Handler() {
      @Override public void publish(LogRecord r) {
        logged.add(r);
      }

      @Override public void flush() { }

      @Override public void close() { }
    };
    Logger jul = Logger.getLogger(Wal.class.getName());
    jul.addHandler(h);
    try {
      reopen();
    } finally {
      jul.removeHandler(h);
    }
    assertEquals(1, logged.size());
    assertEquals(java.util.logging.Level.WARNING, logged.get(0).getLevel());
    String msg = logged.get(0).getMessage();
    assertTrue(msg.contains(lastSeg.toString()) && msg.contains("byte offset " + end), msg);
  }

  // ---------------------------------------------------------------- corruption

  private WalCorruptException assertCorruptAt(Path file, long offset) throws IOException {
    List<Long> sizes = new ArrayList<>();
    for (Path p : logFiles()) {
      sizes.add(Files.size(p));
    }
    WalCorruptException e = assertThrows(WalCorruptException.class, this::reopen);
    assertEquals(file, e.file());
    assertEquals(offset, e.offset());
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("offset " + offset),
        e.getMessage());
    List<Long> after = new ArrayList<>();
    for (Path p : logFiles()) {
      after.add(Files.size(p));
    }
    assertEquals(sizes, after, "a refused open changes no file");
    return e;
  }

  @Test
  void badMiddleRecordInLastSegment_isCorruption_notATornTail() throws IOException {
    populate();
    Path lastSeg = last(logFiles());
    long middle = frameOffsets(lastSeg).get(1);
    flipByte(lastSeg, middle + 8 + 2);
    WalCorruptException e = assertCorruptAt(lastSeg, middle);
    assertTrue(e.getMessage().contains("CRC32C mismatch") && e.getMessage().contains("valid frame starts later"),
        e.getMessage());
  }

  @Test
  void garbageLengthInMiddleRecordOfLastSegment_isCorruption() throws IOException {
    populate();
    Path lastSeg = last(logFiles());
    long middle = frameOffsets(lastSeg).get(2);
    flipByte(lastSeg, middle); // length's high byte: now far past the end
    assertCorruptAt(lastSeg, middle);
  }

  @Test
  void badRecordInNonLastSegment_isCorruption() throws IOException {
    populate();
    Path first = Wal.segmentPath(dir(), 1);
    long lastOfFirst = last(frameOffsets(first)); // even the tail of a sealed segment must be intact
    flipByte(first, lastOfFirst + 8);
    WalCorruptException e = assertCorruptAt(first, lastOfFirst);
    assertTrue(e.getMessage().contains("not the last"), e.getMessage());
  }

  @Test
  void truncatedOrZeroFilledNonLastSegment_isCorruption() throws IOException {
    populate();
    Path second = Wal.segmentPath(dir(), 2);
    long end = Files.size(second);
    appendBytes(second, new byte[512]);
    assertCorruptAt(second, end);
    truncate(second, end);
    long lastFrame = last(frameOffsets(second));
    truncate(second, lastFrame + 10);
    assertCorruptAt(second, lastFrame);
  }

  @Test
  void badSegmentHeaders_areCorruption() throws IOException {
    populate();
    Path first = Wal.segmentPath(dir(), 1);
    flipByte(first, 0);
    assertTrue(assertCorruptAt(first, 0).getMessage().contains("bad segment magic"));
    flipByte(first, 0);

    byte[] b = Files.readAllBytes(first);
    ByteBuffer.wrap(b).putInt(4, 2);
    Files.write(first, b);
    assertTrue(assertCorruptAt(first, 0).getMessage().contains("unsupported segment format version 2"));
    ByteBuffer.wrap(b).putInt(4, Wal.FORMAT_VERSION).putLong(8, 7);
    Files.write(first, b);
    assertTrue(assertCorruptAt(first, 0).getMessage().contains("header says segment 7"));
  }

  @Test
  void garbageHeaderOnLastSegment_isCorruption() throws IOException {
    populate();
    long next = logFiles().size() + 1;
    Path extra = Wal.segmentPath(dir(), next);
    Files.write(extra, "not a wal segment at all".getBytes(StandardCharsets.UTF_8));
    assertCorruptAt(extra, 0);
  }

  enum NeverSynced { EMPTY, HEADER_PREFIX, ALL_ZEROS }

  @ParameterizedTest
  @EnumSource(NeverSynced.class)
  void lastSegmentWhoseHeaderNeverReachedDisk_isReset(NeverSynced kind) throws IOException {
    List<byte[]> written = populate();
    long next = logFiles().size() + 1;
    Path extra = Wal.segmentPath(dir(), next);
    byte[] content = switch (kind) {
      case EMPTY -> new byte[0];
      case HEADER_PREFIX -> Arrays.copyOf(Wal.segmentHeader(next), 7);
      case ALL_ZEROS -> new byte[4096];
    };
    Files.write(extra, content);
    Opened o = reopen();
    assertSameRecords(written, o.records());
    assertEquals(extra, o.stats().tornTail().file());
    assertEquals(0, o.stats().tornTail().offset());
    assertArrayEquals(Wal.segmentHeader(next), Files.readAllBytes(extra));
    try (Wal wal = Wal.open(dir(), SEG, r -> { })) {
      assertEquals(next, wal.currentSegment());
      wal.append(List.of(new byte[] {42}));
    }
    written.add(new byte[] {42});
    assertSameRecords(written, reopen().records());
  }

  @Test
  void missingSegmentInTheSequence_isCorruption() throws IOException {
    populate();
    Files.delete(Wal.segmentPath(dir(), 2));
    WalCorruptException e = assertCorruptAt(Wal.segmentPath(dir(), 3), 0);
    assertTrue(e.getMessage().contains("segment 2 missing"), e.getMessage());
  }

  @Test
  void malformedSegmentName_isCorruption_unrelatedFilesAreIgnored() throws IOException {
    populate();
    Files.writeString(dir().resolve("notes.txt"), "operator notes");
    assertFalse(reopen().records().isEmpty());
    Path odd = dir().resolve("wal-1.log");
    Files.write(odd, Wal.segmentHeader(1));
    assertCorruptAt(odd, 0);
  }

  @Test
  void singleByteFlipAnywhere_isNeverSilentlyAccepted() throws IOException {
    // Every byte of every frame in a small two-segment log: either open fails with corruption, or
    // (only for a flip inside the very last frame) the tail is cut and exactly that record is lost.
    SplittableRandom rnd = new SplittableRandom(5);
    List<byte[]> expected = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      expected.add(Arrays.copyOf(Fixtures.raw(i, rnd), 4 + rnd.nextInt(56)));
    }
    try (Wal wal = Wal.open(dir(), 160, r -> { })) {
      wal.append(expected);
    }
    List<Path> segs = logFiles();
    assertTrue(segs.size() >= 3, segs.size() + " segments");
    Path lastSeg = last(segs);
    long lastFrame = last(frameOffsets(lastSeg));
    for (Path seg : segs) {
      byte[] original = Files.readAllBytes(seg);
      for (int pos = 0; pos < original.length; pos++) {
        byte[] bad = original.clone();
        bad[pos] ^= 0x01;
        Files.write(seg, bad);
        List<byte[]> seen = new ArrayList<>();
        try (Wal wal = Wal.open(dir(), 160, seen::add)) {
          assertTrue(seg.equals(lastSeg) && pos >= lastFrame, "flip at " + seg + ":" + pos + " accepted");
          assertEquals(lastFrame, wal.replayStats().tornTail().offset());
          assertSameRecords(expected.subList(0, expected.size() - 1), seen);
        } catch (WalCorruptException e) {
          assertEquals(seg, e.file());
        }
        Files.write(seg, original);
      }
    }
  }
}
