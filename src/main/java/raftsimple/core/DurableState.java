package raftsimple.core;

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
  Proposal vote;
  Ballot promised;
  Ballot acceptedBallot;
  Proposal acceptedValue;

  public DurableState() {
    this.log = new CommittedLog();
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
    if (r instanceof CommitRecord c) {
      String problem = ChainVerifier.firstProblem(log.length(), log.head(), c.entries());
      Check.state(problem == null, "replayed commit does not extend the chain: %s", problem);
      log.appendBatch(c.entries());
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
