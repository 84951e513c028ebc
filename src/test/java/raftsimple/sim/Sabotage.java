package raftsimple.sim;

/**
 * Bugs planted to show that the checkers have teeth (PlantedBugTest). Most live in the simulated
 * environment (network, shell); the fast path's relaxations are planted in the core's rules
 * through {@link raftsimple.core.Planted} ({@link #planted}), which only tests ever set. {@link
 * #NONE} in every normal run.
 */
enum Sabotage {
  NONE,
  /** The network turns one designated voter's refusing round-0 votes into grants: it votes twice (H1). */
  DOUBLE_VOTE,
  /** The shell sends every message before the step's records are durable (violates H2). */
  SEND_BEFORE_DURABLE,
  /**
   * The brief's flawed variant "a promise reports only durable state": the shell sends each promise
   * at once, ahead of earlier writes, and strips from it a round-0 vote or accepted value whose
   * record is not durable yet. A coordinator can then miss a vote that is about to let a round-0
   * proposal be decided.
   */
  PROMISE_REPORTS_DURABLE_ONLY,
  /**
   * H7: a joining node's shell writes a configuration record that makes it a voter at once (the
   * membership swarm only): it counts itself, and others never count it.
   */
  JOINER_BELIEVES_VOTER,
  /**
   * Snapshots: the shell installs a peer's snapshot even when its log caught up past it while the
   * transfer ran: it restores the state machine to the older state, and the core, which ignores
   * the install, goes on from its longer log (the membership swarm only).
   */
  INSTALL_AFTER_CATCHING_UP,
  /** FAST-PATH trap 1: no restart window, so a restarted proposer votes round 0 for another. */
  CORE_NO_RESTART_WINDOW(raftsimple.core.Planted.NO_RESTART_WINDOW),
  /** Trap 2: a round-0 decision is released before it is durable or covered by the others. */
  CORE_RELEASE_ON_DECISION(raftsimple.core.Planted.RELEASE_ON_DECISION),
  /** Trap 3: the proposer counts its own vote before it is durable. */
  CORE_OWN_VOTE_COUNTED_EARLY(raftsimple.core.Planted.OWN_VOTE_COUNTED_EARLY),
  /** Trap 4: promises never carry the restarted flag. */
  CORE_NO_RESTARTED_FLAG(raftsimple.core.Planted.NO_RESTARTED_FLAG),
  /** Failover: a recovery started on a peer-down report ignores a possibly committed proposal. */
  CORE_EARLY_RECOVERY_IGNORES_POSSIBLE_COMMIT(raftsimple.core.Planted.EARLY_RECOVERY_IGNORES_POSSIBLE_COMMIT),
  /** H7: a membership change is confirmed on positions that are released, not durable. */
  CORE_H7_WITNESS_NOT_DURABLE(raftsimple.core.Planted.H7_WITNESS_NOT_DURABLE);

  /** The core rule this sabotage breaks, or null when it is planted outside the core. */
  final raftsimple.core.Planted planted;

  Sabotage() {
    this(null);
  }

  Sabotage(raftsimple.core.Planted planted) {
    this.planted = planted;
  }
}
