package raftsimple.ingress;

/**
 * The bounds of one {@code GET /watch} stream (docs/WATCH.md "Limits").
 *
 * @param pageEntries entries asked of the log per history page while catching up
 * @param heldEntriesMax live entries held for a watcher that is catching up or whose connection is
 *     not taking writes; beyond it they are dropped and read back from the log later
 * @param heldBytesMax the same bound in (approximate) bytes
 * @param keepAliveMs a comment line is written after this long without any other write
 * @param stallMsMax a connection that takes no writes for this long is closed as a slow consumer
 * @param closeGraceMs how long the final event may take to leave before the connection is closed
 * @param retryMs the reconnection delay the stream advises ({@code retry:})
 */
record WatchLimits(int pageEntries, int heldEntriesMax, long heldBytesMax, long keepAliveMs,
    long stallMsMax, long closeGraceMs, long retryMs) {
  static final WatchLimits DEFAULTS = new WatchLimits(256, 4_096, 16L << 20, 5_000, 15_000, 5_000, 1_000);

  WatchLimits {
    if (pageEntries < 1 || pageEntries > ReadRoutes.LOG_LIMIT_MAX || heldEntriesMax < 1
        || heldBytesMax < 1 || keepAliveMs < 1 || stallMsMax < 1 || closeGraceMs < 1 || retryMs < 1) {
      throw new IllegalArgumentException("watch limits out of range: pageEntries " + pageEntries
          + " (1.." + ReadRoutes.LOG_LIMIT_MAX + "), every other value >= 1");
    }
  }
}
