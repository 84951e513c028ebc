package raftsimple.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
  @TempDir Path dir;

  private static byte[] head(int b) {
    byte[] h = new byte[32];
    h[0] = (byte) b;
    return h;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static SnapshotStore.DataWriter bytes(byte[] data) {
    return out -> out.write(data);
  }

  private static byte[] state(SnapshotFile f) throws IOException {
    try (InputStream in = f.openState()) {
      return in.readAllBytes();
    }
  }

  @Test
  void writeThenReadTheLatestAndRetain() throws IOException {
    SnapshotStore s = new SnapshotStore(dir);
    s.write(10, head(1), utf8("m1"), bytes(utf8("d1")));
    s.write(20, head(2), utf8("m2"), bytes(new byte[0]));
    s.write(30, head(3), new byte[0], bytes(utf8("d3")));
    SnapshotFile latest = s.latest().orElseThrow();
    assertEquals(30, latest.length());
    assertArrayEquals(head(3), latest.head());
    assertArrayEquals(utf8("d3"), state(latest));
    assertEquals(2, latest.version());
    s.retain(2);
    assertEquals(List.of(20L, 30L), s.lengths());
    assertArrayEquals(utf8("m2"), s.read(20).meta());
    assertEquals(0, s.read(20).dataLength());
  }

  /**
   * The state is streamed into the file in pieces of any size, across several fsynced slices, and
   * read back byte for byte; the file's trailer is SHA-256 over everything before it.
   */
  @Test
  void aStreamedStateOfSeveralWriteSlicesIsWrittenWhole() throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    byte[] data = new byte[2 * SnapshotStore.WRITE_SLICE_BYTES + 12_345];
    new Random(7).nextBytes(data);
    SnapshotFile f = s.write(40, head(4), utf8("meta"), out -> {
      Random r = new Random(8);
      for (int at = 0; at < data.length; ) {
        int n = Math.min(data.length - at, r.nextInt(100_000));
        if (n == 1) {
          out.write(data[at]);
        } else {
          out.write(data, at, n);
        }
        at += n;
      }
    });
    assertEquals(data.length, f.dataLength());
    assertArrayEquals(data, state(s.read(40)));
    byte[] file = Files.readAllBytes(f.file());
    assertEquals(file.length, f.size());
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(file, file.length - 32));
    assertArrayEquals(digest, Arrays.copyOfRange(file, file.length - 32, file.length));
    assertEquals(data.length, ByteBuffer.wrap(file, file.length - 40, 8).getLong());
  }

  @Test
  void aWriterThatFails_leavesNoSnapshotBehind() {
    SnapshotStore s = new SnapshotStore(dir);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.write(5, head(5), utf8("m"), out -> {
      out.write(new byte[1000]);
      throw new IllegalStateException("machine broke");
    }));
    assertEquals("machine broke", e.getMessage());
    assertTrue(s.lengths().isEmpty());
    assertTrue(Files.notExists(dir.resolve("snap-00000000000000000005.snap.tmp")));
  }

  /** A peer's file arrives in pieces of random sizes and installs byte for byte. */
  @Test
  void aFileReceivedInPiecesInstallsOnAnotherNode(@TempDir Path other) throws Exception {
    SnapshotStore a = new SnapshotStore(dir);
    byte[] data = new byte[300_000];
    new Random(3).nextBytes(data);
    SnapshotFile sent = a.write(7, head(9), utf8("meta"), bytes(data));
    byte[] file = Files.readAllBytes(sent.file());
    SnapshotStore b = new SnapshotStore(other);
    for (int seed = 0; seed < 5; seed++) {
      SnapshotStore.Incoming in = b.receive(7, file.length);
      feed(in, file, new Random(seed), seed == 0 ? 1 : 70_000);
      SnapshotFile got = in.finish();
      assertArrayEquals(file, Files.readAllBytes(got.file()));
      assertArrayEquals(data, state(b.read(7)));
      assertArrayEquals(utf8("meta"), got.meta());
    }
  }

  private static void feed(SnapshotStore.Incoming in, byte[] file, Random r, int maxPiece) {
    for (int at = 0; at < file.length; ) {
      int n = Math.min(file.length - at, 1 + r.nextInt(maxPiece));
      in.write(file, at, n);
      at += n;
    }
  }

  /**
   * The receiver verifies while the bytes arrive: a file with any one byte changed, cut short or
   * followed by more is refused, and nothing is installed.
   */
  @Test
  void anyFlippedByteIsRefused_byTheReceiverAndByTheReader(@TempDir Path other) throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    SnapshotFile f = s.write(5, head(5), utf8("meta"), bytes(utf8("data")));
    byte[] good = Files.readAllBytes(f.file());
    SnapshotStore b = new SnapshotStore(other);
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x40;
      SnapshotStore.Incoming in = b.receive(5, bad.length);
      assertThrows(WalCorruptException.class, () -> {
        feed(in, bad, new Random(1), 7);
        in.finish();
      }, "byte " + i);
      assertTrue(b.lengths().isEmpty(), "byte " + i);
      Path onDisk = dir.resolve("copy.snap");
      Files.write(onDisk, bad);
      assertThrows(WalCorruptException.class, () -> SnapshotFile.open(onDisk).verify(), "byte " + i);
    }
    SnapshotStore.Incoming shortOne = b.receive(5, good.length);
    shortOne.write(good, 0, good.length - 1);
    assertThrows(WalCorruptException.class, shortOne::finish);
    SnapshotStore.Incoming longOne = b.receive(5, good.length);
    longOne.write(good, 0, good.length);
    assertThrows(WalCorruptException.class, () -> longOne.write(new byte[1], 0, 1));
    assertTrue(b.lengths().isEmpty());
    try (var files = Files.list(other)) {
      assertEquals(List.of(), files.toList(), "no temporary file is left");
    }
  }

  /** A file for another length is refused as soon as its header has arrived, not at the end. */
  @Test
  void aFileOfAnotherLengthIsRefusedAtItsHeader(@TempDir Path other) throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    byte[] file = Files.readAllBytes(s.write(6, head(6), utf8("meta"), bytes(new byte[100_000])).file());
    SnapshotStore.Incoming in = new SnapshotStore(other).receive(7, file.length);
    WalCorruptException e = assertThrows(WalCorruptException.class, () -> in.write(file, 0, 100));
    assertTrue(e.getMessage().contains("at length 6, expected version 2 at 7"), e.getMessage());
  }

  /** Files written before the streaming layout (version 1: data length before the data) still read. */
  @Test
  void version1FilesStillRead() throws Exception {
    byte[] meta = utf8("meta");
    byte[] data = utf8("the state");
    ByteBuffer b = ByteBuffer.allocate(48 + 4 + meta.length + 8 + data.length + 32);
    b.putInt(0x5253534E).putInt(1).putLong(12).put(head(7)).putInt(meta.length).put(meta)
        .putLong(data.length).put(data);
    b.put(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(b.array(), b.position())));
    Files.write(dir.resolve("snap-00000000000000000012.snap"), b.array());
    SnapshotFile f = new SnapshotStore(dir).latest().orElseThrow();
    assertEquals(1, f.version());
    assertEquals(12, f.length());
    assertArrayEquals(head(7), f.head());
    assertArrayEquals(meta, f.meta());
    assertArrayEquals(data, state(f));
  }

  @Test
  void aTruncatedOrForeignFileIsRefusedNamingIt() throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    Path f = s.write(5, head(5), utf8("meta"), bytes(utf8("data"))).file();
    byte[] good = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(good, good.length - 1));
    WalCorruptException cut = assertThrows(WalCorruptException.class, s::latest);
    assertEquals(f, cut.file());
    Files.write(f, utf8("not a snapshot at all, but long enough to have a header and a trailer: ".repeat(3)));
    WalCorruptException foreign = assertThrows(WalCorruptException.class, s::latest);
    assertTrue(foreign.getMessage().contains("not a raftsimple snapshot"), foreign.getMessage());
  }

  @Test
  void leftoverTemporaryFilesAreIgnoredAndRemoved() throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    Files.write(dir.resolve("snap-00000000000000000009.snap.tmp"), new byte[] {1, 2});
    assertTrue(s.latest().isEmpty());
    assertTrue(Files.notExists(dir.resolve("snap-00000000000000000009.snap.tmp")));
  }
}
