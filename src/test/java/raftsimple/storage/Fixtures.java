package raftsimple.storage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.DurableRecord.AcceptRecord;
import raftsimple.core.msg.DurableRecord.CommitRecord;
import raftsimple.core.msg.DurableRecord.PromiseRecord;
import raftsimple.core.msg.DurableRecord.VoteRecord;
import raftsimple.core.msg.Proposal;

/** Deterministic durable records and raw WAL records for the storage tests. */
final class Fixtures {
  private Fixtures() {}

  static Entry entry(long ts, String origin, String json, String key) {
    return Entry.create(ts, origin, json.getBytes(StandardCharsets.UTF_8), key);
  }

  static Proposal proposal(String proposer) {
    return Proposal.of(proposer, List.of(
        entry(1_700_000_000_000L, "n1", "{\"op\":\"put\",\"key\":\"k\",\"value\":1}", null),
        entry(1_700_000_000_001L, "n2", "{\"v\":\"héllo ☃ 😀\"}", "idem-ключ-🔑"),
        entry(-5L, "", "", "")));
  }

  static List<LogEntry> chain(int n) {
    List<LogEntry> out = new ArrayList<>();
    Hash prev = Hash.ZERO;
    for (int i = 1; i <= n; i++) {
      String key = i % 2 == 0 ? null : "key-" + i;
      LogEntry le = LogEntry.chain(i, prev, entry(1000L + i, "n" + (i % 3), "{\"i\":" + i + "}", key));
      out.add(le);
      prev = le.hash();
    }
    return out;
  }

  /** One record of every type, covering null and non-null keys, unicode strings, empty payloads. */
  static List<DurableRecord> everyType() {
    Hash head = chain(3).get(2).hash();
    return List.of(
        new VoteRecord(0, Hash.ZERO, proposal("n1")),
        new VoteRecord(3, head, proposal("nœud-☃-😀")),
        new PromiseRecord(3, head, new Ballot(1, "n2")),
        new PromiseRecord(Long.MAX_VALUE, head, new Ballot(Long.MAX_VALUE, "ノード")),
        new AcceptRecord(3, head, new Ballot(7, "n3"), proposal("n3")),
        new AcceptRecord(0, Hash.ZERO, new Ballot(2, ""), proposal("")),
        new CommitRecord(chain(1)),
        new CommitRecord(chain(5)));
  }

  /** A raw WAL record whose content identifies {@code i}, of a length between 1 and ~300 bytes. */
  static byte[] raw(int i, SplittableRandom rnd) {
    byte[] b = new byte[1 + rnd.nextInt(300)];
    rnd.nextBytes(b);
    if (b.length >= 4) {
      b[0] = (byte) (i >>> 24);
      b[1] = (byte) (i >>> 16);
      b[2] = (byte) (i >>> 8);
      b[3] = (byte) i;
    }
    return b;
  }
}
