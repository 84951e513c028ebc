package raftsimple.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.cli.FakeNode.ctl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.storage.SnapshotStore;

/** {@code snapshot restore} on files made by SnapshotStore: checks, refusals, the data dir it writes. */
class SnapshotRestoreTest {
  @TempDir Path dir;

  static final byte[] HEAD = new byte[32];
  static final String OLD = "{\"version\":4,\"members\":[{\"id\":\"n1\",\"url\":\"https://a:1\",\"role\":\"voter\"},"
      + "{\"id\":\"n2\",\"url\":\"https://b:1\",\"role\":\"voter\"}]}";

  static {
    HEAD[0] = 9;
  }

  private Path backup() throws Exception {
    Path written = new SnapshotStore(dir.resolve("source")).write(12, HEAD,
        OLD.getBytes(StandardCharsets.UTF_8), out -> out.write("{\"kv\":{}}".getBytes(StandardCharsets.UTF_8))).file();
    return Files.copy(written, dir.resolve("backup.snap"));
  }

  @Test
  void writesTheSnapshotWithTheNewNodeAloneIntoAnEmptyDataDir() throws Exception {
    Path d = dir.resolve("r1-data");
    FakeNode.Run r = ctl("snapshot", "restore", backup().toString(), "--data-dir", d.toString(),
        "--node-id", "r1", "--url", "https://127.0.0.1:7000", "--head", HexFormat.of().formatHex(HEAD));
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("snapshot restore: verifying"), r.err());
    raftsimple.storage.SnapshotFile s = new SnapshotStore(d.resolve("snapshots")).latest().orElseThrow().verify();
    assertEquals(12, s.length());
    assertEquals("{\"version\":5,\"members\":[{\"id\":\"r1\",\"url\":\"https://127.0.0.1:7000\",\"role\":\"voter\"}]}",
        new String(s.meta(), StandardCharsets.UTF_8));
    try (var state = s.openState()) {
      assertEquals("{\"kv\":{}}", new String(state.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void refusesANonEmptyDataDirAWrongHeadAndABadId() throws Exception {
    Path b = backup();
    Path full = Files.createDirectories(dir.resolve("full"));
    Files.writeString(full.resolve("wal"), "x");
    FakeNode.Run nonEmpty = ctl("snapshot", "restore", b.toString(), "--data-dir", full.toString(), "--node-id", "r1");
    assertEquals(2, nonEmpty.status());
    assertTrue(nonEmpty.err().contains("is not empty"), nonEmpty.err());

    Path d = dir.resolve("fresh");
    FakeNode.Run head = ctl("snapshot", "restore", b.toString(), "--data-dir", d.toString(), "--node-id", "r1",
        "--head", "ff".repeat(32));
    assertEquals(1, head.status());
    assertFalse(Files.exists(d), "nothing is written when a check fails");
    assertEquals(2, ctl("snapshot", "restore", b.toString(), "--data-dir", d.toString(), "--node-id", "bad id").status());
    assertEquals(2, ctl("snapshot", "restore", b.toString(), "--data-dir", d.toString()).status(), "--node-id is required");
  }

  @Test
  void aDamagedBackupIsExit1AndWritesNothing() throws Exception {
    Path b = backup();
    byte[] bytes = Files.readAllBytes(b);
    bytes[70] ^= 1;
    Files.write(b, bytes);
    Path d = dir.resolve("fresh");
    FakeNode.Run r = ctl("snapshot", "restore", b.toString(), "--data-dir", d.toString(), "--node-id", "r1");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("not an intact snapshot"), r.err());
    assertFalse(Files.exists(d));
  }
}
