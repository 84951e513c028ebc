package raftsimple.core;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a protocol core needs to know about itself; derived from the node config by the shell and
 * from swarm options by the simulator.
 *
 * @param voters every initial voting member, this node included unless read-only
 * @param headTimeoutMs seed 16: how long an undecided instance may stall before recovery
 * @param retransmitMs how long before an unanswered protocol message is sent again
 * @param heartbeatMs interval of position heartbeats to every peer
 * @param readTimeoutMs how long a linearizable read barrier may wait for a majority
 * @param planted deliberately broken rules, for the simulator's planted-bug tests only (empty in
 *     every real node)
 */
public record NodeSettings(
    String nodeId,
    List<String> voters,
    boolean readOnly,
    long headTimeoutMs,
    long retransmitMs,
    long heartbeatMs,
    long readTimeoutMs,
    int batchEntriesMax,
    int batchBytesMax,
    int pendingEntriesMax,
    int catchUpEntriesMax,
    java.util.Set<Planted> planted) {

  public NodeSettings {
    Objects.requireNonNull(nodeId, "nodeId");
    voters = List.copyOf(new TreeSet<>(voters));
    if (!readOnly && !voters.contains(nodeId)) {
      throw new IllegalArgumentException("a writable node is one of the voters");
    }
    planted = planted.isEmpty() ? java.util.Set.of() : java.util.Set.copyOf(planted);
  }

  /** Settings with no planted bug: what every real node runs. */
  public NodeSettings(String nodeId, List<String> voters, boolean readOnly, long headTimeoutMs,
      long retransmitMs, long heartbeatMs, long readTimeoutMs, int batchEntriesMax,
      int batchBytesMax, int pendingEntriesMax, int catchUpEntriesMax) {
    this(nodeId, voters, readOnly, headTimeoutMs, retransmitMs, heartbeatMs, readTimeoutMs,
        batchEntriesMax, batchBytesMax, pendingEntriesMax, catchUpEntriesMax, java.util.Set.of());
  }

  boolean has(Planted bug) {
    return planted.contains(bug);
  }

  /** These settings with {@code bug} planted (tests only). */
  public NodeSettings withPlanted(Planted bug) {
    java.util.Set<Planted> p = new java.util.HashSet<>(planted);
    p.add(bug);
    return new NodeSettings(nodeId, voters, readOnly, headTimeoutMs, retransmitMs, heartbeatMs,
        readTimeoutMs, batchEntriesMax, batchBytesMax, pendingEntriesMax, catchUpEntriesMax, p);
  }

  /**
   * The shortest recovery delay (docs §5.3): the adaptive delay never goes below it, so a node
   * never pre-empts an instance that is merely a few fsyncs slow.
   */
  long recoveryFloorMs() {
    return Math.min(headTimeoutMs, Math.max(50, headTimeoutMs / 15));
  }

  /** Defaults for a node named {@code nodeId} among {@code voters}. */
  public static NodeSettings of(String nodeId, List<String> voters, long headTimeoutMs) {
    return new NodeSettings(
        nodeId, voters, false, headTimeoutMs, Math.max(20, headTimeoutMs / 5), 200,
        Math.max(1_000, headTimeoutMs * 2), 2_048, 4 << 20, 50_000, 4_096);
  }
}
