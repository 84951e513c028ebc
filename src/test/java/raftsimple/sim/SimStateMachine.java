package raftsimple.sim;

import java.util.List;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/**
 * The simulated shell's state machine: it applies released committed entries in log order, and its
 * whole state is a digest of the txids applied so far. Applying is idempotent for entries at or
 * below {@code applied} (a restart or an installed snapshot may already cover them); a gap means
 * the shell skipped an entry, which the checkers report. {@link Checkers} compares the digest with
 * the global chain's digest at the same length ("state" invariant).
 */
final class SimStateMachine {
  private long applied;
  private long digest;

  long applied() {
    return applied;
  }

  long digest() {
    return digest;
  }

  /** The digest after applying {@code txid} to a state with digest {@code digest}. */
  static long next(long digest, Hash txid) {
    byte[] b = txid.toBytes();
    long x = 0;
    for (int i = 0; i < 8; i++) {
      x = (x << 8) | (b[i] & 0xff);
    }
    return digest * 0x9E3779B97F4A7C15L + x;
  }

  void reset() {
    applied = 0;
    digest = 0;
  }

  void restore(SimSnapshot s) {
    applied = s.length();
    digest = s.stateDigest();
  }

  /** Applies a committed batch; throws {@link SimFailure} on a gap. */
  void apply(String node, List<LogEntry> batch) {
    for (LogEntry e : batch) {
      if (e.index() <= applied) {
        continue;
      }
      if (e.index() != applied + 1) {
        throw new SimFailure("state", node + " was asked to apply entry " + e.index()
            + " after entry " + applied + ": the shell skipped committed entries");
      }
      digest = next(digest, e.txid());
      applied++;
    }
  }
}
