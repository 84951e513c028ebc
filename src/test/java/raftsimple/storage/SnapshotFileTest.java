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

class SnapshotFileTest {
  @TempDir Path dir;

  static final byte[] HEAD = new byte[32];
  static final byte[] META = "{\"version\":1,\"members\":[]}".getBytes(StandardCharsets.UTF_8);

  static {
    for (int i = 0; i < 32; i++) {
      HEAD[i] = (byte) (i + 1);
    }
  }

  private Path file(byte[] data) throws Exception {
    return Files.write(dir.resolve("in.snap"), SnapshotStore.encode(77, HEAD, META, data));
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
    SnapshotFile.Header h = SnapshotFile.verify(f, progress::add);
    assertEquals(77, h.length());
    assertArrayEquals(HEAD, h.head());
    assertArrayEquals(META, h.meta());
    assertEquals(d.length, h.dataBytes());
    assertEquals(Files.size(f), h.fileBytes());
    assertTrue(progress.size() >= 4, "progress every 64 KiB: " + progress);
  }

  @Test
  void aFlippedByteTruncationOrAnotherFileIsNamed() throws Exception {
    Path f = file(data(1000));
    byte[] bytes = Files.readAllBytes(f);
    bytes[600] ^= 1;
    Files.write(f, bytes);
    WalCorruptException flipped = assertThrows(WalCorruptException.class, () -> SnapshotFile.verify(f, b -> { }));
    assertTrue(flipped.getMessage().contains("checksum mismatch"), flipped.getMessage());
    assertTrue(flipped.getMessage().contains(f.toString()), flipped.getMessage());

    Path cut = Files.write(dir.resolve("cut.snap"), java.util.Arrays.copyOf(SnapshotStore.encode(1, HEAD, META, data(10)), 80));
    assertTrue(assertThrows(WalCorruptException.class, () -> SnapshotFile.verify(cut, b -> { }))
        .getMessage().contains("truncated"));
    Path other = Files.writeString(dir.resolve("notes.txt"), "hello, not a snapshot at all");
    assertTrue(assertThrows(WalCorruptException.class, () -> SnapshotFile.verify(other, b -> { }))
        .getMessage().contains("not a version-1 raftsimple snapshot"));
  }

  @Test
  void rewriteReplacesTheMetadataAndTheStoreReadsTheResult() throws Exception {
    byte[] d = data(200_000);
    Path f = file(d);
    byte[] meta = "{\"version\":2,\"members\":[{\"id\":\"r1\",\"url\":\"https://h:1\",\"role\":\"voter\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    Path snaps = dir.resolve("data/snapshots");
    SnapshotFile.Header h = SnapshotFile.rewrite(f, meta, snaps, b -> { });
    assertEquals(77, h.length());
    SnapshotStore.Snapshot s = new SnapshotStore(snaps).latest().orElseThrow();
    assertEquals(77, s.length());
    assertArrayEquals(HEAD, s.head());
    assertArrayEquals(meta, s.meta());
    assertArrayEquals(d, s.data());
    assertEquals(List.of(77L), new SnapshotStore(snaps).lengths(), "no temporary file is left");
  }

  @Test
  void rewriteOfADamagedFileLeavesNothing() throws Exception {
    Path f = file(data(1000));
    byte[] bytes = Files.readAllBytes(f);
    bytes[bytes.length - 1] ^= 1;
    Files.write(f, bytes);
    Path snaps = dir.resolve("snapshots");
    assertThrows(WalCorruptException.class, () -> SnapshotFile.rewrite(f, META, snaps, b -> { }));
    try (var s = Files.list(snaps)) {
      assertEquals(0, s.count());
    }
  }
}
