package raftsimple.core;

/**
 * Deliberately broken variants of the protocol's rules, one per relaxation the fast path makes
 * (docs/PROTOCOL.md §5.5, §16): the simulator's planted-bug tests switch one on and must see a
 * checker fail. They exist so that a test can prove the simulator would catch the same change done
 * wrong; nothing outside the tests ever sets one ({@link NodeSettings#planted} is empty unless a
 * test asks).
 */
public enum Planted {
  /**
   * Trap 1 (early send, old rule): no restart window (R5). A node that sent a proposal before its
   * vote was durable, crashed and restarted votes round 0 for another proposal on the same instance.
   */
  NO_RESTART_WINDOW,
  /**
   * Trap 2 (early effects, no flag): a round-0 decision is released at once, before its record is
   * durable and without durable grants from a majority of the other voters (B without B2).
   */
  RELEASE_ON_DECISION,
  /**
   * Trap 3: the proposer counts its own vote before that vote is durable (R2 broken), with its
   * decisions' effects released at once, as in the model's trap (our release rule R4 alone would
   * hide the mistake: a durable commit record implies a durable vote, and the others' grants do
   * not count the proposer's).
   */
  OWN_VOTE_COUNTED_EARLY,
  /** Trap 4 (B2 without the flag): promises never say that their sender restarted (R6 blind). */
  NO_RESTARTED_FLAG,
  /**
   * Failover: a recovery started early, on a failure report, takes the free choice even where a
   * proposal might be committed.
   */
  EARLY_RECOVERY_IGNORES_POSSIBLE_COMMIT,
  /**
   * H7 witnesses from released positions: position reports ({@code Status}), including the last
   * report to a removed node, claim this node's released length and leave at once, and the
   * confirmation of a membership change counts any message's position; so a removed node may be
   * told that a member holds its removal before that member's commit record is durable.
   */
  H7_WITNESS_NOT_DURABLE
}
