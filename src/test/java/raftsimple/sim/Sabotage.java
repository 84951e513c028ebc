package raftsimple.sim;

/**
 * Bugs planted in the simulated environment (never in production code) to show that the checkers
 * have teeth (PlantedBugTest). {@link #NONE} in every normal run.
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
  INSTALL_AFTER_CATCHING_UP
}
