package raftsimple.core;

import raftsimple.core.msg.Membership;
import raftsimple.chain.ChainVerifier;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.DurableRecord.AcceptRecord;
import raftsimple.core.msg.DurableRecord.CommitRecord;
import raftsimple.core.msg.DurableRecord.PromiseRecord;
import raftsimple.core.msg.DurableRecord.VoteRecord;
import raftsimple.core.msg.Proposal;

/**
 * What a node rebuilds from its write-ahead log on restart: the committed chain and, for the one
 * instance at its head, its round-0 vote, its highest promise and its highest accepted value
 * (docs/PROTOCOL.md §6). Built by folding the records in write order with {@link #apply}; records
 * about instances the head has already passed are ignored, since those instances are decided.
 */
public final class DurableState {
  final CommittedLog log;
  /** The configuration at the head, or null until a config record or snapshot supplies one. */
  Membership membership;
  Proposal vote;
  Ballot promised;
  Ballot acceptedBallot;
  Proposal acceptedValue;
  /** The highest {@link DurableRecord.ClockRecord} replayed (0: none). */
  long clockFloor;

  public DurableState() {
    this.log = new CommittedLog();
  }

  /** Starts from a snapshot of the first {@code length} entries, ending in {@code head}. */
  public DurableState(long length, Hash head, Membership membership) {
    this.log = new CommittedLog(length, head);
    this.membership = membership;
  }

  /** The founding configuration: every initial voter (no URLs known to the core). */
  public static Membership initialMembership(NodeSettings s) {
    java.util.List<Membership.Member> ms = new java.util.ArrayList<>();
    for (String v : s.voters()) {
      ms.add(new Membership.Member(v, "", Membership.Role.VOTER));
    }
    if (s.readOnly() && !s.voters().contains(s.nodeId())) {
      ms.add(new Membership.Member(s.nodeId(), "", Membership.Role.READ_ONLY));
    }
    return new Membership(0, ms);
  }

  public Membership membership() {
    return membership;
  }

  public long length() {
    return log.length();
  }

  public Hash head() {
    return log.head();
  }

  public CommittedLog log() {
    return log;
  }

  /**
   * Folds one record. A commit record that does not continue the chain means the log on disk is
   * inconsistent; that throws {@link IllegalStateException} naming the problem.
   */
  public void apply(DurableRecord r) {
    if (r instanceof DurableRecord.ClockRecord k) {
      clockFloor = Math.max(clockFloor, k.ts());
      return;
    }
    if (r instanceof DurableRecord.ConfigRecord c) {
      if (membership == null || c.membership().version() >= membership.version()) {
        membership = c.membership();
      }
      return;
    }
    if (r instanceof CommitRecord c) {
      if (c.entries().get(c.entries().size() - 1).index() <= log.length()) {
        return; // covered by the snapshot this state started from
      }
      String problem = ChainVerifier.firstProblem(log.length(), log.head(), c.entries());
      Check.state(problem == null, "replayed commit does not extend the chain: %s", problem);
      log.appendBatch(c.entries());
      if (membership != null) {
        for (raftsimple.chain.LogEntry e : c.entries()) {
          Membership.Result res = SystemEntries.applyTo(membership, e);
          if (res != null) {
            membership = res.membership();
          }
        }
      }
      vote = null;
      promised = null;
      acceptedBallot = null;
      acceptedValue = null;
    } else if (r instanceof VoteRecord v) {
      if (atHead(v.length(), v.head())) {
        vote = v.proposal();
      }
    } else if (r instanceof PromiseRecord p) {
      if (atHead(p.length(), p.head()) && p.ballot().greaterThan(promised)) {
        promised = p.ballot();
      }
    } else if (r instanceof AcceptRecord a) {
      if (atHead(a.length(), a.head())) {
        acceptedBallot = a.ballot();
        acceptedValue = a.value();
        if (a.ballot().greaterThan(promised)) {
          promised = a.ballot();
        }
      }
    }
  }

  private boolean atHead(long length, Hash head) {
    return length == log.length() && head.equals(log.head());
  }
}
