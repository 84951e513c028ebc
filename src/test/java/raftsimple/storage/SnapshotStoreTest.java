package raftsimple.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
  @TempDir Path dir;

  private static byte[] head(int b) {
    byte[] h = new byte[32];
    h[0] = (byte) b;
    return h;
  }

  @Test
  void writeThenReadTheLatestAndRetain() {
    SnapshotStore s = new SnapshotStore(dir);
    s.write(10, head(1), "m1".getBytes(StandardCharsets.UTF_8), "d1".getBytes(StandardCharsets.UTF_8));
    s.write(20, head(2), "m2".getBytes(StandardCharsets.UTF_8), new byte[0]);
    s.write(30, head(3), new byte[0], "d3".getBytes(StandardCharsets.UTF_8));
    SnapshotStore.Snapshot latest = s.latest().orElseThrow();
    assertEquals(30, latest.length());
    assertArrayEquals(head(3), latest.head());
    assertArrayEquals("d3".getBytes(StandardCharsets.UTF_8), latest.data());
    s.retain(2);
    assertEquals(List.of(20L, 30L), s.lengths());
    assertArrayEquals("m2".getBytes(StandardCharsets.UTF_8), s.read(20).meta());
  }

  /** A snapshot larger than one write slice is written whole, byte for byte. */
  @Test
  void aSnapshotOfSeveralWriteSlicesIsWrittenWhole() throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    byte[] data = new byte[2 * SnapshotStore.WRITE_SLICE_BYTES + 12_345];
    new java.util.Random(7).nextBytes(data);
    Path f = s.write(40, head(4), "meta".getBytes(StandardCharsets.UTF_8), data);
    assertArrayEquals(data, s.latest().orElseThrow().data());
    assertArrayEquals(s.bytes(40), Files.readAllBytes(f));
  }

  @Test
  void streamedBytesInstallOnAnotherNode(@TempDir Path other) {
    SnapshotStore a = new SnapshotStore(dir);
    a.write(7, head(9), "meta".getBytes(StandardCharsets.UTF_8), "data".getBytes(StandardCharsets.UTF_8));
    SnapshotStore b = new SnapshotStore(other);
    b.install(7, a.bytes(7));
    assertArrayEquals("data".getBytes(StandardCharsets.UTF_8), b.latest().orElseThrow().data());
  }

  @Test
  void anyFlippedByteIsDetectedNamingTheFile() throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    Path f = s.write(5, head(5), "meta".getBytes(StandardCharsets.UTF_8), "data".getBytes(StandardCharsets.UTF_8));
    byte[] bytes = Files.readAllBytes(f);
    for (int i = 0; i < bytes.length; i++) {
      byte[] bad = bytes.clone();
      bad[i] ^= 0x40;
      WalCorruptException e = assertThrows(WalCorruptException.class, () -> SnapshotStore.decode(bad, f));
      assertEquals(f, e.file());
    }
    SnapshotStore b = new SnapshotStore(dir.resolve("b"));
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 1);
    assertThrows(WalCorruptException.class, () -> b.install(5, truncated));
    assertTrue(b.lengths().isEmpty());
  }

  @Test
  void leftoverTemporaryFilesAreIgnoredAndRemoved() throws Exception {
    SnapshotStore s = new SnapshotStore(dir);
    Files.write(dir.resolve("snap-00000000000000000009.snap.tmp"), new byte[] {1, 2});
    assertTrue(s.latest().isEmpty());
    assertTrue(Files.notExists(dir.resolve("snap-00000000000000000009.snap.tmp")));
  }
}
