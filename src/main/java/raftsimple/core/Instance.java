package raftsimple.core;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;

/**
 * This node's state for the one consensus instance it takes part in: the instance that decides the
 * batch after its head ({@code length}, {@code head}) (docs/PROTOCOL.md §3). Replaced by a fresh
 * instance whenever the head moves.
 *
 * <p>Durable part (rebuilt from the WAL): {@code vote}, {@code promised}, {@code acceptedBallot},
 * {@code acceptedValue}. Invariants: {@code vote} never changes once set (H1, one round-0 vote per
 * head); {@code promised} only grows; {@code acceptedBallot ≤ promised}; this node decides in round 0
 * only while {@code promised == null}.
 */
final class Instance {
  final long length;
  final Hash head;

  // Durable voter state.
  Proposal vote;
  Ballot promised;
  Ballot acceptedBallot;
  Proposal acceptedValue;

  /** Every value seen at this instance, by id (from proposals, accepts and promises). */
  final Map<Hash, Proposal> known = new HashMap<>();
  /** Round-0 proposals only: value id → proposer. Never fed from recovery values. */
  final Map<Hash, String> round0Proposer = new HashMap<>();

  // Round-0 proposer state.
  Proposal mine;
  /** The number of the VoteRecord for {@code mine}: this node's own grant counts once it is durable (R2). */
  long mineVoteSeq;
  /** Voters whose grant for {@code mine} is durable; this node only once its own vote is (R2). */
  final TreeSet<String> grants = new TreeSet<>();
  /** Voter → the value it voted for instead of {@code mine} (null value: it promised or abstained). */
  final Map<String, Hash> refusals = new TreeMap<>();
  /** Voters that abstained from round 0 here (restarted within their window, rule R5). */
  final TreeSet<String> abstained = new TreeSet<>();

  // Recovery coordinator state.
  Ballot myBallot;
  final Map<String, Message.Promise> promises = new TreeMap<>();
  /** Set when this recovery started early, on a failure report rather than a timeout (planted bugs). */
  boolean earlyRecovery;
  Proposal chosen;
  final TreeSet<String> acceptedBy = new TreeSet<>();
  /** Highest round seen in any ballot at this instance, to pick the next one above it. */
  long maxRoundSeen;

  // Timers (monotonic ms; Long.MAX_VALUE = not armed).
  long recoveryAtMs = Long.MAX_VALUE;
  long retransmitAtMs = Long.MAX_VALUE;
  /** Recoveries this node started here; each doubles its next recovery wait (H4, no livelock). */
  int recoveries;
  /** Set once this node reacted to a split vote here, so it reacts once. */
  boolean splitHandled;
  /** When this node first took part here (proposed, voted, promised); for {@link InstanceTimes}. */
  long activeSinceMs = -1;
  /** When this node reached this head (monotonic ms). */
  final long reachedMs;

  Instance(long length, Hash head, long reachedMs) {
    this.length = length;
    this.head = head;
    this.reachedMs = reachedMs;
  }

  /** Notes that this node takes part here from {@code nowMs} on (first call wins). */
  void takePart(long nowMs) {
    if (activeSinceMs < 0) {
      activeSinceMs = nowMs;
    }
  }

  boolean matches(long length, Hash head) {
    return this.length == length && this.head.equals(head);
  }

  /** True when this node has an undecided vote or accepted value here (read barrier, stall timer). */
  boolean voted() {
    return vote != null || acceptedValue != null;
  }

  /** True when this node has taken part here in any way that must end in a decision. */
  boolean active() {
    return vote != null || promised != null || acceptedValue != null;
  }

  void learn(Proposal p) {
    known.putIfAbsent(p.id(), p);
  }

  void learnRound0(Proposal p) {
    learn(p);
    round0Proposer.putIfAbsent(p.id(), p.proposer());
  }

  void seeBallot(Ballot b) {
    if (b != null) {
      maxRoundSeen = Math.max(maxRoundSeen, b.round());
    }
  }
}
