package raftsimple.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import raftsimple.core.DurableState;
import raftsimple.core.msg.DurableRecord;

/**
 * One node's durable storage: a write-ahead log and the newest durable snapshot. Fault model:
 * records are written in issue order; an fsync makes every record issued before it started
 * durable, after a random latency; fsyncs run one at a time (group commit: records issued
 * meanwhile wait for the next one). On a crash the durable prefix survives, and so does any prefix
 * of the unsynced records (they may have reached the platter without an fsync; a torn tail record
 * is dropped by the WAL's checksum, which is the same as a shorter prefix). Nothing is corrupted in
 * the middle: the real WAL treats that as a fatal error, not a recoverable fault.
 *
 * <p>A snapshot file is written atomically (write, fsync, rename): it is either durable as a whole
 * or absent, and a crash keeps the newest durable one. Compaction drops a prefix of durable records
 * that the snapshot covers, as the real WAL deletes covered segments. Record positions are absolute
 * (counting compacted records), so the shell's release barriers stay valid across compaction.
 */
final class SimDisk {
  private final List<DurableRecord> records = new ArrayList<>();
  /** Records compacted away; position {@code p} is {@code records.get(p - compacted)}. */
  private int compacted;
  private int synced;
  private boolean syncing;
  /** The log length a restart is sure to rebuild: durable commit records and the snapshot. */
  private long durableLength;
  private SimSnapshot snapshot;

  /** Appends records; returns the count a step's other effects must wait for. */
  int write(List<DurableRecord> batch) {
    records.addAll(batch);
    return issued();
  }

  /** Writes and syncs one record at once (a shell's first write, before the node is built). */
  void writeDurable(DurableRecord r) {
    records.add(r);
    syncDone(issued());
  }

  boolean isEmpty() {
    return issued() == 0 && snapshot == null;
  }

  int issued() {
    return compacted + records.size();
  }

  int synced() {
    return synced;
  }

  long durableLength() {
    return durableLength;
  }

  SimSnapshot snapshot() {
    return snapshot;
  }

  /** True when an fsync should start now: records wait and none is running. */
  boolean needsSync() {
    return !syncing && synced < issued();
  }

  /** Starts an fsync covering everything issued so far; returns the count it will make durable. */
  int startSync() {
    syncing = true;
    return issued();
  }

  /** The fsync started at {@code target} completed. */
  void syncDone(int target) {
    syncing = false;
    for (int i = synced; i < target; i++) {
      if (records.get(i - compacted) instanceof DurableRecord.CommitRecord c) {
        durableLength = Math.max(durableLength, c.entries().get(c.entries().size() - 1).index());
      }
    }
    synced = Math.max(synced, target);
  }

  /** A snapshot file became durable; an older one never replaces a newer one. */
  void snapshotDurable(SimSnapshot s) {
    if (snapshot == null || s.length() > snapshot.length()) {
      snapshot = s;
    }
    durableLength = Math.max(durableLength, s.length());
  }

  /** Drops the longest durable prefix of records that the snapshot covers. */
  void compact() {
    if (snapshot == null) {
      return;
    }
    int drop = 0;
    while (compacted + drop < synced && covered(drop)) {
      drop++;
    }
    records.subList(0, drop).clear();
    compacted += drop;
  }

  /** Whether the snapshot makes {@code records.get(at)} (a durable one) unnecessary. */
  private boolean covered(int at) {
    DurableRecord r = records.get(at);
    long l = snapshot.length();
    if (r instanceof DurableRecord.CommitRecord c) {
      return c.entries().get(c.entries().size() - 1).index() <= l;
    } else if (r instanceof DurableRecord.VoteRecord v) {
      return v.length() < l;
    } else if (r instanceof DurableRecord.PromiseRecord p) {
      return p.length() < l;
    } else if (r instanceof DurableRecord.AcceptRecord a) {
      return a.length() < l;
    } else if (r instanceof DurableRecord.ConfigRecord c) {
      return c.membership().version() <= snapshot.membership().version();
    } else if (r instanceof DurableRecord.ClockRecord k) {
      // Needed until a later record carries a floor at least as high (as the WAL keeps it).
      int durable = synced - compacted;
      for (int i = at + 1; i < durable; i++) {
        if (records.get(i) instanceof DurableRecord.ClockRecord n && n.ts() >= k.ts()) {
          return true;
        }
      }
    }
    return false;
  }

  /** The process died: keep the durable prefix plus a random prefix of the rest. Returns the lost count. */
  int crash(SplittableRandom random) {
    int unsynced = issued() - synced;
    int keep = unsynced == 0 ? 0 : random.nextInt(unsynced + 1);
    int lost = unsynced - keep;
    records.subList(synced + keep - compacted, records.size()).clear();
    syncing = false;
    // What survived is on the platter now; the restarted process reads it back as durable.
    syncDone(issued());
    return lost;
  }

  /** True when a round-0 vote on instance ({@code length}, {@code head}) is durable (planted bugs only). */
  boolean durableVote(long length, raftsimple.chain.Hash head) {
    for (int i = synced - compacted - 1; i >= 0; i--) {
      if (records.get(i) instanceof DurableRecord.VoteRecord v && v.length() == length
          && v.head().equals(head)) {
        return true;
      }
    }
    return false;
  }

  /** True when an accept at {@code ballot} on that instance is durable (planted bugs only). */
  boolean durableAccept(long length, raftsimple.chain.Hash head, raftsimple.core.msg.Ballot ballot) {
    for (int i = synced - compacted - 1; i >= 0; i--) {
      if (records.get(i) instanceof DurableRecord.AcceptRecord a && a.length() == length
          && a.head().equals(head) && a.ballot().equals(ballot)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Rebuilds the durable state as a restart does: the newest snapshot, if any, then every record
   * (records the snapshot covers are skipped by {@link DurableState}).
   */
  DurableState replay() {
    DurableState d = snapshot == null ? new DurableState()
        : new DurableState(snapshot.length(), snapshot.head(), snapshot.membership());
    for (DurableRecord r : records) {
      d.apply(r);
    }
    return d;
  }
}
