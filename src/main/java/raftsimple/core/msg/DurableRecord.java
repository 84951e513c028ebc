package raftsimple.core.msg;

import java.util.List;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/**
 * What the core asks to be written to its write-ahead log, in order (docs/PROTOCOL.md §6). Every
 * message or reply produced in the same or a later step leaves the node only after these records are
 * durable. Replaying the records in order ({@code core.DurableState}) rebuilds the node.
 */
public sealed interface DurableRecord
    permits DurableRecord.VoteRecord,
        DurableRecord.PromiseRecord,
        DurableRecord.AcceptRecord,
        DurableRecord.CommitRecord,
        DurableRecord.ConfigRecord,
        DurableRecord.ClockRecord {

  /**
   * The highest timestamp this node has stamped an entry with (docs/PROTOCOL.md §10): written in the
   * step that stamps it, so it is durable before any message carrying the entry leaves. A restart
   * starts the txid clock above it: an entry forwarded and committed elsewhere before a crash may
   * reach this node only inside a snapshot (no txids), and a clock stepped back would otherwise
   * stamp a retry of the same payload with the same txid (simulator, membership seed 208011).
   */
  record ClockRecord(long ts) implements DurableRecord {}

  /**
   * The configuration this node starts from: written once, before anything else, by a founding
   * member (from its config file) or a joining node (from the cluster it joined). Later changes
   * come from membership entries in the log.
   */
  record ConfigRecord(raftsimple.core.msg.Membership membership) implements DurableRecord {}

  /** Round-0 vote for {@code proposal} on the instance after ({@code length}, {@code head}). */
  record VoteRecord(long length, Hash head, Proposal proposal) implements DurableRecord {}

  /** Promise not to take part in rounds below {@code ballot} on that instance. */
  record PromiseRecord(long length, Hash head, Ballot ballot) implements DurableRecord {}

  /** Accepted {@code value} at {@code ballot} on that instance (also a promise of {@code ballot}). */
  record AcceptRecord(long length, Hash head, Ballot ballot, Proposal value) implements DurableRecord {}

  /**
   * One decided batch appended to the log, continuing the chain: the value of one instance, learned
   * by deciding it or by catching up. Its end is an instance boundary.
   */
  record CommitRecord(List<LogEntry> entries) implements DurableRecord {
    public CommitRecord {
      entries = List.copyOf(entries);
      if (entries.isEmpty()) {
        throw new IllegalArgumentException("a commit record carries at least one entry");
      }
    }
  }
}
