package raftsimple.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import raftsimple.core.DurableState;
import raftsimple.core.msg.DurableRecord;

/**
 * One node's write-ahead log. Fault model: records are written in issue order; an fsync makes every
 * record issued before it started durable, after a random latency; fsyncs run one at a time (group
 * commit: records issued meanwhile wait for the next one). On a crash the durable prefix survives,
 * and so does any prefix of the unsynced records (they may have reached the platter without an
 * fsync; a torn tail record is dropped by the WAL's checksum, which is the same as a shorter
 * prefix). Nothing is corrupted in the middle: the real WAL treats that as a fatal error, not a
 * recoverable fault.
 */
final class SimDisk {
  private final List<DurableRecord> records = new ArrayList<>();
  private int synced;
  private boolean syncing;
  /** Entries in durable commit records: the length of the log a restart is sure to rebuild. */
  private long durableLogLength;

  /** Appends records; returns the count a step's other effects must wait for. */
  int write(List<DurableRecord> batch) {
    records.addAll(batch);
    return records.size();
  }

  int issued() {
    return records.size();
  }

  int synced() {
    return synced;
  }

  long durableLogLength() {
    return durableLogLength;
  }

  /** True when an fsync should start now: records wait and none is running. */
  boolean needsSync() {
    return !syncing && synced < records.size();
  }

  /** Starts an fsync covering everything issued so far; returns the count it will make durable. */
  int startSync() {
    syncing = true;
    return records.size();
  }

  /** The fsync started at {@code target} completed. */
  void syncDone(int target) {
    syncing = false;
    for (int i = synced; i < target; i++) {
      if (records.get(i) instanceof DurableRecord.CommitRecord c) {
        durableLogLength += c.entries().size();
      }
    }
    synced = Math.max(synced, target);
  }

  /** The process died: keep the durable prefix plus a random prefix of the rest. Returns the lost count. */
  int crash(SplittableRandom random) {
    int unsynced = records.size() - synced;
    int keep = unsynced == 0 ? 0 : random.nextInt(unsynced + 1);
    int lost = unsynced - keep;
    records.subList(synced + keep, records.size()).clear();
    syncing = false;
    // What survived is on the platter now; the restarted process reads it back as durable.
    syncDone(records.size());
    return lost;
  }

  /** True when a round-0 vote on instance ({@code length}, {@code head}) is durable (planted bugs only). */
  boolean durableVote(long length, raftsimple.chain.Hash head) {
    for (int i = synced - 1; i >= 0; i--) {
      if (records.get(i) instanceof DurableRecord.VoteRecord v && v.length() == length
          && v.head().equals(head)) {
        return true;
      }
    }
    return false;
  }

  /** True when an accept at {@code ballot} on that instance is durable (planted bugs only). */
  boolean durableAccept(long length, raftsimple.chain.Hash head, raftsimple.core.msg.Ballot ballot) {
    for (int i = synced - 1; i >= 0; i--) {
      if (records.get(i) instanceof DurableRecord.AcceptRecord a && a.length() == length
          && a.head().equals(head) && a.ballot().equals(ballot)) {
        return true;
      }
    }
    return false;
  }

  /** Replays the WAL as a restart does. */
  DurableState replay() {
    DurableState d = new DurableState();
    for (DurableRecord r : records) {
      d.apply(r);
    }
    return d;
  }
}
