package raftsimple.core.quorum;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The value-selection rule of a recovery coordinator (docs/PROTOCOL.md §5.3), as pure arithmetic over
 * what a quorum of promises reported. Names are opaque strings (node ids and value ids) so the rule
 * can be table-tested on its own, like etcd's {@code quorum} package.
 *
 * <p>Given promises from the voters in {@code promised} (a majority), in order of precedence:
 * <ol>
 *   <li>if any promiser accepted a value at a recovery ballot, the one with the highest ballot is
 *       {@link Kind#ACCEPTED} (classic Paxos);
 *   <li>else a round-0 proposal {@code P} by proposer {@code o} <em>might already be committed</em>
 *       only if {@code o} did not promise (a proposer that promised never decides in round 0) and
 *       {@code votes(P among promisers) + 1 + |possible other voters| ≥ majority}, where the possible
 *       other voters are the voters outside the quorum other than {@code o} and other than proposers
 *       of other known proposals (a proposer votes for its own proposal first). Exactly one such
 *       {@code P}: {@link Kind#MIGHT_BE_COMMITTED}; none: {@link Kind#FREE}; two or more:
 *       {@link Kind#WAIT} for more promises.
 * </ol>
 * If {@code P} was decided by {@code o}, a majority {@code M} voted for it before {@code o}
 * promised; the quorum meets {@code M}, and the voters of {@code M} outside the quorum are counted
 * as possible, so the inequality holds and {@code P} is never missed.
 *
 * <p>Rule R6 (docs/PROTOCOL.md §5.5): a proposer that <em>restarted</em> within the instance's
 * window may have decided {@code P} before its crash and released it on durable grants from a
 * majority of the <em>other</em> voters, then forgotten the decision. So when {@code o} promised
 * with the restarted flag, {@code P} might be committed iff {@code votes(P among promisers other
 * than o) + |possible other voters| ≥ majority} — no +1 for {@code o}, whose own vote is not what
 * released it. A decision that needed {@code o}'s own vote was released only once its commit
 * record was durable, and then {@code o} is past the instance and does not promise at all.
 */
public final class RecoveryChoice {
  private RecoveryChoice() {}

  public enum Kind {
    ACCEPTED,
    MIGHT_BE_COMMITTED,
    FREE,
    WAIT
  }

  /** {@code value} is the chosen value id for ACCEPTED and MIGHT_BE_COMMITTED, else null. */
  public record Result(Kind kind, String value) {}

  /** An accepted value reported in a promise; ballots compare by {@code (round, node)}. */
  public record AcceptedAt(long round, String node, String value) {}

  /**
   * @param voters every voter of the instance
   * @param promised the voters whose promises were received (a majority of {@code voters})
   * @param round0Votes promiser → value id it voted for in round 0 (absent: no vote)
   * @param accepted promiser → value it accepted at a recovery ballot (absent: none)
   * @param proposerOf every known round-0 proposal's value id → its proposer
   */
  public static Result choose(
      List<String> voters,
      Set<String> promised,
      Map<String, String> round0Votes,
      Map<String, AcceptedAt> accepted,
      Map<String, String> proposerOf) {
    return choose(voters, promised, round0Votes, accepted, proposerOf, Set.of());
  }

  /**
   * As above; {@code restarted} are the promisers whose promise carries the restarted flag (R6).
   */
  public static Result choose(
      List<String> voters,
      Set<String> promised,
      Map<String, String> round0Votes,
      Map<String, AcceptedAt> accepted,
      Map<String, String> proposerOf,
      Set<String> restarted) {
    AcceptedAt best = null;
    for (String v : new TreeSet<>(accepted.keySet())) {
      AcceptedAt a = accepted.get(v);
      if (best == null || a.round > best.round || (a.round == best.round && a.node.compareTo(best.node) > 0)) {
        best = a;
      }
    }
    if (best != null) {
      return new Result(Kind.ACCEPTED, best.value);
    }
    List<String> might = mightBeCommitted(voters, promised, round0Votes, proposerOf, restarted);
    if (might.isEmpty()) {
      return new Result(Kind.FREE, null);
    }
    if (might.size() == 1) {
      return new Result(Kind.MIGHT_BE_COMMITTED, might.get(0));
    }
    return new Result(Kind.WAIT, null);
  }

  /** The round-0 proposals that might have been decided, sorted by value id. */
  static List<String> mightBeCommitted(
      List<String> voters,
      Set<String> promised,
      Map<String, String> round0Votes,
      Map<String, String> proposerOf) {
    return mightBeCommitted(voters, promised, round0Votes, proposerOf, Set.of());
  }

  static List<String> mightBeCommitted(
      List<String> voters,
      Set<String> promised,
      Map<String, String> round0Votes,
      Map<String, String> proposerOf,
      Set<String> restarted) {
    int majority = Majority.of(voters.size());
    List<String> result = new ArrayList<>();
    for (String value : new TreeSet<>(round0Votes.values())) {
      String proposer = proposerOf.get(value);
      if (proposer == null || !voters.contains(proposer)) {
        continue; // not a round-0 proposal
      }
      boolean proposerPromised = promised.contains(proposer);
      if (proposerPromised && !restarted.contains(proposer)) {
        continue; // its proposer promised before deciding, so it never decided in round 0
      }
      int votes = 0;
      for (String q : promised) {
        if (value.equals(round0Votes.get(q)) && !q.equals(proposer)) {
          votes++;
        }
      }
      int possible = 0;
      for (String v : voters) {
        if (!promised.contains(v) && !v.equals(proposer) && !isOtherProposer(v, value, proposerOf)) {
          possible++;
        }
      }
      // An absent proposer voted for its own proposal first (+1); a restarted one that promised
      // is counted by the others' votes only (R6).
      int own = proposerPromised ? 0 : 1;
      if (votes + own + possible >= majority) {
        result.add(value);
      }
    }
    return result;
  }

  private static boolean isOtherProposer(String voter, String value, Map<String, String> proposerOf) {
    for (Map.Entry<String, String> p : proposerOf.entrySet()) {
      if (p.getValue().equals(voter) && !p.getKey().equals(value)) {
        return true;
      }
    }
    return false;
  }
}
