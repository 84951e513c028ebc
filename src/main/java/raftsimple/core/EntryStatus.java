package raftsimple.core;

/**
 * What a node knows of one entry (the seed's three states). {@code index} is its log index when
 * committed, else -1; {@code origin} is the node that created it.
 */
public record EntryStatus(State state, long index, String origin) {
  public enum State {
    /** Known to this node, not accepted by it (queued here, or seen in a proposal it did not vote for). */
    PENDING,
    /** In the value this node voted for or accepted on its head; awaiting the cluster's decision. */
    ACCEPTED,
    /** In the committed log. */
    COMMITTED
  }
}
