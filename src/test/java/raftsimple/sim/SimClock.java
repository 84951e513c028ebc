package raftsimple.sim;

import java.util.SplittableRandom;

/**
 * The clocks the nodes see (H8). Each node incarnation has its own monotonic clock: an arbitrary
 * origin (a restarted process starts a new one) and a rate drift of up to {@code driftPpmMax}. Each
 * node has a wall clock skewed from simulated time by up to ±{@code wallSkewMaxMs} (hours) that
 * occasionally steps backwards, as NTP corrections do; it only feeds {@code Submit.wallMs}, i.e.
 * the txids. The protocol must not care about any of it.
 */
final class SimClock {
  /** Simulated time 0 is this wall-clock instant, so wall times look like real epoch millis. */
  private static final long EPOCH_MS = 1_700_000_000_000L;

  private final SplittableRandom random;
  private final SwarmOptions options;
  private final long[] monoOrigin;
  private final long[] driftPpm;
  private final long[] wallSkew;

  SimClock(SplittableRandom random, SwarmOptions options) {
    this.random = random;
    this.options = options;
    int n = options.idCount();
    monoOrigin = new long[n];
    driftPpm = new long[n];
    wallSkew = new long[n];
    for (int i = 0; i < n; i++) {
      newIncarnation(i);
      wallSkew[i] = options.wallSkewMaxMs == 0 ? 0
          : random.nextLong(-options.wallSkewMaxMs, options.wallSkewMaxMs + 1);
    }
  }

  /** A restarted process gets a fresh monotonic origin and rate. */
  void newIncarnation(int node) {
    monoOrigin[node] = random.nextLong(1L << 40);
    driftPpm[node] = options.driftPpmMax == 0 ? 0
        : random.nextLong(-options.driftPpmMax, options.driftPpmMax + 1);
  }

  /** Node {@code node}'s monotonic milliseconds at simulated time {@code simMs}. */
  long monoMs(int node, long simMs) {
    return monoOrigin[node] + simMs + simMs * driftPpm[node] / 1_000_000;
  }

  /** Node {@code node}'s wall-clock milliseconds at simulated time {@code simMs}. */
  long wallMs(int node, long simMs) {
    return EPOCH_MS + simMs + wallSkew[node];
  }

  /** Steps node {@code node}'s wall clock back by up to ten minutes; returns the step. */
  long stepBack(int node) {
    long step = 1 + random.nextLong(600_000);
    wallSkew[node] -= step;
    return step;
  }
}
