package raftsimple.sim;

/** Which options a seed draws (docs/SIMULATION.md). */
enum Swarm {
  /** A fixed set of 3, 5 or 7 voters; no membership changes, no snapshots. */
  CLASSIC,
  /** Membership changes (joins, removals, promotions) and snapshots, with every classic fault. */
  MEMBERSHIP;

  SwarmOptions draw(java.util.SplittableRandom r) {
    return this == CLASSIC ? SwarmOptions.draw(r) : SwarmOptions.drawMembership(r);
  }

  /** The {@code -Dsim.swarm} value that selects this swarm. */
  String property() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
