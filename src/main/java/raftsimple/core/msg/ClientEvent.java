package raftsimple.core.msg;

import raftsimple.chain.Hash;

/** What the core tells the shell about the clients it is serving. */
public sealed interface ClientEvent
    permits ClientEvent.Assigned,
        ClientEvent.Refused,
        ClientEvent.ReadReady,
        ClientEvent.ReadFailed,
        ClientEvent.SystemApplied,
        ClientEvent.QueueDropped {

  /** Submit {@code ref} became entry {@code txid}; its outcome comes when the entry commits. */
  record Assigned(long ref, Hash txid) implements ClientEvent {}

  /** Submit {@code ref} was not taken: {@code code} is a CONTRACT error code (e.g. READ_ONLY). */
  record Refused(long ref, String code, String reason) implements ClientEvent {}

  /** Read {@code ref} may be served once the local committed log reaches {@code length}. */
  record ReadReady(long ref, long length) implements ClientEvent {}

  /** Read {@code ref} could not confirm a majority in time. */
  record ReadFailed(long ref, String reason) implements ClientEvent {}

  /**
   * A committed system entry (a membership change) took effect ({@code ok}) or was a no-op
   * ({@code reason}); its client, if waiting on this node, gets this instead of a state-machine
   * result. {@code index} is the entry's log index.
   */
  record SystemApplied(Hash txid, long index, boolean ok, String reason) implements ClientEvent {}

  /**
   * This node dropped its uncommitted queue (after installing a snapshot it cannot tell which of
   * those entries the snapshot already holds); their outcome is unknown to this node.
   */
  record QueueDropped(java.util.List<Hash> txids) implements ClientEvent {}
}
