package raftsimple.core.msg;

import java.util.List;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/**
 * A message between two nodes' protocol cores (docs/PROTOCOL.md §4 lists each with its rules).
 *
 * <p>Every message carries the sender's committed position: {@code length} entries ending in
 * {@code head}. For the consensus messages that position also names the instance the message is
 * about (a node only takes part in the instance at its own head). Transports deliver messages at most
 * once each, in any order, or not at all; the core tolerates loss, duplication and reordering.
 */
public sealed interface Message
    permits Message.Propose,
        Message.Vote,
        Message.Commit,
        Message.Prepare,
        Message.Promise,
        Message.Accept,
        Message.Accepted,
        Message.Status,
        Message.Fetch,
        Message.FetchReply,
        Message.ReadQuery,
        Message.ReadReply,
        Message.SnapshotRead,
        Message.SnapshotData,
        Message.Forward {

  String from();

  String to();

  long length();

  Hash head();

  /** Round 0 (seed 13): the sender proposes {@code proposal} as the value after its head. */
  record Propose(String from, String to, long length, Hash head, Proposal proposal) implements Message {}

  /**
   * A voter's round-0 answer (the brief's "accept" message). {@code granted} is true when it voted
   * for {@code proposalId}; otherwise {@code votedFor}/{@code votedForProposer} name what it voted
   * for, or are null when it refused because it promised a recovery ballot, or because it
   * {@code abstained}: it restarted and may have proposed on this instance itself before its crash,
   * so it casts no round-0 vote here (docs/PROTOCOL.md §5.5, rule R5).
   */
  record Vote(
      String from,
      String to,
      long length,
      Hash head,
      Hash proposalId,
      boolean granted,
      Hash votedFor,
      String votedForProposer,
      boolean abstained)
      implements Message {}

  /** The value {@code valueId} is decided after {@code head} (seed 17a). */
  record Commit(String from, String to, long length, Hash head, Hash valueId) implements Message {}

  /** Recovery phase 1a at {@code ballot}. */
  record Prepare(String from, String to, long length, Hash head, Ballot ballot) implements Message {}

  /**
   * Recovery phase 1b. When {@code ok}, the sender promised {@code ballot} and reports its round-0
   * vote and its highest accepted ballot and value (each may be null). {@code restarted}: the
   * sender restarted within this instance's window (docs/PROTOCOL.md §5.5, rule R5), so a decision
   * it took on its own proposal before the crash may be forgotten; the recovery rule then counts
   * its proposal's votes without it (rule R6). When not ok, {@code promised} is the higher ballot
   * it is bound to.
   */
  record Promise(
      String from,
      String to,
      long length,
      Hash head,
      Ballot ballot,
      boolean ok,
      Ballot promised,
      Proposal round0Vote,
      Ballot acceptedBallot,
      Proposal acceptedValue,
      boolean restarted)
      implements Message {}

  /** Recovery phase 2a: accept {@code value} at {@code ballot}. */
  record Accept(String from, String to, long length, Hash head, Ballot ballot, Proposal value)
      implements Message {}

  /** Recovery phase 2b; when not ok, {@code promised} is the higher ballot the sender is bound to. */
  record Accepted(
      String from, String to, long length, Hash head, Ballot ballot, boolean ok, Ballot promised)
      implements Message {}

  /**
   * The sender's position, sent as a periodic heartbeat and in answer to a message about an instance
   * the sender has already left behind. {@code voted} says whether it has an undecided vote or
   * accepted value at its head.
   */
  record Status(String from, String to, long length, Hash head, boolean voted) implements Message {}

  /** Catch-up: send me up to {@code max} committed entries from index {@code fromIndex}. */
  record Fetch(String from, String to, long length, Hash head, long fromIndex, int max)
      implements Message {}

  /**
   * Whole committed batches starting at index {@code fromIndex} (possibly none). Each inner list is
   * the value decided by one instance, so a node that catches up always stands on an instance
   * boundary (docs/PROTOCOL.md §7).
   */
  record FetchReply(
      String from,
      String to,
      long length,
      Hash head,
      long fromIndex,
      List<List<LogEntry>> batches,
      long snapshotLength)
      implements Message {
    public FetchReply {
      batches = List.copyOf(batches);
    }
  }

  /**
   * H5 forwarding: the sender voted for the recipient's proposal on head ({@code length},
   * {@code head}) and asks it to carry these entries (the sender's own) in its proposal on the very
   * next instance, or not at all (docs/PROTOCOL.md §8).
   */
  record Forward(String from, String to, long length, Hash head, List<raftsimple.chain.Entry> entries)
      implements Message {
    public Forward {
      entries = List.copyOf(entries);
    }
  }

  /**
   * Snapshot transfer, handled by the shells (the core only asks for it): send me up to {@code max}
   * bytes of your snapshot file at {@code snapshotLength} from {@code offset}.
   */
  record SnapshotRead(
      String from, String to, long length, Hash head, long snapshotLength, long offset, int max)
      implements Message {}

  /**
   * A chunk of a snapshot file ({@code total} bytes in all; {@code data} empty with total 0 when
   * the snapshot is no longer available). The file ends in its own SHA-256, checked on arrival.
   */
  record SnapshotData(
      String from, String to, long length, Hash head, long snapshotLength, long offset, long total,
      byte[] data)
      implements Message {
    @Override
    public boolean equals(Object o) {
      return o instanceof SnapshotData d && d.from.equals(from) && d.to.equals(to)
          && d.length == length && d.head.equals(head) && d.snapshotLength == snapshotLength
          && d.offset == offset && d.total == total && java.util.Arrays.equals(d.data, data);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(from, to, snapshotLength, offset);
    }
  }

  /** Linearizable-read barrier: report your position and whether you have an undecided vote. */
  record ReadQuery(String from, String to, long length, Hash head, long readRound) implements Message {}

  /** Answer to {@link ReadQuery}: {@code voted} as in {@link Status}. */
  record ReadReply(String from, String to, long length, Hash head, long readRound, boolean voted)
      implements Message {}
}
