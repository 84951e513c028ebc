package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.DurableState;
import raftsimple.core.msg.Membership;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Proposal;

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

  private long ts = 1_700_000_000_000L;

  private Entry entry(String origin) {
    return Entry.create(++ts, origin, ("{\"n\":" + ts + "}").getBytes(StandardCharsets.UTF_8), null);
  }

  /**
   * A vote or accept record that a later commit ends is dropped undecoded (half of a voter's WAL);
   * the ones about the head instance, and every other record, are replayed in order, so the state
   * folded from them is the one all records give.
   */
  @Test
  void replay_dropsProposalRecordsALaterCommitEnds_keepsTheRestInOrder() {
    List<DurableRecord> written = new ArrayList<>();
    written.add(config(0));
    Hash head = Hash.ZERO;
    long length = 0;
    for (int i = 0; i < 3; i++) {
      List<Entry> es = List.of(entry("n1"), entry("n2"));
      Proposal p = Proposal.of("n1", es);
      written.add(new DurableRecord.VoteRecord(length, head, p));
      written.add(new DurableRecord.PromiseRecord(length, head, new Ballot(1, "n2")));
      written.add(new DurableRecord.AcceptRecord(length, head, new Ballot(1, "n2"), p));
      List<LogEntry> batch = new ArrayList<>();
      for (Entry e : es) {
        LogEntry le = LogEntry.chain(++length, head, e);
        batch.add(le);
        head = le.hash();
      }
      written.add(new DurableRecord.CommitRecord(batch));
    }
    // The head instance: a vote and an accept no commit ends yet, and one about an older instance.
    Proposal open = Proposal.of("n3", List.of(entry("n3")));
    DurableRecord headVote = new DurableRecord.VoteRecord(length, head, open);
    DurableRecord headAccept = new DurableRecord.AcceptRecord(length, head, new Ballot(2, "n3"), open);
    DurableRecord stale = new DurableRecord.VoteRecord(length - 2, head, open);
    written.addAll(List.of(headVote, new DurableRecord.ClockRecord(ts), stale, headAccept));
    WalRecordStore store = new WalRecordStore(dir, 1 << 20);
    store.appendAndSync(written);
    store.close();

    WalRecordStore reopened = new WalRecordStore(dir, 1 << 20);
    List<DurableRecord> replayed = new ArrayList<>();
    reopened.replay(replayed::add);
    reopened.close();
    List<DurableRecord> expected = new ArrayList<>();
    for (DurableRecord r : written) {
      boolean ended = (r instanceof DurableRecord.VoteRecord v && v.length() < length)
          || (r instanceof DurableRecord.AcceptRecord a && a.length() < length);
      if (!ended || r == stale) {
        expected.add(r);
      }
    }
    assertEquals(expected, replayed);
    DurableState all = new DurableState();
    written.forEach(all::apply);
    DurableState fromReplay = new DurableState();
    replayed.forEach(fromReplay::apply);
    assertEquals(all.length(), fromReplay.length());
    assertEquals(all.head(), fromReplay.head());
    assertEquals(all.membership(), fromReplay.membership());
  }
}
