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
   * The shell sends a decision's commit messages before its commit record is durable. After a crash
   * the node comes back knowing only its durable vote and promises on that basis: the brief's flawed
   * variant "a promise reports only durable state", in the only form this core can express.
   */
  COMMIT_BEFORE_DURABLE
}
