package raftsimple.chain;

import java.util.List;

/**
 * Checks that entries form a valid continuation of a chain: consecutive indexes, each {@code prev}
 * equal to the previous hash, each hash recomputed, each txid recomputed from its content. Used on
 * every batch that arrives from a peer (catch-up) or from disk (replay), before anything is applied.
 */
public final class ChainVerifier {
  private ChainVerifier() {}

  /** The first problem found, or null when the entries extend ({@code length}, {@code head}). */
  public static String firstProblem(long length, Hash head, List<LogEntry> entries) {
    long expectIndex = length + 1;
    Hash prev = head;
    for (LogEntry le : entries) {
      if (le.index() != expectIndex) {
        return "expected index " + expectIndex + ", found " + le.index();
      }
      if (!le.prev().equals(prev)) {
        return "entry " + le.index() + ": prev " + le.prev().shortHex() + " does not match hash "
            + prev.shortHex() + " of entry " + (le.index() - 1);
      }
      if (!le.entry().verify()) {
        return "entry " + le.index() + ": txid does not match its timestamp, origin and payload";
      }
      if (!Hashing.chain(prev, le.txid()).equals(le.hash())) {
        return "entry " + le.index() + ": hash is not SHA-256(prev || txid)";
      }
      prev = le.hash();
      expectIndex++;
    }
    return null;
  }
}
