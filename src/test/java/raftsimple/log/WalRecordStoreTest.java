package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.core.Membership;
import raftsimple.core.msg.DurableRecord;

class WalRecordStoreTest {
  @TempDir Path dir;

  private static DurableRecord.ConfigRecord config(long version) {
    return new DurableRecord.ConfigRecord(new Membership(version,
        List.of(new Membership.Member("n1", "https://host-" + "x".repeat(200) + ":1", Membership.Role.VOTER))));
  }

  /** The txid clock's floor outlives compaction: its segment goes, the record is carried forward. */
  @Test
  void compaction_keepsTheTxidClockFloor() {
    WalRecordStore store = new WalRecordStore(dir, 4096);
    store.appendAndSync(List.of(new DurableRecord.ClockRecord(42)));
    for (int i = 1; i <= 100; i++) {
      store.appendAndSync(List.of(config(i)));
    }
    assertTrue(store.compactBefore(1_000) > 0, "segments were compacted");
    store.close();

    WalRecordStore reopened = new WalRecordStore(dir, 4096);
    List<DurableRecord> replayed = new ArrayList<>();
    reopened.replay(replayed::add);
    reopened.close();
    assertEquals(List.of(new DurableRecord.ClockRecord(42)),
        replayed.stream().filter(r -> r instanceof DurableRecord.ClockRecord).toList());
  }
}
