package raftsimple.sim;

import raftsimple.chain.Hash;
import raftsimple.core.msg.Membership;

/**
 * A simulated snapshot file (docs/PROTOCOL.md §12): the first {@code length} entries, ending in
 * {@code head}, the configuration at that length, and the state they produce. The simulated state
 * machine's state is a digest of the applied txids ({@link SimStateMachine}), so a node restored
 * from a snapshot can be checked against the global chain.
 */
record SimSnapshot(long length, Hash head, Membership membership, long stateDigest) {
  @Override
  public String toString() {
    return "snapshot L" + length + "@" + head.shortHex() + " v" + membership.version();
  }
}
