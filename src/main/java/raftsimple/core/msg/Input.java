package raftsimple.core.msg;

/**
 * Everything that can happen to a node's protocol core. Time and the wall clock arrive as data so the
 * core stays deterministic (STYLE rule 3): {@code nowMs} is the shell's monotonic clock,
 * {@code wallMs} the origin's wall clock used only inside its own txids (H8).
 */
public sealed interface Input
    permits Input.Tick,
        Input.Submit,
        Input.Receive,
        Input.ReadBarrier,
        Input.SnapshotTaken,
        Input.SnapshotInstalled,
        Input.Persisted,
        Input.PeerDown,
        Input.PeerUp {

  /**
   * The monotonic clock advanced to {@code nowMs}: run the timers that are due (head timeout,
   * retransmits, heartbeats). The shell ticks at {@code Node.nextDeadlineMs()}, not periodically.
   */
  record Tick(long nowMs) implements Input {}

  /**
   * Storage report (etcd's async storage writes): every record this process issued, counted from 1
   * in {@code Effects.persist} order, up to and including number {@code records}, is durable
   * (docs/PROTOCOL.md §6). The core counts a vote of its own, and releases a decision it took, only
   * once the shell says so.
   */
  record Persisted(long records) implements Input {}

  /**
   * The transport lost its connection to {@code peer} (refused, reset, TLS failure, a cluster
   * member leaving) — a hint, never trusted for safety: a live but slow peer may be reported down
   * (docs/PROTOCOL.md §15). {@code reason} is for traces and logs.
   */
  record PeerDown(String peer, String reason) implements Input {}

  /** The transport reached {@code peer} again after a {@link PeerDown}. */
  record PeerUp(String peer) implements Input {}

  /**
   * A client entry that the state machine pre-validated (seed 12a). {@code ref} is the shell's handle
   * for the waiting client; the core answers with {@link ClientEvent.Assigned} or
   * {@link ClientEvent.Refused}.
   */
  record Submit(long ref, long wallMs, byte[] payload, String idempotencyKey) implements Input {}

  /** A message from a peer, delivered by a transport. */
  record Receive(Message message) implements Input {}

  /**
   * A linearizable read wants to know how far the local log must reach (docs/PROTOCOL.md §9); the
   * core answers with {@link ClientEvent.ReadReady} or {@link ClientEvent.ReadFailed}.
   */
  record ReadBarrier(long ref) implements Input {}

  /**
   * The shell made a snapshot of the state after the first {@code length} entries durable
   * (docs/PROTOCOL.md §12): the core may drop entries before it from memory, keeping
   * {@code retainEntries} before it for peers that are only a little behind.
   */
  record SnapshotTaken(long length, int retainEntries) implements Input {}

  /**
   * The shell installed a snapshot received from a peer (durable, state machine restored): the log
   * now starts after {@code length} entries ending in {@code head}, under {@code membership}.
   */
  record SnapshotInstalled(long length, raftsimple.chain.Hash head, raftsimple.core.msg.Membership membership)
      implements Input {}
}
