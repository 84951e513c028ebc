package raftsimple.core.quorum;

/** Majority arithmetic for a voter set of size {@code n} (etcd {@code quorum/majority.go}). */
public final class Majority {
  private Majority() {}

  /** The smallest number of voters that overlaps every other such set: ⌊n/2⌋ + 1. */
  public static int of(int voters) {
    if (voters < 1) {
      throw new IllegalArgumentException("a cluster has at least one voter, got " + voters);
    }
    return voters / 2 + 1;
  }

  /** True when {@code yes} votes already form a majority. */
  public static boolean reached(int yes, int voters) {
    return yes >= of(voters);
  }

  /**
   * True when a proposal with {@code yes} votes can no longer reach a majority, given that
   * {@code unheard} voters have not answered yet (seed step 16 / H4: a split vote is detected
   * without waiting for a timeout).
   */
  public static boolean impossible(int yes, int unheard, int voters) {
    return yes + unheard < of(voters);
  }
}
