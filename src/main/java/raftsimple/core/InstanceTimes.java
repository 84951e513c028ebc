package raftsimple.core;

/**
 * How long recent instances took on this node, from its first part in one (a proposal or vote) to
 * its decision, and the recovery delay that follows from it (docs/PROTOCOL.md §5.3, issue "no
 * stall when a node dies"): a small multiple of the slowest of the last {@value #WINDOW}
 * instances, at least {@code floorMs}, at most the head timeout. A paused or dead proposer then
 * costs a few instance times, not the configured head timeout; an instance that is merely slow
 * because the whole cluster is slow stretches the window with it. Starting recovery early is
 * always safe (it is the ballot protocol), only wasteful when the proposer was alive.
 */
final class InstanceTimes {
  static final int WINDOW = 32;
  /** Recovery waits this many times the slowest recent instance. */
  static final int MULTIPLE = 4;

  private final long[] recent = new long[WINDOW];
  private int count;
  private int next;

  void record(long durationMs) {
    recent[next] = Math.max(0, durationMs);
    next = (next + 1) % WINDOW;
    count = Math.min(count + 1, WINDOW);
  }

  /** The slowest of the recent instances (0 when none was recorded). */
  long slowestMs() {
    long max = 0;
    for (int i = 0; i < count; i++) {
      max = Math.max(max, recent[i]);
    }
    return max;
  }

  /**
   * The delay before this node starts recovering a stalled instance: {@value #MULTIPLE} × the
   * slowest recent instance, within [{@code floorMs}, {@code headTimeoutMs}]; a fifth of the head
   * timeout until enough instances were seen to judge (after a start, when a whole cluster that
   * restarted must recover the instances of its restart window).
   */
  long recoveryDelayMs(long floorMs, long headTimeoutMs) {
    if (count < 4) {
      return Math.max(Math.min(floorMs, headTimeoutMs), headTimeoutMs / 5);
    }
    return Math.max(Math.min(floorMs, headTimeoutMs), Math.min(headTimeoutMs, MULTIPLE * slowestMs()));
  }
}
