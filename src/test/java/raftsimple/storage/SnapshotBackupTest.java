package raftsimple.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotBackupTest {
  @TempDir Path dir;

  static final byte[] HEAD = new byte[32];
  static final byte[] META = "{\"version\":1,\"members\":[]}".getBytes(StandardCharsets.UTF_8);

  static {
    for (int i = 0; i < 32; i++) {
      HEAD[i] = (byte) (i + 1);
    }
  }

  private Path file(byte[] data) throws Exception {
    return new SnapshotStore(dir.resolve("in")).write(77, HEAD, META, out -> out.write(data)).file();
  }

  private static byte[] data(int n) {
    byte[] d = new byte[n];
    for (int i = 0; i < n; i++) {
      d[i] = (byte) (i * 7);
    }
    return d;
  }

  @Test
  void verifiesAnIntactFileInOnePassWithProgress() throws Exception {
    byte[] d = data(300_000);
    Path f = file(d);
    List<Long> progress = new ArrayList<>();
    SnapshotBackup.Header h = SnapshotBackup.verify(f, progress::add);
    assertEquals(77, h.length());
    assertArrayEquals(HEAD, h.head());
    assertArrayEquals(META, h.meta());
    assertEquals(d.length, h.dataBytes());
    assertEquals(Files.size(f), h.fileBytes());
    assertTrue(progress.size() >= 2, "progress after every buffer: " + progress);
    assertEquals(Files.size(f) - 32, progress.get(progress.size() - 1), "all bytes before the checksum");
  }

  @Test
  void aFlippedByteTruncationOrAnotherFileIsNamed() throws Exception {
    Path f = file(data(1000));
    byte[] bytes = Files.readAllBytes(f);
    bytes[600] ^= 1;
    Files.write(f, bytes);
    WalCorruptException flipped = assertThrows(WalCorruptException.class, () -> SnapshotBackup.verify(f, b -> { }));
    assertTrue(flipped.getMessage().contains("checksum mismatch"), flipped.getMessage());
    assertTrue(flipped.getMessage().contains(f.toString()), flipped.getMessage());

    Path cut = Files.write(dir.resolve("cut.snap"), java.util.Arrays.copyOf(Files.readAllBytes(file(data(10))), 80));
    WalCorruptException truncated = assertThrows(WalCorruptException.class, () -> SnapshotBackup.verify(cut, b -> { }));
    assertTrue(truncated.getMessage().contains(cut.toString()), truncated.getMessage());
    Path other = Files.writeString(dir.resolve("notes.txt"), "hello, not a snapshot at all");
    assertTrue(assertThrows(WalCorruptException.class, () -> SnapshotBackup.verify(other, b -> { }))
        .getMessage().contains(other.toString()));
  }

  @Test
  void rewriteReplacesTheMetadataAndTheStoreReadsTheResult() throws Exception {
    byte[] d = data(200_000);
    Path f = file(d);
    byte[] meta = "{\"version\":2,\"members\":[{\"id\":\"r1\",\"url\":\"https://h:1\",\"role\":\"voter\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    Path snaps = dir.resolve("data/snapshots");
    SnapshotBackup.Header h = SnapshotBackup.rewrite(f, meta, snaps, b -> { });
    assertEquals(77, h.length());
    SnapshotFile s = new SnapshotStore(snaps).latest().orElseThrow().verify();
    assertEquals(77, s.length());
    assertArrayEquals(HEAD, s.head());
    assertArrayEquals(meta, s.meta());
    try (var state = s.openState()) {
      assertArrayEquals(d, state.readAllBytes());
    }
    assertEquals(List.of(77L), new SnapshotStore(snaps).lengths(), "no temporary file is left");
  }

  @Test
  void rewriteOfADamagedFileLeavesNothing() throws Exception {
    Path f = file(data(1000));
    byte[] bytes = Files.readAllBytes(f);
    bytes[bytes.length - 1] ^= 1;
    Files.write(f, bytes);
    Path snaps = dir.resolve("snapshots");
    assertThrows(WalCorruptException.class, () -> SnapshotBackup.rewrite(f, META, snaps, b -> { }));
    assertTrue(!Files.exists(snaps), "the source is verified before anything is written");
  }
}
